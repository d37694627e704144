//! The full-text index behind item search: a tantivy index in the node's data dir, cut into
//! words by jieba (Chinese) and by letters and digits (everything else), with the text inside
//! txt/md/docx/pptx/xlsx/pdf files. It implements the core's [`SearchIndex`] port.
//!
//! The index is derived data and never the truth. Each space's root carries a `generation`
//! that every tree write moves on; the index remembers, in its own commit, the generation it
//! last caught up to per space, and catches a space up by reading its live items in one query
//! and rewriting only the documents whose stamp (name, place, size, version, …) changed. So a
//! crash loses nothing (the next catch-up redoes what was not committed), a second node keeps
//! its own index from the same database, and a search first catches up the spaces it covers,
//! so what the caller just wrote is found.
//!
//! Must never depend on the HTTP layer or on a particular database: it reads through the
//! core's ports.

mod extract;
mod knowledge;
mod text;

pub use knowledge::KnowledgeIndex;

use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use async_trait::async_trait;
use futures_util::StreamExt;
use tantivy::Directory;
use tantivy::collector::{Count, TopDocs};
use tantivy::directory::MmapDirectory;
use tantivy::query::{BooleanQuery, EmptyQuery, Occur, PhraseQuery, Query, RangeQuery, TermQuery, TermSetQuery};
use tantivy::schema::{FAST, Field, INDEXED, IndexRecordOption, STRING, Schema, TextFieldIndexing, TextOptions, Value};
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{DocAddress, Index, IndexReader, IndexWriter, Order, ReloadPolicy, TantivyDocument, Term};

use openpan_core::RepoError;
use openpan_core::blob::BlobStore;
use openpan_core::drive::Space;
use openpan_core::ids::ItemId;
use openpan_core::ports::{Repo, RepoResult};
use openpan_core::search::{IndexRow, SearchField, SearchHits, SearchIndex, SearchOrder, SearchQuery, SpaceRoot};

pub use extract::{Format, MAX_FILE_BYTES, MAX_TEXT_BYTES, format_of, text_of};

const WORDS: &str = "openpan_words";
const CHARS: &str = "openpan_chars";
const GRAMS: &str = "openpan_grams";
/// The writer's indexing memory before it flushes a segment.
const WRITER_MEMORY: usize = 64 << 20;

#[derive(Clone, Copy)]
struct Fields {
    item: Field,
    enterprise: Field,
    space: Field,
    parent: Field,
    ancestor: Field,
    folder: Field,
    creator: Field,
    modified: Field,
    size: Field,
    version: Field,
    stamp: Field,
    has_content: Field,
    name_key: Field,
    name_words: Field,
    name_chars: Field,
    name_grams: Field,
    content: Field,
}

fn schema() -> (Schema, Fields) {
    let mut builder = Schema::builder();
    let text = |tokenizer: &str, record: IndexRecordOption| {
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(tokenizer)
                .set_index_option(record),
        )
    };
    let fields = Fields {
        item: builder.add_u64_field("item", INDEXED | FAST),
        enterprise: builder.add_u64_field("enterprise", INDEXED),
        space: builder.add_u64_field("space", INDEXED | FAST),
        parent: builder.add_i64_field("parent", FAST),
        ancestor: builder.add_u64_field("ancestor", INDEXED),
        folder: builder.add_u64_field("folder", INDEXED | FAST),
        creator: builder.add_u64_field("creator", INDEXED),
        modified: builder.add_i64_field("modified", INDEXED | FAST),
        size: builder.add_i64_field("size", FAST),
        version: builder.add_i64_field("version", FAST),
        stamp: builder.add_u64_field("stamp", FAST),
        has_content: builder.add_u64_field("has_content", FAST),
        name_key: builder.add_text_field("name_key", STRING | FAST),
        name_words: builder.add_text_field("name_words", text(WORDS, IndexRecordOption::WithFreqs)),
        name_chars: builder.add_text_field("name_chars", text(CHARS, IndexRecordOption::WithFreqsAndPositions)),
        name_grams: builder.add_text_field("name_grams", text(GRAMS, IndexRecordOption::Basic)),
        content: builder.add_text_field(
            "content",
            text(WORDS, IndexRecordOption::WithFreqsAndPositions).set_stored(),
        ),
    };
    (builder.build(), fields)
}

/// One number per space, for terms and the commit payload.
fn space_code(space: Space) -> u64 {
    let (kind, id) = space.to_parts();
    ((kind as u64) << 56) | (id as u64 & ((1 << 56) - 1))
}

fn failure(err: impl std::error::Error + Send + Sync + 'static) -> RepoError {
    RepoError::Other(Box::new(err))
}

/// What the index holds of one item, to tell whether a catch-up must rewrite it.
#[derive(Clone, Copy)]
struct Entry {
    space: u64,
    stamp: u64,
    version: i64,
    parent: i64,
    folder: bool,
    /// Whether its text was read (files whose kind has text).
    has_content: bool,
}

