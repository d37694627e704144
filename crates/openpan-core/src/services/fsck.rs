//! `openpan admin fsck`: the blob store against the database. Finds blobs the database needs
//! that are gone or damaged (reported; only a backup brings them back), blobs nothing records
//! (orphans: removed on repair once older than the grace period, since a write in progress
//! stores its bytes before it records them) and reference counts that drifted from the
//! versions using each blob (set right on repair, so the collector neither frees a blob in use
//! nor keeps one forever). Safe while the drive serves.

use std::collections::HashMap;

use futures_util::StreamExt;
use sha2::Digest;

use crate::auth::{Principal, PrincipalKind};
use crate::blob::BlobError;
use crate::error::{Error, Result};
use crate::ids::ItemId;
use crate::ports::{RefCountDrift, StoredReference};
use crate::services::Core;
use crate::services::transfer::blob_failure;

/// How many files a missing or damaged blob's report names.
const FILES_NAMED: i64 = 20;

/// What to do besides looking.
#[derive(Debug, Clone, Copy)]
pub struct FsckOptions {
    /// Remove old orphans and set drifted reference counts right.
    pub repair: bool,
    /// Read every content blob back and compare its SHA-256 (reads the whole store).
    pub verify_hashes: bool,
    /// Orphans younger than this may belong to a write in progress and are left alone.
    pub grace_secs: i64,
}

/// A content blob whose bytes are gone or not what was stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DamagedBlob {
    pub blob_id: i64,
    pub storage_key: String,
    /// The size recorded, and the size found (None when the object is gone).
    pub recorded_size: i64,
    pub found_size: Option<u64>,
    /// Files with a version on it (the first few).
    pub files: Vec<ItemId>,
}

/// An object the database does not record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Orphan {
    pub storage_key: String,
    pub size: u64,
    pub modified_at: i64,
    /// Removed by this run's repair.
    pub removed: bool,
}

/// A conversion result or profile picture whose object is gone (made again on demand or
/// uploaded again; reported so the operator knows).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingDerived {
    pub storage_key: String,
    pub what: &'static str,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FsckReport {
    /// Objects the store listed, and content blobs the database records.
    pub objects: u64,
    pub content_blobs: u64,
    pub missing: Vec<DamagedBlob>,
    pub wrong_size: Vec<DamagedBlob>,
    pub wrong_hash: Vec<DamagedBlob>,
    pub missing_derived: Vec<MissingDerived>,
    pub orphans: Vec<Orphan>,
    /// Unrecorded objects left alone because they are younger than the grace period.
    pub young_unrecorded: u64,
    /// Drifted reference counts, and which of them this run set right.
    pub reference_counts: Vec<(RefCountDrift, bool)>,
}

impl FsckReport {
    /// Whether anything is still wrong after this run (what a repair fixed does not count).
    pub fn has_problems(&self) -> bool {
        !self.missing.is_empty()
            || !self.wrong_size.is_empty()
            || !self.wrong_hash.is_empty()
            || self.orphans.iter().any(|orphan| !orphan.removed)
            || self.reference_counts.iter().any(|(_, fixed)| !fixed)
    }
}

