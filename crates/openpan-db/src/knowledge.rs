//! `KnowledgeRepo`: datasets, training tasks, the job table the trainers claim from, and the
//! segments training makes. A dataset's `generation` moves in every transaction that changes
//! its segments, so each node's retrieval index knows when to catch up.

use async_trait::async_trait;

use openpan_core::RepoError;
use openpan_core::gpt::{ChatTurn, Gpt, GptId, GptSettings, GptShare, GptSquare, NewTurn, ShareScope, ViewScope};
use openpan_core::ids::{EnterpriseId, ItemId, UserId, VersionId};
use openpan_core::knowledge::{
    AnalysisMethod, Dataset, DatasetId, Embedded, FailedFile, IndexedSegment, Segment, SegmentId, SegmentRules, Task,
    TaskId, TaskProgress, TrainFileId, TrainJob, Trained, indexed_text, vector_bytes, vector_of,
};
use openpan_core::model::Page;
use openpan_core::ports::{KnowledgeRepo, NewDataset, NewTask, RepoResult};

use crate::errors::other;
use crate::pool::{SqlRepo, begin, commit, exec, fetch, marks, on_pool, scalar};

/// Segments written per statement.
const INSERT_CHUNK: usize = 100;
/// Failed files listed per task.
const FAILED_LISTED: i64 = 20;

const DATASET_COLUMNS: &str = "d.dataset_id, d.enterprise_id, d.owner_id, d.name, d.description, d.generation, \
     d.created_at, d.modified_at, \
     (select count(*) from kb_segment s where s.dataset_id = d.dataset_id and s.kind = 'segment') as segment_count, \
     (select count(*) from kb_segment s where s.dataset_id = d.dataset_id and s.kind = 'qa') as qa_count, \
     (select count(*) from kb_task t where t.dataset_id = d.dataset_id) as task_count";

#[derive(sqlx::FromRow)]
struct DatasetRow {
    dataset_id: i64,
    enterprise_id: i64,
    owner_id: i64,
    name: String,
    description: String,
    generation: i64,
    created_at: i64,
    modified_at: i64,
    segment_count: i64,
    qa_count: i64,
    task_count: i64,
}

impl From<DatasetRow> for Dataset {
    fn from(row: DatasetRow) -> Self {
        Self {
            id: DatasetId(row.dataset_id),
            enterprise_id: EnterpriseId(row.enterprise_id),
            owner_id: UserId(row.owner_id),
            name: row.name,
            description: row.description,
            generation: row.generation,
            created_at: row.created_at,
            modified_at: row.modified_at,
            segment_count: row.segment_count,
            qa_count: row.qa_count,
            task_count: row.task_count,
        }
    }
}

fn method(text: &str) -> RepoResult<AnalysisMethod> {
    AnalysisMethod::parse(text).ok_or_else(|| RepoError::Other(format!("analysis method {text:?}").into()))
}

fn rules(max_chars: i64) -> SegmentRules {
    SegmentRules {
        max_chars: usize::try_from(max_chars).unwrap_or(SegmentRules::DEFAULT_MAX_CHARS),
    }
}

#[derive(sqlx::FromRow)]
struct TaskRow {
    task_id: i64,
    dataset_id: i64,
    item_id: i64,
    item_kind: String,
    name: String,
    analysis_method: String,
    max_chars: i64,
    added_by: i64,
    created_at: i64,
}

impl TryFrom<TaskRow> for Task {
    type Error = RepoError;

    fn try_from(row: TaskRow) -> RepoResult<Self> {
        Ok(Self {
            id: TaskId(row.task_id),
            dataset_id: DatasetId(row.dataset_id),
            item_id: ItemId(row.item_id),
            is_folder: row.item_kind == "folder",
            name: row.name,
            method: method(&row.analysis_method)?,
            rules: rules(row.max_chars),
            added_by: UserId(row.added_by),
            created_at: row.created_at,
        })
    }
}

#[derive(sqlx::FromRow)]
struct JobRow {
    train_file_id: i64,
    task_id: i64,
    dataset_id: i64,
    file_id: i64,
    attempts: i64,
    analysis_method: String,
    max_chars: i64,
    added_by: i64,
}

#[derive(sqlx::FromRow)]
struct SegmentRow {
    segment_id: i64,
    dataset_id: i64,
    file_id: i64,
    file_name: String,
    analysis_method: String,
    question: Option<String>,
    content: String,
}

impl TryFrom<SegmentRow> for Segment {
    type Error = RepoError;

    fn try_from(row: SegmentRow) -> RepoResult<Self> {
        Ok(Self {
            id: SegmentId(row.segment_id),
            dataset_id: DatasetId(row.dataset_id),
            file_id: ItemId(row.file_id),
            file_name: row.file_name,
            method: method(&row.analysis_method)?,
            question: row.question,
            content: row.content,
        })
    }
}

