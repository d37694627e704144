//! `Idempotency-Key`: a client that retries a create, upload or copy after losing the answer
//! gets the first answer again instead of a second folder, file or copy.

use sha2::{Digest, Sha256};

use crate::auth::Principal;
use crate::error::{Error, Result};
use crate::ports::IdempotencyStart;
use crate::services::Core;
use crate::services::drive::viewer;

/// How long an answer is kept for replay.
pub const IDEMPOTENCY_TTL_SECS: i64 = 24 * 3600;
/// How long a claim may go unanswered before a retry takes it over (its server died).
const CLAIM_PATIENCE_SECS: i64 = 600;

fn check_key(key: &str) -> Result<()> {
    if key.is_empty() || key.len() > 255 || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(Error::invalid("Idempotency-Key", "必须是1到255个可见ASCII字符"));
    }
    Ok(())
}

impl Core {
    /// Claims `key` for this request (method, path and query, body), or says how it was used.
    pub async fn begin_idempotent(
        &self,
        principal: &Principal,
        key: &str,
        request_line: &str,
        body: &[u8],
    ) -> Result<IdempotencyStart> {
        check_key(key)?;
        let mut hasher = Sha256::new();
        hasher.update(request_line.as_bytes());
        hasher.update([0]);
        hasher.update(body);
        let fingerprint = hasher.finalize();
        let now = self.clock.now();
        let start = self
            .repo
            .begin_idempotent(viewer(principal), key, &fingerprint, now, now - CLAIM_PATIENCE_SECS)
            .await?;
        Ok(match start {
            IdempotencyStart::Replay { status, body } => {
                match self.key.open(&seal_context(principal, key), &body) {
                    Some(body) => IdempotencyStart::Replay { status, body },
                    // Sealed under another instance key: the answer cannot be given again, and
                    // the request must not run twice either.
                    None => IdempotencyStart::Mismatch,
                }
            }
            other => other,
        })
    }

    /// Records the answer, sealed: an upload's answer holds its upload URL, a credential, and
    /// the database keeps no credential readable.
    pub async fn finish_idempotent(&self, principal: &Principal, key: &str, status: u16, body: &[u8]) -> Result<()> {
        let sealed = self.key.seal(&seal_context(principal, key), body);
        Ok(self
            .repo
            .finish_idempotent(viewer(principal), key, status, &sealed)
            .await?)
    }

    pub async fn abandon_idempotent(&self, principal: &Principal, key: &str) -> Result<()> {
        Ok(self.repo.abandon_idempotent(viewer(principal), key).await?)
    }

    /// Forgets answers older than a day.
    pub async fn purge_idempotency_keys(&self) -> Result<u64> {
        Ok(self
            .repo
            .purge_idempotency_keys(self.clock.now() - IDEMPOTENCY_TTL_SECS)
            .await?)
    }
}

/// What a recorded answer is sealed to: its caller and key, so one user's answer never opens
/// as another's.
fn seal_context(principal: &Principal, key: &str) -> Vec<u8> {
    format!("idempotency\0{}\0{key}", viewer(principal).0).into_bytes()
}