impl Core {
    /// Checks (and with `repair`, mends) the blob store against the database; operator only.
    pub async fn fsck(&self, principal: &Principal, options: FsckOptions) -> Result<FsckReport> {
        if !matches!(principal.kind(), PrincipalKind::Operator) {
            return Err(Error::PermissionDenied);
        }
        let mut report = FsckReport::default();
        // References first, then the listing: a blob written in between is unrecorded but
        // young, and a recorded blob was stored before it was recorded, so it is listed.
        let mut recorded: HashMap<String, StoredReference> = HashMap::new();
        for (key, reference) in self.repo.stored_references().await? {
            // A key recorded twice (an upload's session and the blob it became) is checked as
            // what it became.
            match recorded.entry(key) {
                std::collections::hash_map::Entry::Occupied(mut held) => {
                    if matches!(reference, StoredReference::Content { .. }) {
                        held.insert(reference);
                    }
                }
                std::collections::hash_map::Entry::Vacant(free) => {
                    free.insert(reference);
                }
            }
        }
        report.content_blobs = recorded
            .values()
            .filter(|reference| matches!(reference, StoredReference::Content { .. }))
            .count() as u64;
        let started = self.clock.now();
        let mut listing = self.blobs.list().await.map_err(blob_failure)?;
        while let Some(object) = listing.next().await {
            let object = object.map_err(blob_failure)?;
            report.objects += 1;
            match recorded.remove(&object.key) {
                Some(StoredReference::Content { blob_id, size, sha256 }) => {
                    let damaged = |found_size| DamagedBlob {
                        blob_id,
                        storage_key: object.key.clone(),
                        recorded_size: size,
                        found_size,
                        files: Vec::new(),
                    };
                    if i64::try_from(object.size).ok() != Some(size) {
                        report.wrong_size.push(damaged(Some(object.size)));
                    } else if options.verify_hashes && !self.hash_matches(&object.key, &sha256).await? {
                        report.wrong_hash.push(damaged(Some(object.size)));
                    }
                }
                Some(_) => {}
                // A store that reports no time (0) gets no benefit of the doubt taken away.
                None if object.modified_at == 0 || object.modified_at > started - options.grace_secs => {
                    report.young_unrecorded += 1
                }
                None => {
                    let removed = if options.repair {
                        match self.remove_orphan(&object.key).await? {
                            Some(removed) => removed,
                            None => {
                                report.young_unrecorded += 1;
                                continue;
                            }
                        }
                    } else {
                        false
                    };
                    report.orphans.push(Orphan {
                        storage_key: object.key,
                        size: object.size,
                        modified_at: object.modified_at,
                        removed,
                    });
                }
            }
        }
        for (key, reference) in recorded {
            match reference {
                // The collector may have freed it since the references were read.
                StoredReference::Content { blob_id, size, .. } => {
                    if self.repo.content_blob_in_use(blob_id).await? {
                        report.missing.push(DamagedBlob {
                            blob_id,
                            storage_key: key,
                            recorded_size: size,
                            found_size: None,
                            files: Vec::new(),
                        });
                    }
                }
                StoredReference::Conversion { .. } => report.missing_derived.push(MissingDerived {
                    storage_key: key,
                    what: "conversion",
                }),
                StoredReference::ProfilePicture => report.missing_derived.push(MissingDerived {
                    storage_key: key,
                    what: "profile_picture",
                }),
                StoredReference::InFlight => {}
            }
        }
        for damaged in report
            .missing
            .iter_mut()
            .chain(report.wrong_size.iter_mut())
            .chain(report.wrong_hash.iter_mut())
        {
            damaged.files = self.repo.files_of_blob(damaged.blob_id, FILES_NAMED).await?;
        }
        for drift in self.repo.reference_count_drift().await? {
            let fixed = options.repair && self.repo.fix_reference_count(&drift, self.clock.now()).await?;
            report.reference_counts.push((drift, fixed));
        }
        report.missing.sort_by_key(|blob| blob.blob_id);
        if options.repair {
            tracing::info!(
                orphans = report.orphans.iter().filter(|orphan| orphan.removed).count(),
                reference_counts = report.reference_counts.iter().filter(|(_, fixed)| *fixed).count(),
                "fsck repaired the blob store"
            );
        }
        Ok(report)
    }

    async fn hash_matches(&self, key: &str, expected: &[u8]) -> Result<bool> {
        let mut bytes = match self.blobs.get(key, None).await {
            Ok(bytes) => bytes,
            // Deleted by the collector since it was listed.
            Err(BlobError::NotFound) => return Ok(true),
            Err(err) => return Err(blob_failure(err)),
        };
        let mut hasher = sha2::Sha256::new();
        while let Some(chunk) = bytes.next().await {
            hasher.update(chunk.map_err(|err| Error::Unavailable(Box::new(err)))?);
        }
        Ok(hasher.finalize().as_slice() == expected)
    }

    /// Removes an orphan; `None` when it turns out to be recorded after all.
    async fn remove_orphan(&self, key: &str) -> Result<Option<bool>> {
        // S3 dates a multipart object from its start, so a long write recorded since the
        // snapshot can look old: ask the database once more.
        if self.repo.storage_key_recorded(key).await? {
            return Ok(None);
        }
        match self.blobs.delete(key).await {
            Ok(()) => Ok(Some(true)),
            Err(err) => {
                tracing::warn!(error = %err, storage_key = key, "fsck could not remove an orphan");
                Ok(Some(false))
            }
        }
    }
}