/// Turns a conversation keeps.
const KEPT_TURNS: i64 = 20;
/// Days a person's conversations are kept.
const TURN_DAYS: i64 = 30;

const GPT_COLUMNS: &str = "gpt_id, enterprise_id, owner_id, name, intro, system_prompt, chat_intro, data_ids, \
     no_recall_replay, show_preview, show_doc_source, suggested, temperature, share_enabled, share_expires_at, \
     share_scope, share_token, square_published, square_view_scope, square_user_ids, created_at, modified_at";

#[derive(sqlx::FromRow)]
struct GptRow {
    gpt_id: i64,
    enterprise_id: i64,
    owner_id: i64,
    name: String,
    intro: String,
    system_prompt: String,
    chat_intro: String,
    data_ids: String,
    no_recall_replay: String,
    show_preview: bool,
    show_doc_source: bool,
    suggested: String,
    temperature: f64,
    share_enabled: bool,
    share_expires_at: Option<i64>,
    share_scope: String,
    share_token: Option<String>,
    square_published: bool,
    square_view_scope: String,
    square_user_ids: String,
    created_at: i64,
    modified_at: i64,
}

fn corrupt(what: &str) -> RepoError {
    RepoError::Other(format!("kb_gpt: {what}").into())
}

fn json_of<T: serde::de::DeserializeOwned>(text: &str, what: &str) -> RepoResult<T> {
    serde_json::from_str(text).map_err(|_| corrupt(what))
}

impl TryFrom<GptRow> for Gpt {
    type Error = RepoError;

    fn try_from(row: GptRow) -> RepoResult<Self> {
        let data_ids: Vec<i64> = json_of(&row.data_ids, "data_ids")?;
        let user_ids: Vec<i64> = json_of(&row.square_user_ids, "square_user_ids")?;
        Ok(Self {
            id: GptId(row.gpt_id),
            enterprise_id: EnterpriseId(row.enterprise_id),
            owner_id: UserId(row.owner_id),
            settings: GptSettings {
                name: row.name,
                intro: row.intro,
                system_prompt: row.system_prompt,
                chat_intro: row.chat_intro,
                data_ids: data_ids.into_iter().map(DatasetId).collect(),
                no_recall_replay: row.no_recall_replay,
                show_preview: row.show_preview,
                show_doc_source: row.show_doc_source,
                suggested: json_of(&row.suggested, "suggested")?,
                temperature: row.temperature,
            },
            share: GptShare {
                enabled: row.share_enabled,
                expires_at: row.share_expires_at,
                scope: ShareScope::parse(&row.share_scope).ok_or_else(|| corrupt("share_scope"))?,
                token: row.share_token,
            },
            square: GptSquare {
                published: row.square_published,
                view_scope: ViewScope::parse(&row.square_view_scope).ok_or_else(|| corrupt("square_view_scope"))?,
                user_ids: user_ids.into_iter().map(UserId).collect(),
            },
            created_at: row.created_at,
            modified_at: row.modified_at,
        })
    }
}

/// A GPT's lists, written as JSON.
struct GptColumns {
    data_ids: String,
    suggested: String,
    user_ids: String,
}

impl GptColumns {
    fn of(gpt: &Gpt) -> RepoResult<Self> {
        let ids = |ids: Vec<i64>| serde_json::to_string(&ids).map_err(|_| corrupt("ids"));
        Ok(Self {
            data_ids: ids(gpt.settings.data_ids.iter().map(|id| id.0).collect())?,
            suggested: serde_json::to_string(&gpt.settings.suggested).map_err(|_| corrupt("suggested"))?,
            user_ids: ids(gpt.square.user_ids.iter().map(|id| id.0).collect())?,
        })
    }
}

/// Writes a GPT's settings, share and square (`row`: its lists as JSON) into row `id`.
macro_rules! write_gpt {
    ($conn:expr, $builder:ident, $gpt:expr, $row:expr, $id:expr) => {
        exec!(
            $conn,
            $builder,
            "update kb_gpt set name = ?, intro = ?, system_prompt = ?, chat_intro = ?, data_ids = ?, \
             no_recall_replay = ?, show_preview = ?, show_doc_source = ?, suggested = ?, temperature = ?, \
             share_enabled = ?, share_expires_at = ?, share_scope = ?, share_token = ?, square_published = ?, \
             square_view_scope = ?, square_user_ids = ?, modified_at = ? where gpt_id = ?",
            &$gpt.settings.name,
            &$gpt.settings.intro,
            &$gpt.settings.system_prompt,
            &$gpt.settings.chat_intro,
            &$row.data_ids,
            &$gpt.settings.no_recall_replay,
            $gpt.settings.show_preview,
            $gpt.settings.show_doc_source,
            &$row.suggested,
            $gpt.settings.temperature,
            $gpt.share.enabled,
            $gpt.share.expires_at,
            $gpt.share.scope.as_str(),
            $gpt.share.token.as_deref(),
            $gpt.square.published,
            $gpt.square.view_scope.as_str(),
            &$row.user_ids,
            $gpt.modified_at,
            $id
        )
    };
}