#[derive(Default)]
struct State {
    /// The index must be emptied before the next writes (its state was lost).
    rebuild: bool,
    /// Taken on the first write, so a process that only opens the index (the admin CLI beside
    /// a running server) does not hold its lock.
    writer: Option<Arc<Mutex<IndexWriter>>>,
    /// Per space: the generation the committed documents reflect.
    generations: HashMap<u64, i64>,
    entries: HashMap<u64, Entry>,
    /// Per space: the items it holds.
    members: HashMap<u64, HashSet<u64>>,
    /// Every indexed folder's parent, to give changed items their ancestors.
    folders: HashMap<i64, i64>,
}

impl State {
    fn remember(&mut self, id: u64, entry: Entry) {
        if let Some(previous) = self.entries.insert(id, entry)
            && previous.space != entry.space
            && let Some(members) = self.members.get_mut(&previous.space)
        {
            members.remove(&id);
        }
        self.members.entry(entry.space).or_default().insert(id);
        if entry.folder {
            self.folders.insert(id as i64, entry.parent);
        }
    }

    fn forget(&mut self, id: u64) {
        if let Some(entry) = self.entries.remove(&id)
            && let Some(members) = self.members.get_mut(&entry.space)
        {
            members.remove(&id);
        }
        self.folders.remove(&(id as i64));
    }
}

struct Inner {
    dir: PathBuf,
    /// Files (storage keys) whose parsing once took the process down.
    unreadable: Mutex<HashSet<String>>,
    index: Index,
    reader: IndexReader,
    fields: Fields,
    repo: Arc<dyn Repo>,
    blobs: Arc<dyn BlobStore>,
    /// The generations searches see (those of the last commit the reader loaded).
    visible: RwLock<HashMap<u64, i64>>,
    state: tokio::sync::Mutex<State>,
}

/// The search index of one node. Nothing touches the disk until the first catch-up or search,
/// so commands that share the data dir with a running server (the admin CLI, `migrate`) never
/// open, lock or rebuild it.
#[derive(Clone)]
pub struct SearchEngine {
    engine: Arc<Engine>,
}

struct Engine {
    dir: PathBuf,
    repo: Arc<dyn Repo>,
    blobs: Arc<dyn BlobStore>,
    wait: Duration,
    opened: tokio::sync::OnceCell<Arc<Inner>>,
}

impl SearchEngine {
    /// The index in `dir`, opened (made if missing) on first use.
    pub fn new(dir: &Path, repo: Arc<dyn Repo>, blobs: Arc<dyn BlobStore>, wait: Duration) -> Self {
        Self {
            engine: Arc::new(Engine {
                dir: dir.to_path_buf(),
                repo,
                blobs,
                wait,
                opened: tokio::sync::OnceCell::new(),
            }),
        }
    }

    async fn inner(&self) -> RepoResult<Arc<Inner>> {
        let engine = self.engine.clone();
        self.engine
            .opened
            .get_or_try_init(|| async move {
                let (dir, repo, blobs) = (engine.dir.clone(), engine.repo.clone(), engine.blobs.clone());
                tokio::task::spawn_blocking(move || open(&dir, repo, blobs))
                    .await
                    .map_err(failure)?
                    .map(Arc::new)
                    .map_err(|err| RepoError::Unavailable(Box::new(err)))
            })
            .await
            .cloned()
    }

    /// Catches every space up every `every`, so searches seldom wait; for the serving binary.
    pub fn spawn_background(&self, every: Duration) -> tokio::task::JoinHandle<()> {
        let engine = self.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                let caught_up = match engine.inner().await {
                    Ok(inner) => match inner.repo.list_space_roots(None).await {
                        Ok(roots) => inner.catch_up(&roots).await,
                        Err(err) => Err(err),
                    },
                    Err(err) => Err(err),
                };
                if let Err(err) = caught_up {
                    tracing::warn!(error = ?err, "search index catch-up failed; retrying");
                }
            }
        })
    }

    /// Documents the index holds (0 before it is first used), for tests and the operator.
    pub fn document_count(&self) -> u64 {
        self.engine
            .opened
            .get()
            .map_or(0, |inner| inner.reader.searcher().num_docs())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("search index at {path}: {source}")]
    Index {
        path: String,
        #[source]
        source: tantivy::TantivyError,
    },
    #[error("search index at {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("search index at {path} was written with another schema and another process is writing it")]
    InUse { path: String },
}