/// A segment with its file's current name (the name it was trained under once the file is
/// gone) and its task's method.
const SEGMENT_SELECT: &str = "select s.segment_id, s.dataset_id, s.file_id, coalesce(i.name, f.file_name) as file_name, \
     t.analysis_method, s.question, s.content from kb_segment s \
     join kb_train_file f on f.train_file_id = s.train_file_id \
     join kb_task t on t.task_id = f.task_id \
     left join item i on i.item_id = s.file_id";

/// Moves a dataset's generation: its segments changed in this transaction.
macro_rules! bump {
    ($tx:ident, $builder:ident, $dataset:expr, $now:expr) => {
        exec!(
            &mut *$tx,
            $builder,
            "update kb_dataset set generation = generation + 1, modified_at = ? where dataset_id = ?",
            $now,
            $dataset
        )
        .map_err(other)?
    };
}

#[async_trait]
impl KnowledgeRepo for SqlRepo {
    async fn create_dataset(&self, dataset: &NewDataset) -> RepoResult<DatasetId> {
        on_pool!(self, write, |pool, builder| {
            let id = scalar!(
                i64,
                pool,
                builder,
                "insert into kb_dataset (enterprise_id, owner_id, name, description, generation, created_at, \
                 modified_at) values (?, ?, ?, ?, 0, ?, ?) returning dataset_id",
                dataset.enterprise_id.0,
                dataset.owner_id.0,
                &dataset.name,
                &dataset.description,
                dataset.now,
                dataset.now
            )
            .map_err(other)?;
            Ok(DatasetId(id))
        })
    }

    async fn find_dataset(&self, id: DatasetId) -> RepoResult<Option<Dataset>> {
        let sql = format!("select {DATASET_COLUMNS} from kb_dataset d where d.dataset_id = ?");
        on_pool!(self, read, |pool, builder| {
            let row = fetch!(optional DatasetRow, pool, builder, &sql, id.0).map_err(other)?;
            Ok(row.map(Dataset::from))
        })
    }

    async fn list_datasets(&self, owner: UserId, page: Page) -> RepoResult<(Vec<Dataset>, i64)> {
        let sql = format!(
            "select {DATASET_COLUMNS} from kb_dataset d where d.owner_id = ? order by d.dataset_id desc limit ? offset ?"
        );
        on_pool!(self, read, |pool, builder| {
            let rows =
                fetch!(all DatasetRow, pool, builder, &sql, owner.0, page.capacity, page.offset()).map_err(other)?;
            let total = scalar!(
                i64,
                pool,
                builder,
                "select count(*) from kb_dataset where owner_id = ?",
                owner.0
            )
            .map_err(other)?;
            Ok((rows.into_iter().map(Dataset::from).collect(), total))
        })
    }

    async fn update_dataset(&self, id: DatasetId, name: &str, description: &str, now: i64) -> RepoResult<()> {
        on_pool!(self, write, |pool, builder| {
            let done = exec!(
                pool,
                builder,
                "update kb_dataset set name = ?, description = ?, modified_at = ? where dataset_id = ?",
                name,
                description,
                now,
                id.0
            )
            .map_err(other)?;
            if done.rows_affected() == 0 {
                return Err(RepoError::NotFound);
            }
            Ok(())
        })
    }

    async fn delete_dataset(&self, id: DatasetId) -> RepoResult<bool> {
        on_pool!(self, write, |pool, builder| {
            let mut tx = begin!(pool, builder).map_err(other)?;
            // Segments go with their jobs, jobs with their tasks (foreign keys cascade).
            exec!(&mut *tx, builder, "delete from kb_segment where dataset_id = ?", id.0).map_err(other)?;
            exec!(
                &mut *tx,
                builder,
                "delete from kb_train_file where dataset_id = ?",
                id.0
            )
            .map_err(other)?;
            exec!(&mut *tx, builder, "delete from kb_task where dataset_id = ?", id.0).map_err(other)?;
            let done = exec!(&mut *tx, builder, "delete from kb_dataset where dataset_id = ?", id.0).map_err(other)?;
            commit!(tx, builder)?;
            Ok(done.rows_affected() > 0)
        })
    }

    async fn create_task(&self, task: &NewTask, files: &[(ItemId, String)]) -> RepoResult<TaskId> {
        on_pool!(self, write, |pool, builder| {
            let mut tx = begin!(pool, builder).map_err(other)?;
            let id = scalar!(
                i64,
                &mut *tx,
                builder,
                "insert into kb_task (dataset_id, item_id, item_kind, name, analysis_method, max_chars, added_by, \
                 created_at) values (?, ?, ?, ?, ?, ?, ?, ?) returning task_id",
                task.dataset_id.0,
                task.item_id.0,
                if task.is_folder { "folder" } else { "file" },
                &task.name,
                task.method.as_str(),
                i64::try_from(task.rules.max_chars).unwrap_or(i64::MAX),
                task.added_by.0,
                task.now
            )
            .map_err(other)?;
            for (file_id, name) in files {
                exec!(
                    &mut *tx,
                    builder,
                    "insert into kb_train_file (task_id, dataset_id, file_id, file_name, status, attempts, \
                     lease_until, updated_at) values (?, ?, ?, ?, 'queued', 0, 0, ?)",
                    id,
                    task.dataset_id.0,
                    file_id.0,
                    name,
                    task.now
                )
                .map_err(other)?;
            }
            exec!(
                &mut *tx,
                builder,
                "update kb_dataset set modified_at = ? where dataset_id = ?",
                task.now,
                task.dataset_id.0
            )
            .map_err(other)?;
            commit!(tx, builder)?;
            Ok(TaskId(id))
        })
    }

    async fn list_tasks(
        &self,
        dataset: DatasetId,
        methods: &[AnalysisMethod],
        page: Page,
    ) -> RepoResult<(Vec<TaskProgress>, i64)> {
        // The methods are the core's own words, never the caller's: safe to write out.
        let methods: Vec<String> = methods.iter().map(|method| format!("'{}'", method.as_str())).collect();
        let filter = format!("dataset_id = ? and analysis_method in ({})", methods.join(", "));
        let list = format!(
            "select task_id, dataset_id, item_id, item_kind, name, analysis_method, max_chars, added_by, created_at \
             from kb_task where {filter} order by task_id desc limit ? offset ?"
        );
        let count = format!("select count(*) from kb_task where {filter}");
        on_pool!(self, read, |pool, builder| {
            let rows =
                fetch!(all TaskRow, pool, builder, &list, dataset.0, page.capacity, page.offset()).map_err(other)?;
            let total = scalar!(i64, pool, builder, &count, dataset.0).map_err(other)?;
            let tasks = rows.into_iter().map(Task::try_from).collect::<RepoResult<Vec<_>>>()?;
            if tasks.is_empty() {
                return Ok((Vec::new(), total));
            }
            // How the page's tasks stand, in two reads for the whole page.
            let ids = marks(tasks.len());
            let sql = crate::pool::dialect(
                &builder(),
                &format!(
                    "select task_id, status, count(*) from kb_train_file where task_id in ({ids}) \
                     group by task_id, status"
                ),
            );
            let mut query = sqlx::query_as::<_, (i64, String, i64)>(&sql);
            for task in &tasks {
                query = query.bind(task.id.0);
            }
            let counts = query.fetch_all(pool).await.map_err(other)?;
            let sql = crate::pool::dialect(
                &builder(),
                &format!(
                    "select task_id, file_id, file_name, reason from (select task_id, file_id, file_name, reason, \
                     train_file_id, row_number() over (partition by task_id order by train_file_id) as place \
                     from kb_train_file where status = 'failed' and task_id in ({ids})) ranked \
                     where place <= ? order by task_id, train_file_id"
                ),
            );
            let mut query = sqlx::query_as::<_, (i64, i64, String, Option<String>)>(&sql);
            for task in &tasks {
                query = query.bind(task.id.0);
            }
            let failed = query.bind(FAILED_LISTED).fetch_all(pool).await.map_err(other)?;
            let tasks = tasks
                .into_iter()
                .map(|task| {
                    let of_task = || counts.iter().filter(|(id, _, _)| *id == task.id.0);
                    let count_of = |status: &str| {
                        of_task()
                            .find(|(_, found, _)| found == status)
                            .map_or(0, |(_, _, count)| *count)
                    };
                    TaskProgress {
                        files: of_task().map(|(_, _, count)| count).sum(),
                        queued: count_of("queued"),
                        running: count_of("running"),
                        done: count_of("done"),
                        failed_count: count_of("failed"),
                        failed: failed
                            .iter()
                            .filter(|(id, ..)| *id == task.id.0)
                            .map(|(_, file_id, file_name, reason)| FailedFile {
                                file_id: ItemId(*file_id),
                                file_name: file_name.clone(),
                                reason: reason.clone().unwrap_or_default(),
                            })
                            .collect(),
                        task,
                    }
                })
                .collect();
            Ok((tasks, total))
        })
    }