/// Opens the index in `dir` (made if missing). One written with another schema (an older
/// openpan) is rebuilt from scratch — the database can always refill it — but only when no
/// other process is writing it; any other failure is reported, never answered by deleting.
fn open(dir: &Path, repo: Arc<dyn Repo>, blobs: Arc<dyn BlobStore>) -> Result<Inner, OpenError> {
    let path = dir.display().to_string();
    let io = |source| OpenError::Io {
        path: path.clone(),
        source,
    };
    let tantivy = |source| OpenError::Index {
        path: path.clone(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(io)?;
    let (schema, fields) = schema();
    let directory = MmapDirectory::open(dir).map_err(|err| tantivy(err.into()))?;
    let index = match Index::open_or_create(directory.clone(), schema.clone()) {
        Ok(index) => index,
        Err(tantivy::TantivyError::SchemaError(reason)) => {
            let lock = directory
                .acquire_lock(&tantivy::directory::INDEX_WRITER_LOCK)
                .map_err(|_| OpenError::InUse { path: path.clone() })?;
            tracing::warn!(%reason, dir = %path, "search index has another schema; rebuilding it");
            for entry in std::fs::read_dir(dir).map_err(io)? {
                let entry = entry.map_err(io)?;
                if !entry.file_name().to_string_lossy().ends_with(".lock") {
                    std::fs::remove_file(entry.path()).map_err(io)?;
                }
            }
            let index = Index::open_or_create(directory, schema).map_err(tantivy)?;
            drop(lock);
            index
        }
        Err(err) => return Err(tantivy(err)),
    };
    for (name, analyzer) in [
        (WORDS, TextAnalyzer::builder(text::WordTokenizer).build()),
        (CHARS, TextAnalyzer::builder(text::CharTokenizer).build()),
        (GRAMS, TextAnalyzer::builder(text::GramTokenizer).build()),
    ] {
        index.tokenizers().register(name, analyzer);
    }
    // Reloads on this process's commits at once (by hand) and on another's within a moment.
    let reader: IndexReader = index
        .reader_builder()
        .reload_policy(ReloadPolicy::OnCommitWithDelay)
        .try_into()
        .map_err(tantivy)?;
    let generations = committed_generations(&index).map_err(tantivy)?;
    let state = load_state(&reader, generations.clone()).map_err(tantivy)?;
    Ok(Inner {
        dir: dir.to_path_buf(),
        unreadable: Mutex::new(HashSet::new()),
        index,
        reader,
        fields,
        repo,
        blobs,
        visible: RwLock::new(generations),
        state: tokio::sync::Mutex::new(state),
    })
}

/// Names the file being parsed, while it is.
const EXTRACTING: &str = "extracting.key";
/// Files never to parse again, one storage key a line.
const UNREADABLE: &str = "unreadable.keys";

/// The files never to parse again, adding the one whose parsing a crash interrupted.
fn unreadable_files(dir: &Path) -> std::io::Result<HashSet<String>> {
    let marker = dir.join(EXTRACTING);
    let list = dir.join(UNREADABLE);
    if let Ok(key) = std::fs::read_to_string(&marker) {
        tracing::warn!(
            key,
            "parsing this file's text ended the process last time; it is searched by name from now on"
        );
        add_unreadable(dir, &key)?;
        std::fs::remove_file(&marker)?;
    }
    Ok(std::fs::read_to_string(&list)
        .unwrap_or_default()
        .lines()
        .filter(|line| !line.is_empty())
        .map(str::to_owned)
        .collect())
}

/// Adds a file to those never to parse again.
fn add_unreadable(dir: &Path, key: &str) -> std::io::Result<()> {
    let list = dir.join(UNREADABLE);
    let mut keys = std::fs::read_to_string(&list).unwrap_or_default();
    keys.push_str(key.trim());
    keys.push('\n');
    std::fs::write(&list, keys)
}

/// The generations the last commit recorded.
fn committed_generations(index: &Index) -> tantivy::Result<HashMap<u64, i64>> {
    Ok(index
        .load_metas()?
        .payload
        .and_then(|payload| serde_json::from_str(&payload).ok())
        .unwrap_or_default())
}

/// What the index holds of every live document, from the fast fields, with the generations of
/// the last commit.
fn load_state(reader: &IndexReader, generations: HashMap<u64, i64>) -> tantivy::Result<State> {
    let searcher = reader.searcher();
    let mut entries = HashMap::new();
    let mut members: HashMap<u64, HashSet<u64>> = HashMap::new();
    let mut folders = HashMap::new();
    for segment in searcher.segment_readers() {
        let fast = segment.fast_fields();
        let (item, space, stamp, version, parent, folder, has_content) = (
            fast.u64("item")?,
            fast.u64("space")?,
            fast.u64("stamp")?,
            fast.i64("version")?,
            fast.i64("parent")?,
            fast.u64("folder")?,
            fast.u64("has_content")?,
        );
        for doc in segment.doc_ids_alive() {
            let (Some(id), Some(space), Some(parent)) = (item.first(doc), space.first(doc), parent.first(doc)) else {
                continue;
            };
            let is_folder = folder.first(doc) == Some(1);
            entries.insert(
                id,
                Entry {
                    space,
                    stamp: stamp.first(doc).unwrap_or_default(),
                    version: version.first(doc).unwrap_or_default(),
                    parent,
                    folder: is_folder,
                    has_content: has_content.first(doc) == Some(1),
                },
            );
            members.entry(space).or_default().insert(id);
            if is_folder {
                folders.insert(id as i64, parent);
            }
        }
    }
    Ok(State {
        rebuild: false,
        writer: None,
        generations,
        entries,
        members,
        folders,
    })
}

impl Inner {
    async fn catch_up(&self, roots: &[SpaceRoot]) -> RepoResult<()> {
        let behind = |roots: &[SpaceRoot], known: &HashMap<u64, i64>| -> Vec<SpaceRoot> {
            roots
                .iter()
                .filter(|root| {
                    known
                        .get(&space_code(root.space))
                        .is_none_or(|seen| *seen < root.generation)
                })
                .copied()
                .collect()
        };
        if behind(roots, &self.visible.read().unwrap_or_else(|e| e.into_inner())).is_empty() {
            return Ok(());
        }
        let mut state = self.state.lock().await;
        let todo = behind(roots, &state.generations);
        if todo.is_empty() {
            return Ok(());
        }
        let writer = match &state.writer {
            Some(writer) => writer.clone(),
            None => {
                let writer: IndexWriter = self
                    .index
                    .writer_with_num_threads(1, WRITER_MEMORY)
                    .map_err(|err| RepoError::Unavailable(Box::new(err)))?;
                if state.rebuild {
                    writer.delete_all_documents().map_err(failure)?;
                    state.rebuild = false;
                }
                // Only the process holding the writer reads (and clears) the marker of a parse
                // that ended a process: another one beside it may be parsing right now.
                let crashed = unreadable_files(&self.dir).map_err(failure)?;
                self.unreadable
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .extend(crashed);
                let writer = Arc::new(Mutex::new(writer));
                state.writer = Some(writer.clone());
                writer
            }
        };
        // Each space is committed on its own, so one that keeps failing (a timeout on a huge
        // space) never holds the others back; a failed one is rolled back and redone next round.
        let mut failed = None;
        for root in &todo {
            let mut done = self.catch_up_space(&mut state, &writer, root).await;
            if done.is_ok() {
                let payload = serde_json::to_string(&state.generations).map_err(failure)?;
                let committing = writer.clone();
                done = tokio::task::spawn_blocking(move || -> tantivy::Result<()> {
                    let mut writer = committing.lock().unwrap_or_else(|e| e.into_inner());
                    let mut commit = writer.prepare_commit()?;
                    commit.set_payload(&payload);
                    commit.commit()?;
                    Ok(())
                })
                .await
                .map_err(failure)
                .and_then(|committed| committed.map_err(failure));
            }
            if let Err(err) = done {
                tracing::warn!(error = ?err, space = space_code(root.space), "search index could not catch a space up");
                self.reset(&mut state, &writer).await;
                failed.get_or_insert(err);
                if state.writer.is_none() {
                    break;
                }
            }
        }
        self.reader.reload().map_err(failure)?;
        tracing::debug!(spaces = todo.len(), "search index committed");
        *self.visible.write().unwrap_or_else(|e| e.into_inner()) = state.generations.clone();
        failed.map_or(Ok(()), Err)
    }

    /// Items the index holds for a space that are no longer in it: purged for good (their rows
    /// are gone, so no changed row tells) or moved to another space not yet caught up. Counting
    /// the space's live items tells whether any are; only then are their ids read.
    async fn departed(&self, state: &State, space: Space, code: u64, changed: &[IndexRow]) -> RepoResult<Vec<u64>> {
        let Some(members) = state.members.get(&code) else {
            return Ok(Vec::new());
        };
        let arriving = changed
            .iter()
            .filter(|row| !members.contains(&(row.id.0 as u64)))
            .count();
        let live = self.repo.count_live_items(space).await?;
        if (members.len() + arriving) as i64 <= live {
            return Ok(Vec::new());
        }
        let live: HashSet<u64> = self
            .repo
            .list_live_item_ids(space)
            .await?
            .into_iter()
            .map(|id| id.0 as u64)
            .collect();
        Ok(members.difference(&live).copied().collect())
    }

    async fn reset(&self, state: &mut State, writer: &Arc<Mutex<IndexWriter>>) {
        let rolling = writer.clone();
        let rolled_back = tokio::task::spawn_blocking(move || {
            rolling.lock().unwrap_or_else(|e| e.into_inner()).rollback().map(|_| ())
        })
        .await;
        let reloaded = committed_generations(&self.index).and_then(|generations| load_state(&self.reader, generations));
        match (rolled_back, reloaded) {
            (Ok(Ok(())), Ok(mut fresh)) => {
                fresh.writer = state.writer.take();
                *state = fresh;
            }
            (rolled_back, reloaded) => {
                // Neither the writer nor the committed state can be trusted: give the writer up,
                // forget everything, and have the next writer empty the index before every
                // space is read again.
                tracing::error!(?rolled_back, error = ?reloaded.err(), "search index reset failed; rebuilding it");
                *state = State {
                    rebuild: true,
                    ..State::default()
                };
            }
        }
    }

    /// Rewrites the documents of `root`'s space that changed since the index last saw it. For a
    /// space seen before: the items changed since that generation (migration 0016), trashed ones
    /// deleted, plus everything below a folder that moved (their ancestors changed). For a space
    /// never seen: all of its live items, and what the index holds of it that no longer exists
    /// goes.
    async fn catch_up_space(&self, state: &mut State, writer: &Mutex<IndexWriter>, root: &SpaceRoot) -> RepoResult<()> {
        let code = space_code(root.space);
        let started = std::time::Instant::now();
        let since = state.generations.get(&code).copied();
        let rows = self.repo.list_index_rows(root.space, since).await?;
        let read = started.elapsed();
        let fields = self.fields;
        let mut gone: Vec<u64> = Vec::new();
        let mut todo: Vec<IndexRow> = Vec::with_capacity(rows.len());
        match since {
            None => {
                let seen: HashSet<u64> = rows.iter().map(|row| row.id.0 as u64).collect();
                gone = state
                    .members
                    .get(&code)
                    .map(|members| members.difference(&seen).copied().collect())
                    .unwrap_or_default();
                todo = rows;
            }
            Some(_) => {
                let mut moved = Vec::new();
                for row in rows {
                    let id = row.id.0 as u64;
                    if row.trashed {
                        gone.push(id);
                        continue;
                    }
                    if row.is_folder
                        && state
                            .entries
                            .get(&id)
                            .is_some_and(|entry| entry.parent != row.parent_id.0 || entry.space != code)
                    {
                        moved.push(row.id);
                    }
                    todo.push(row);
                }
                let mut listed: HashSet<i64> = todo.iter().map(|row| row.id.0).collect();
                for folder in moved {
                    for row in self.repo.list_index_rows_below(folder).await? {
                        if listed.insert(row.id.0) {
                            todo.push(row);
                        }
                    }
                }
            }
        }
        let delete = |state: &mut State, id: u64| {
            writer
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .delete_term(Term::from_field_u64(fields.item, id));
            state.forget(id);
        };
        for id in gone {
            delete(state, id);
        }
        if since.is_some() {
            for id in self.departed(state, root.space, code, &todo).await? {
                delete(state, id);
            }
        }
        // Where this catch-up's folders are now, before any chain is walked through them.
        for row in todo.iter().filter(|row| row.is_folder) {
            state.folders.insert(row.id.0, row.parent_id.0);
        }
        let mut chains = Chains::new(root.root.0, &state.folders);
        let mut changed = Vec::new();
        let mut skipped = false;
        for row in todo {
            let Some((ancestors, chain)) = chains.of(row.parent_id.0) else {
                // Not under the root as far as this read goes (caught mid-move): the space's
                // generation stays where it was, so the next catch-up reads the row again.
                skipped = true;
                continue;
            };
            let mut hasher = std::hash::DefaultHasher::new();
            (
                &row.name,
                row.is_folder,
                row.size,
                row.created_by.0,
                row.modified_at,
                row.version_id,
                chain,
            )
                .hash(&mut hasher);
            let stamp = hasher.finish();
            match state.entries.get(&(row.id.0 as u64)) {
                Some(entry) if entry.stamp == stamp && entry.space == code => {}
                previous => changed.push((row, ancestors, stamp, previous.copied())),
            }
        }
        let changed_count = changed.len();
        for (row, ancestors, stamp, previous) in changed {
            let id = row.id.0 as u64;
            let version = row.version_id.unwrap_or_default();
            let content = match (row.is_folder, extract::format_of(&row.name)) {
                // The text already read, when the version is the same; else (or if it could not
                // be read then, or the name only now says it has text) read it.
                (false, Some(format)) => match previous {
                    Some(previous) if previous.version == version && previous.has_content => self.stored_content(id),
                    _ => self.read_content(format, row.size, row.storage_key.as_deref()).await,
                },
                _ => None,
            };
            let mut doc = TantivyDocument::default();
            doc.add_u64(fields.item, id);
            doc.add_u64(fields.enterprise, root.enterprise_id.0 as u64);
            doc.add_u64(fields.space, code);
            doc.add_i64(fields.parent, row.parent_id.0);
            for ancestor in ancestors.iter() {
                doc.add_u64(fields.ancestor, *ancestor as u64);
            }
            doc.add_u64(fields.folder, u64::from(row.is_folder));
            doc.add_u64(fields.creator, row.created_by.0 as u64);
            doc.add_i64(fields.modified, row.modified_at);
            doc.add_i64(fields.size, row.size);
            doc.add_i64(fields.version, version);
            doc.add_u64(fields.stamp, stamp);
            doc.add_text(fields.name_key, row.name.to_lowercase());
            doc.add_text(fields.name_words, &row.name);
            doc.add_text(fields.name_chars, &row.name);
            doc.add_text(fields.name_grams, &row.name);
            let has_content = content.is_some();
            doc.add_u64(fields.has_content, u64::from(has_content));
            if let Some(content) = content {
                doc.add_text(fields.content, content);
            }
            {
                let writer = writer.lock().unwrap_or_else(|e| e.into_inner());
                writer.delete_term(Term::from_field_u64(fields.item, id));
                writer.add_document(doc).map_err(failure)?;
            }
            state.remember(
                id,
                Entry {
                    space: code,
                    stamp,
                    version,
                    parent: row.parent_id.0,
                    folder: row.is_folder,
                    has_content,
                },
            );
        }
        if !skipped {
            state.generations.insert(code, root.generation);
        }
        tracing::debug!(
            space = code,
            incremental = since.is_some(),
            ?read,
            changed = changed_count,
            total = ?started.elapsed(),
            "search index caught a space up"
        );
        Ok(())
    }

    /// The content the index already holds for `id` (unchanged version, new name or place).
    fn stored_content(&self, id: u64) -> Option<String> {
        let searcher = self.reader.searcher();
        let query = TermQuery::new(Term::from_field_u64(self.fields.item, id), IndexRecordOption::Basic);
        let (_, address) = searcher
            .search(&query, &TopDocs::with_limit(1).order_by_score())
            .ok()?
            .into_iter()
            .next()?;
        let doc: TantivyDocument = searcher.doc(address).ok()?;
        doc.get_first(self.fields.content)
            .and_then(|value| value.as_str())
            .map(str::to_owned)
    }

    /// Reads and extracts a file's text; a file that cannot be read is indexed by name only.
    async fn read_content(&self, format: Format, size: i64, key: Option<&str>) -> Option<String> {
        let key = key?;
        // Plain text is searched in its first part; containers need the whole file.
        if format != Format::Plain && size as u64 > extract::MAX_FILE_BYTES {
            return None;
        }
        if self.unreadable.lock().unwrap_or_else(|e| e.into_inner()).contains(key) {
            return None;
        }
        let mut stream = match self.blobs.get(key, None).await {
            Ok(stream) => stream,
            Err(err) => {
                tracing::warn!(error = %err, key, "search index cannot read a file's bytes");
                return None;
            }
        };
        let mut bytes = Vec::new();
        while let Some(chunk) = stream.next().await {
            bytes.extend_from_slice(&chunk.ok()?);
            if bytes.len() as u64 >= extract::MAX_FILE_BYTES {
                break;
            }
        }
        // Named on disk while it is parsed: a file whose parsing takes the process down (out
        // of memory) is found there at the next start and never parsed again.
        let marker = self.dir.join(EXTRACTING);
        let _ = std::fs::write(&marker, key);
        let text = match extract::text_of(format, bytes).await {
            Ok(text) => text,
            Err(extract::TimedOut) => {
                // The parse goes on in its thread: it must never be started again, nor be
                // blamed on another file should it end the process later.
                tracing::warn!(
                    key,
                    "reading a file's text took too long; it is searched by name from now on"
                );
                self.unreadable
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(key.to_owned());
                let _ = add_unreadable(&self.dir, key);
                return None;
            }
        };
        if text.is_none() && format != Format::Plain {
            tracing::info!(key, "a file's text could not be read; it is searched by name");
        }
        let _ = std::fs::remove_file(&marker);
        text
    }

    fn query(&self, query: &SearchQuery) -> Box<dyn Query> {
        let fields = self.fields;
        let term = |field: Field, value: u64| -> Box<dyn Query> {
            Box::new(TermQuery::new(
                Term::from_field_u64(field, value),
                IndexRecordOption::Basic,
            ))
        };
        let mut must: Vec<(Occur, Box<dyn Query>)> =
            vec![(Occur::Must, term(fields.enterprise, query.enterprise_id.0 as u64))];
        let mut reach: Vec<Term> = query
            .spaces
            .iter()
            .map(|space| Term::from_field_u64(fields.space, space_code(*space)))
            .collect();
        let shared: Vec<Term> = query
            .folders
            .iter()
            .map(|folder| Term::from_field_u64(fields.ancestor, folder.0 as u64))
            .collect();
        if reach.is_empty() && shared.is_empty() {
            return Box::new(EmptyQuery);
        }
        let mut reach_query: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        if !reach.is_empty() {
            reach_query.push((Occur::Should, Box::new(TermSetQuery::new(std::mem::take(&mut reach)))));
        }
        if !shared.is_empty() {
            reach_query.push((Occur::Should, Box::new(TermSetQuery::new(shared))));
            // The shared folders themselves, not only what is below them.
            let themselves: Vec<Term> = query
                .folders
                .iter()
                .map(|folder| Term::from_field_u64(fields.item, folder.0 as u64))
                .collect();
            reach_query.push((Occur::Should, Box::new(TermSetQuery::new(themselves))));
        }
        must.push((Occur::Must, Box::new(BooleanQuery::new(reach_query))));
        if let Some(within) = query.within {
            must.push((Occur::Must, term(fields.ancestor, within.0 as u64)));
        }
        if let Some(folders) = query.folders_only {
            must.push((Occur::Must, term(fields.folder, u64::from(folders))));
        }
        if query.modified_from.is_some() || query.modified_to.is_some() {
            let bound = |value: Option<i64>| match value {
                Some(value) => Bound::Included(Term::from_field_i64(fields.modified, value)),
                None => Bound::Unbounded,
            };
            must.push((
                Occur::Must,
                Box::new(RangeQuery::new(bound(query.modified_from), bound(query.modified_to))),
            ));
        }
        let text: Box<dyn Query> = match query.field {
            SearchField::Tag => Box::new(TermSetQuery::new(
                query
                    .tagged
                    .iter()
                    .map(|item| Term::from_field_u64(fields.item, item.0 as u64)),
            )),
            SearchField::Creator => Box::new(TermSetQuery::new(
                query
                    .creators
                    .iter()
                    .map(|user| Term::from_field_u64(fields.creator, user.0 as u64)),
            )),
            SearchField::Name => any_of(vec![self.name_query(query)]),
            SearchField::Content => any_of(vec![self.content_query(query)]),
            SearchField::All => any_of(vec![self.name_query(query), self.content_query(query)]),
        };
        must.push((Occur::Must, text));
        Box::new(BooleanQuery::new(must))
    }

    /// Names: every word of the query, or every pair of neighbouring characters of it (a run
    /// of characters, give or take the pairs' order, checked by pairs because comparing
    /// positions over names sharing common characters — every name holding a year — costs tens
    /// of milliseconds); precise wants the exact run, positions compared.
    fn name_query(&self, query: &SearchQuery) -> Box<dyn Query> {
        if query.precise {
            return phrase(
                text::characters(&query.words)
                    .into_iter()
                    .map(|(position, text)| (position, Term::from_field_text(self.fields.name_chars, &text)))
                    .collect(),
            );
        }
        let grams = text::query_grams(&query.words);
        let run: Box<dyn Query> = if grams.is_empty() {
            Box::new(EmptyQuery)
        } else {
            Box::new(BooleanQuery::new(
                grams
                    .into_iter()
                    .map(|gram| {
                        let term: Box<dyn Query> = Box::new(TermQuery::new(
                            Term::from_field_text(self.fields.name_grams, &gram),
                            IndexRecordOption::Basic,
                        ));
                        (Occur::Must, term)
                    })
                    .collect(),
            ))
        };
        any_of(vec![all_words(self.fields.name_words, &query.words), run])
    }

    /// Contents: every word of the query; precise wants them as one phrase.
    fn content_query(&self, query: &SearchQuery) -> Box<dyn Query> {
        if query.precise {
            return phrase(
                text::words(&query.words)
                    .into_iter()
                    .enumerate()
                    .map(|(position, text)| (position, Term::from_field_text(self.fields.content, &text)))
                    .collect(),
            );
        }
        all_words(self.fields.content, &query.words)
    }

    fn search(&self, query: &SearchQuery) -> tantivy::Result<SearchHits> {
        let searcher = self.reader.searcher();
        let tantivy_query = self.query(query);
        // A page past every document is empty, whatever it asks; a collector asked for it
        // would reserve room for the offset.
        if query.offset >= searcher.num_docs() as usize {
            let total = searcher.search(&tantivy_query, &Count)?;
            return Ok(SearchHits {
                ids: Vec::new(),
                total: total as u64,
            });
        }
        let top = TopDocs::with_limit(query.limit.max(1)).and_offset(query.offset);
        let order = if query.descending { Order::Desc } else { Order::Asc };
        let (total, addresses): (usize, Vec<DocAddress>) = match query.order {
            SearchOrder::Score => {
                let (total, hits) = searcher.search(&tantivy_query, &(Count, top.order_by_score()))?;
                (total, hits.into_iter().map(|(_, address)| address).collect())
            }
            SearchOrder::Name => {
                let (total, hits) = searcher.search(
                    &tantivy_query,
                    &(Count, top.order_by_string_fast_field("name_key", order)),
                )?;
                (total, hits.into_iter().map(|(_, address)| address).collect())
            }
            SearchOrder::Date | SearchOrder::Size => {
                let field = if query.order == SearchOrder::Date {
                    "modified"
                } else {
                    "size"
                };
                let (total, hits) =
                    searcher.search(&tantivy_query, &(Count, top.order_by_fast_field::<i64>(field, order)))?;
                (total, hits.into_iter().map(|(_, address)| address).collect())
            }
        };
        let mut ids = Vec::with_capacity(addresses.len());
        for address in addresses {
            let column = searcher.segment_reader(address.segment_ord).fast_fields().u64("item")?;
            if let Some(id) = column.first(address.doc_id) {
                ids.push(ItemId(id as i64));
            }
        }
        Ok(SearchHits {
            ids,
            total: total as u64,
        })
    }
}

/// Every word of `words` in `field` (nothing when there are no words).
fn all_words(field: Field, words: &str) -> Box<dyn Query> {
    let mut terms: Vec<String> = text::words(words);
    terms.sort();
    terms.dedup();
    if terms.is_empty() {
        return Box::new(EmptyQuery);
    }
    Box::new(BooleanQuery::new(
        terms
            .into_iter()
            .map(|word| {
                let query: Box<dyn Query> = Box::new(TermQuery::new(
                    Term::from_field_text(field, &word),
                    IndexRecordOption::WithFreqs,
                ));
                (Occur::Must, query)
            })
            .collect(),
    ))
}

/// Terms at these positions, one after the other.
fn phrase(terms: Vec<(usize, Term)>) -> Box<dyn Query> {
    match terms.len() {
        0 => Box::new(EmptyQuery),
        1 => Box::new(TermQuery::new(terms[0].1.clone(), IndexRecordOption::WithFreqs)),
        _ => Box::new(PhraseQuery::new_with_offset(terms)),
    }
}

fn any_of(queries: Vec<Box<dyn Query>>) -> Box<dyn Query> {
    Box::new(BooleanQuery::new(
        queries.into_iter().map(|query| (Occur::Should, query)).collect(),
    ))
}

/// Ancestor folders (below the root) of each folder of a space, and a hash of that chain, so a
/// move changes the stamp of everything under the moved folder.
struct Chains<'a> {
    parents: &'a HashMap<i64, i64>,
    known: HashMap<i64, (Arc<Vec<i64>>, u64)>,
}

impl<'a> Chains<'a> {
    fn new(root: i64, parents: &'a HashMap<i64, i64>) -> Self {
        let mut known = HashMap::new();
        known.insert(root, (Arc::new(Vec::new()), 0));
        Self { parents, known }
    }

    /// The folders from below the root down to `folder` itself (empty for the root), or `None`
    /// when `folder` is not under the root.
    fn of(&mut self, folder: i64) -> Option<(Arc<Vec<i64>>, u64)> {
        let mut path = Vec::new();
        let mut at = folder;
        while !self.known.contains_key(&at) {
            if path.len() > self.parents.len() {
                return None; // a cycle: impossible in a consistent read
            }
            path.push(at);
            at = *self.parents.get(&at)?;
        }
        for folder in path.into_iter().rev() {
            let (chain, hash) = self.known[&at].clone();
            let mut extended = (*chain).clone();
            extended.push(folder);
            let mut hasher = std::hash::DefaultHasher::new();
            (hash, folder).hash(&mut hasher);
            self.known.insert(folder, (Arc::new(extended), hasher.finish()));
            at = folder;
        }
        self.known.get(&folder).cloned()
    }
}

#[async_trait]
impl SearchIndex for SearchEngine {
    async fn catch_up(&self, spaces: &[SpaceRoot]) -> RepoResult<()> {
        let inner = self.inner().await?;
        let spaces = spaces.to_vec();
        // Spawned, so a search that stops waiting does not throw away the work half done.
        let work = tokio::spawn(async move { inner.catch_up(&spaces).await });
        match tokio::time::timeout(self.engine.wait, work).await {
            // Another process holds the index (two servers on one data dir): search what it has.
            Ok(Ok(Err(RepoError::Unavailable(err)))) => {
                tracing::warn!(error = %err, "search index cannot be updated here; answering from what it holds");
                Ok(())
            }
            Ok(joined) => joined.map_err(failure)?,
            Err(_) => {
                tracing::warn!("search answered from an index still catching up");
                Ok(())
            }
        }
    }

    async fn search(&self, query: &SearchQuery) -> RepoResult<SearchHits> {
        let inner = self.inner().await?;
        let query = query.clone();
        tokio::task::spawn_blocking(move || inner.search(&query))
            .await
            .map_err(failure)?
            .map_err(failure)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chains_list_folders_below_the_root_and_change_with_a_move() {
        let parents: HashMap<i64, i64> = [(2, 1), (3, 2), (4, 1)].into_iter().collect();
        let mut chains = Chains::new(1, &parents);
        assert_eq!(*chains.of(3).unwrap().0, vec![2, 3]);
        assert!(chains.of(1).unwrap().0.is_empty());
        assert!(chains.of(99).is_none());
        let moved: HashMap<i64, i64> = [(2, 4), (3, 2), (4, 1)].into_iter().collect();
        let mut after = Chains::new(1, &moved);
        assert_eq!(*after.of(3).unwrap().0, vec![4, 2, 3]);
        assert_ne!(chains.of(3).unwrap().1, after.of(3).unwrap().1);
    }
}