    async fn delete_task(&self, dataset: DatasetId, task: TaskId, now: i64) -> RepoResult<bool> {
        on_pool!(self, write, |pool, builder| {
            let mut tx = begin!(pool, builder).map_err(other)?;
            exec!(
                &mut *tx,
                builder,
                "delete from kb_segment where train_file_id in (select train_file_id from kb_train_file where task_id = ?)",
                task.0
            )
            .map_err(other)?;
            exec!(&mut *tx, builder, "delete from kb_train_file where task_id = ?", task.0).map_err(other)?;
            let done = exec!(
                &mut *tx,
                builder,
                "delete from kb_task where task_id = ? and dataset_id = ?",
                task.0,
                dataset.0
            )
            .map_err(other)?;
            if done.rows_affected() == 0 {
                return Ok(false);
            }
            bump!(tx, builder, dataset.0, now);
            commit!(tx, builder)?;
            Ok(true)
        })
    }

    async fn claim_train_jobs(&self, now: i64, lease: i64, limit: i64) -> RepoResult<Vec<TrainJob>> {
        // The outer conditions repeat the inner ones: PostgreSQL re-checks them on a row
        // another node claimed meanwhile, so each job runs on one node at a time.
        const DUE: &str = "status in ('queued', 'running') and lease_until <= ?";
        let claim = format!(
            "update kb_train_file set status = 'running', attempts = attempts + 1, lease_until = ?, updated_at = ? \
             where train_file_id in (select train_file_id from kb_train_file where {DUE} \
             order by train_file_id limit ?) and {DUE} returning train_file_id"
        );
        on_pool!(self, write, |pool, builder| {
            let claimed: Vec<i64> = {
                let sql = crate::pool::dialect(&builder(), &claim);
                sqlx::query_scalar::<_, i64>(&sql)
                    .bind(now + lease)
                    .bind(now)
                    .bind(now)
                    .bind(limit)
                    .bind(now)
                    .fetch_all(pool)
                    .await
                    .map_err(other)?
            };
            if claimed.is_empty() {
                return Ok(Vec::new());
            }
            let sql = crate::pool::dialect(
                &builder(),
                &format!(
                    "select f.train_file_id, f.task_id, f.dataset_id, f.file_id, f.attempts, t.analysis_method, \
                     t.max_chars, t.added_by from kb_train_file f join kb_task t on t.task_id = f.task_id \
                     where f.train_file_id in ({}) order by f.train_file_id",
                    marks(claimed.len())
                ),
            );
            let mut query = sqlx::query_as::<_, JobRow>(&sql);
            for id in &claimed {
                query = query.bind(*id);
            }
            let rows = query.fetch_all(pool).await.map_err(other)?;
            rows.into_iter()
                .map(|row| {
                    Ok(TrainJob {
                        id: TrainFileId(row.train_file_id),
                        task_id: TaskId(row.task_id),
                        dataset_id: DatasetId(row.dataset_id),
                        file_id: ItemId(row.file_id),
                        method: method(&row.analysis_method)?,
                        rules: rules(row.max_chars),
                        added_by: UserId(row.added_by),
                        attempts: row.attempts,
                    })
                })
                .collect()
        })
    }

    async fn finish_train_job(
        &self,
        job: TrainFileId,
        version: VersionId,
        trained: &Trained,
        embedded: Option<&Embedded>,
        now: i64,
    ) -> RepoResult<bool> {
        let vectors: Vec<Option<Vec<u8>>> = match embedded {
            Some(embedded) => embedded
                .vectors
                .iter()
                .map(|vector| Some(vector_bytes(vector)))
                .collect(),
            None => Vec::new(),
        };
        let model = embedded.map(|embedded| embedded.model.as_str());
        let rows: Vec<(Option<&str>, &str)> = match trained {
            Trained::Segments(passages) => passages.iter().map(|text| (None, text.as_str())).collect(),
            Trained::Pairs(pairs) => pairs
                .iter()
                .map(|(question, answer)| (Some(question.as_str()), answer.as_str()))
                .collect(),
        };
        let kind = if matches!(trained, Trained::Pairs(_)) {
            "qa"
        } else {
            "segment"
        };
        on_pool!(self, write, |pool, builder| {
            let mut tx = begin!(pool, builder).map_err(other)?;
            // Locked, so a task deleted meanwhile waits for this (or this finds it gone).
            let found: Option<(i64, i64)> = fetch!(
                optional(i64, i64),
                &mut *tx,
                builder,
                &format!(
                    "select dataset_id, file_id from kb_train_file where train_file_id = ? and status = 'running'{}",
                    crate::pool::row_lock(&builder(), " for update")
                ),
                job.0
            )
            .map_err(other)?;
            let Some((dataset, file)) = found else {
                return Ok(false);
            };
            exec!(
                &mut *tx,
                builder,
                "delete from kb_segment where train_file_id = ?",
                job.0
            )
            .map_err(other)?;
            for (chunk_index, chunk) in rows.chunks(INSERT_CHUNK).enumerate() {
                let sql = crate::pool::dialect(
                    &builder(),
                    &format!(
                        "insert into kb_segment (dataset_id, train_file_id, file_id, kind, ordinal, question, content, \
                         embedding, embedding_model) values {}",
                        vec!["(?, ?, ?, ?, ?, ?, ?, ?, ?)"; chunk.len()].join(", ")
                    ),
                );
                let mut query = sqlx::query(&sql);
                for (offset, (question, content)) in chunk.iter().enumerate() {
                    let index = chunk_index * INSERT_CHUNK + offset;
                    let ordinal = i64::try_from(index).unwrap_or(i64::MAX);
                    let vector = vectors.get(index).cloned().flatten();
                    let model = vector.as_ref().and(model);
                    query = query
                        .bind(dataset)
                        .bind(job.0)
                        .bind(file)
                        .bind(kind)
                        .bind(ordinal)
                        .bind(*question)
                        .bind(*content)
                        .bind(vector)
                        .bind(model);
                }
                query.execute(&mut *tx).await.map_err(other)?;
            }
            exec!(
                &mut *tx,
                builder,
                "update kb_train_file set status = 'done', reason = null, version_id = ?, lease_until = 0, \
                 updated_at = ? where train_file_id = ?",
                version.0,
                now,
                job.0
            )
            .map_err(other)?;
            bump!(tx, builder, dataset, now);
            commit!(tx, builder)?;
            Ok(true)
        })
    }

    async fn fail_train_job(&self, job: TrainFileId, reason: &str, now: i64) -> RepoResult<()> {
        on_pool!(self, write, |pool, builder| {
            let mut tx = begin!(pool, builder).map_err(other)?;
            let dataset: Option<(i64,)> = fetch!(
                optional(i64,),
                &mut *tx,
                builder,
                "select dataset_id from kb_train_file where train_file_id = ?",
                job.0
            )
            .map_err(other)?;
            let Some((dataset,)) = dataset else {
                return Ok(());
            };
            exec!(
                &mut *tx,
                builder,
                "delete from kb_segment where train_file_id = ?",
                job.0
            )
            .map_err(other)?;
            // The version that failed is remembered: a new version is tried again.
            exec!(
                &mut *tx,
                builder,
                "update kb_train_file set status = 'failed', reason = ?, lease_until = 0, updated_at = ?, \
                 version_id = (select current_version_id from item where item_id = kb_train_file.file_id) \
                 where train_file_id = ?",
                reason,
                now,
                job.0
            )
            .map_err(other)?;
            bump!(tx, builder, dataset, now);
            commit!(tx, builder)?;
            Ok(())
        })
    }

    async fn release_train_job(&self, job: TrainFileId, retry_at: i64) -> RepoResult<()> {
        on_pool!(self, write, |pool, builder| {
            exec!(
                pool,
                builder,
                "update kb_train_file set status = 'queued', lease_until = ? where train_file_id = ? and status = 'running'",
                retry_at,
                job.0
            )
            .map_err(other)?;
            Ok(())
        })
    }

    async fn follow_trained_files(&self, now: i64) -> RepoResult<u64> {
        on_pool!(self, write, |pool, builder| {
            let mut tx = begin!(pool, builder).map_err(other)?;
            let gone: Vec<(i64, i64)> = fetch!(
                all(i64, i64),
                &mut *tx,
                builder,
                "select train_file_id, dataset_id from kb_train_file f where not exists \
                 (select 1 from item i where i.item_id = f.file_id and i.trash_root_id is null) \
                 order by train_file_id"
            )
            .map_err(other)?;
            let changed: Vec<(i64, i64)> = fetch!(
                all(i64, i64),
                &mut *tx,
                builder,
                "select f.train_file_id, f.dataset_id from kb_train_file f join item i on i.item_id = f.file_id \
                 where f.status in ('done', 'failed') and f.version_id is not null \
                 and i.trash_root_id is null and i.current_version_id <> f.version_id order by f.train_file_id"
            )
            .map_err(other)?;
            for (job, _) in &gone {
                exec!(&mut *tx, builder, "delete from kb_segment where train_file_id = ?", job).map_err(other)?;
                exec!(
                    &mut *tx,
                    builder,
                    "delete from kb_train_file where train_file_id = ?",
                    job
                )
                .map_err(other)?;
            }
            for (job, _) in &changed {
                exec!(
                    &mut *tx,
                    builder,
                    "update kb_train_file set status = 'queued', attempts = 0, lease_until = 0, updated_at = ? \
                     where train_file_id = ?",
                    now,
                    job
                )
                .map_err(other)?;
            }
            let mut datasets: Vec<i64> = gone.iter().map(|(_, dataset)| *dataset).collect();
            datasets.sort_unstable();
            datasets.dedup();
            for dataset in datasets {
                bump!(tx, builder, dataset, now);
            }
            commit!(tx, builder)?;
            Ok(u64::try_from(gone.len() + changed.len()).unwrap_or(u64::MAX))
        })
    }

    async fn list_segments(&self, dataset: DatasetId, qa: bool, page: Page) -> RepoResult<(Vec<Segment>, i64)> {
        let kind = if qa { "qa" } else { "segment" };
        let sql = format!(
            "{SEGMENT_SELECT} where s.dataset_id = ? and s.kind = ? order by s.train_file_id, s.ordinal limit ? offset ?"
        );
        on_pool!(self, read, |pool, builder| {
            let rows = fetch!(all SegmentRow, pool, builder, &sql, dataset.0, kind, page.capacity, page.offset())
                .map_err(other)?;
            let total = scalar!(
                i64,
                pool,
                builder,
                "select count(*) from kb_segment where dataset_id = ? and kind = ?",
                dataset.0,
                kind
            )
            .map_err(other)?;
            let segments = rows.into_iter().map(Segment::try_from).collect::<RepoResult<_>>()?;
            Ok((segments, total))
        })
    }

    async fn find_segments(&self, ids: &[SegmentId]) -> RepoResult<Vec<Segment>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!("{SEGMENT_SELECT} where s.segment_id in ({})", marks(ids.len()));
        on_pool!(self, read, |pool, builder| {
            let sql = crate::pool::dialect(&builder(), &sql);
            let mut query = sqlx::query_as::<_, SegmentRow>(&sql);
            for id in ids {
                query = query.bind(id.0);
            }
            let rows = query.fetch_all(pool).await.map_err(other)?;
            rows.into_iter().map(Segment::try_from).collect()
        })
    }

    async fn segments_to_index(&self, dataset: DatasetId) -> RepoResult<Option<(i64, Vec<IndexedSegment>)>> {
        on_pool!(self, read, |pool, builder| {
            // One transaction: the generation read belongs to the segments read.
            let mut tx = pool.begin().await.map_err(other)?;
            let generation: Option<(i64,)> = fetch!(
                optional(i64,),
                &mut *tx,
                builder,
                "select generation from kb_dataset where dataset_id = ?",
                dataset.0
            )
            .map_err(other)?;
            let Some((generation,)) = generation else {
                return Ok(None);
            };
            type Row = (i64, Option<String>, String, Option<Vec<u8>>, Option<String>);
            let rows: Vec<Row> = fetch!(
                all(i64, Option<String>, String, Option<Vec<u8>>, Option<String>),
                &mut *tx,
                builder,
                "select segment_id, question, content, embedding, embedding_model from kb_segment \
                 where dataset_id = ?",
                dataset.0
            )
            .map_err(other)?;
            tx.commit().await.map_err(other)?;
            let segments = rows
                .into_iter()
                .map(|(id, question, content, vector, model)| IndexedSegment {
                    id: SegmentId(id),
                    text: indexed_text(question.as_deref(), &content),
                    embedding: model.zip(vector.as_deref().and_then(vector_of)),
                })
                .collect();
            Ok(Some((generation, segments)))
        })
    }

    async fn dataset_generations(&self, ids: &[DatasetId]) -> RepoResult<Vec<(DatasetId, i64)>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "select dataset_id, generation from kb_dataset where dataset_id in ({})",
            marks(ids.len())
        );
        on_pool!(self, read, |pool, builder| {
            let sql = crate::pool::dialect(&builder(), &sql);
            let mut query = sqlx::query_as::<_, (i64, i64)>(&sql);
            for id in ids {
                query = query.bind(id.0);
            }
            let rows = query.fetch_all(pool).await.map_err(other)?;
            Ok(rows
                .into_iter()
                .map(|(id, generation)| (DatasetId(id), generation))
                .collect())
        })
    }
    async fn create_gpt(&self, gpt: &Gpt) -> RepoResult<GptId> {
        let row = GptColumns::of(gpt)?;
        on_pool!(self, write, |pool, builder| {
            let mut tx = begin!(pool, builder).map_err(other)?;
            // The row is made with its settings' defaults, then written as an edit writes it.
            let id = scalar!(
                i64,
                &mut *tx,
                builder,
                "insert into kb_gpt (enterprise_id, owner_id, created_at, modified_at) values (?, ?, ?, ?) \
                 returning gpt_id",
                gpt.enterprise_id.0,
                gpt.owner_id.0,
                gpt.created_at,
                gpt.modified_at
            )
            .map_err(other)?;
            write_gpt!(&mut *tx, builder, gpt, row, id).map_err(other)?;
            commit!(tx, builder)?;
            Ok(GptId(id))
        })
    }

    async fn find_gpt(&self, id: GptId) -> RepoResult<Option<Gpt>> {
        let sql = format!("select {GPT_COLUMNS} from kb_gpt where gpt_id = ?");
        on_pool!(self, read, |pool, builder| {
            let row = fetch!(optional GptRow, pool, builder, &sql, id.0).map_err(other)?;
            row.map(Gpt::try_from).transpose()
        })
    }

    async fn list_gpts(&self, owner: UserId) -> RepoResult<Vec<Gpt>> {
        let sql = format!("select {GPT_COLUMNS} from kb_gpt where owner_id = ? order by gpt_id desc");
        on_pool!(self, read, |pool, builder| {
            let rows = fetch!(all GptRow, pool, builder, &sql, owner.0).map_err(other)?;
            rows.into_iter().map(Gpt::try_from).collect()
        })
    }

    async fn list_square_gpts(&self, enterprise: EnterpriseId) -> RepoResult<Vec<Gpt>> {
        let sql = format!(
            "select {GPT_COLUMNS} from kb_gpt where enterprise_id = ? and square_published = ? order by gpt_id desc"
        );
        on_pool!(self, read, |pool, builder| {
            let rows = fetch!(all GptRow, pool, builder, &sql, enterprise.0, true).map_err(other)?;
            rows.into_iter().map(Gpt::try_from).collect()
        })
    }

    async fn update_gpt(&self, gpt: &Gpt) -> RepoResult<()> {
        let row = GptColumns::of(gpt)?;
        on_pool!(self, write, |pool, builder| {
            let done = write_gpt!(pool, builder, gpt, row, gpt.id.0).map_err(other)?;
            if done.rows_affected() == 0 {
                return Err(RepoError::NotFound);
            }
            Ok(())
        })
    }

    async fn delete_gpt(&self, id: GptId) -> RepoResult<bool> {
        on_pool!(self, write, |pool, builder| {
            let mut tx = begin!(pool, builder).map_err(other)?;
            exec!(&mut *tx, builder, "delete from kb_chat_turn where gpt_id = ?", id.0).map_err(other)?;
            let done = exec!(&mut *tx, builder, "delete from kb_gpt where gpt_id = ?", id.0).map_err(other)?;
            commit!(tx, builder)?;
            Ok(done.rows_affected() > 0)
        })
    }

    async fn add_chat_turn(&self, turn: &NewTurn) -> RepoResult<()> {
        on_pool!(self, write, |pool, builder| {
            let mut tx = begin!(pool, builder).map_err(other)?;
            exec!(
                &mut *tx,
                builder,
                "insert into kb_chat_turn (user_id, session_key, gpt_id, question, answer, created_at) \
                 values (?, ?, ?, ?, ?, ?)",
                turn.user_id.0,
                &turn.session,
                turn.gpt_id.map(|id| id.0),
                &turn.question,
                &turn.answer,
                turn.now
            )
            .map_err(other)?;
            exec!(
                &mut *tx,
                builder,
                "delete from kb_chat_turn where user_id = ? and created_at < ?",
                turn.user_id.0,
                turn.now - TURN_DAYS * 86_400
            )
            .map_err(other)?;
            // A conversation keeps its latest turns: older ones are never sent to a model.
            exec!(
                &mut *tx,
                builder,
                "delete from kb_chat_turn where user_id = ? and session_key = ? and turn_id not in \
                 (select turn_id from kb_chat_turn where user_id = ? and session_key = ? \
                 order by turn_id desc limit ?)",
                turn.user_id.0,
                &turn.session,
                turn.user_id.0,
                &turn.session,
                KEPT_TURNS
            )
            .map_err(other)?;
            commit!(tx, builder)?;
            Ok(())
        })
    }

    async fn recent_chat_turns(&self, user: UserId, session: &str, limit: i64) -> RepoResult<Vec<ChatTurn>> {
        on_pool!(self, read, |pool, builder| {
            let mut rows: Vec<(String, String)> = fetch!(
                all(String, String),
                pool,
                builder,
                "select question, answer from kb_chat_turn where user_id = ? and session_key = ? \
                 order by turn_id desc limit ?",
                user.0,
                session,
                limit
            )
            .map_err(other)?;
            rows.reverse();
            Ok(rows
                .into_iter()
                .map(|(question, answer)| ChatTurn { question, answer })
                .collect())
        })
    }
}
