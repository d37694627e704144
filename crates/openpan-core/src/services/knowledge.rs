//! Knowledge bases: a user's datasets, the drive files they train from, the background
//! training that turns files into segments, and retrieval over them. A dataset is its
//! owner's; training reads a file only while the person who added it may download it, and
//! retrieval answers only passages of files the asker may read now.

use std::collections::HashMap;
use std::sync::Arc;

use futures_util::StreamExt;

use crate::auth::Principal;
use crate::collab::Capability;
use crate::drive::ItemKind;
use crate::error::{Error, Result};
use crate::ids::{ItemId, UserId};
use crate::knowledge::{
    AnalysisMethod, Dataset, DatasetId, KnowledgeEngine, Segment, SegmentRules, TaskId, TaskProgress, TrainJob, Trained,
};
use crate::model::Page;
use crate::ports::{NewDataset, NewTask};
use crate::services::Core;

/// How long a claimed training job is held before another node may take it up.
pub const TRAIN_LEASE_SECS: i64 = 300;
/// A job whose file could not be read is tried this many times.
const TRAIN_ATTEMPTS: i64 = 5;
/// Files trained at most per call of [`Core::train_due_files`].
const TRAIN_BATCH: i64 = 4;
/// Bytes of a file read for training at most.
pub const MAX_TRAIN_BYTES: i64 = 32 << 20;
/// Files a folder task trains at most.
pub const MAX_TASK_FILES: usize = 2000;
/// Hits a match test answers.
pub const MATCH_HITS: usize = 10;
/// Characters of a question retrieval looks at.
const RETRIEVAL_CHARS: usize = 1000;

/// How a training job ended.
enum Outcome {
    Trained(crate::ids::VersionId, Trained, Option<crate::knowledge::Embedded>),
    /// The file cannot be trained (shown in the task list).
    Failed(String),
    /// Reading the bytes or embedding them failed; worth another try. `reason` is shown once
    /// the tries are used up.
    Retry {
        error: String,
        reason: &'static str,
    },
}

fn no_dataset() -> Error {
    Error::invalid("data_id", "数据集不存在")
}

/// A name of 1–50 characters, trimmed.
fn dataset_name(raw: Option<&str>) -> Result<String> {
    let name = raw.map(str::trim).unwrap_or_default();
    match name.chars().count() {
        0 => Err(Error::invalid("name", "不能为空")),
        count if count > 50 => Err(Error::invalid("name", "长度不能超过50个字符")),
        _ if name.chars().any(char::is_control) => Err(Error::invalid("name", "不能包含控制字符")),
        _ => Ok(name.to_owned()),
    }
}

fn description(raw: Option<&str>) -> Result<String> {
    let text = raw.map(str::trim).unwrap_or_default();
    if text.chars().count() > 500 {
        return Err(Error::invalid("description", "长度不能超过500个字符"));
    }
    Ok(text.to_owned())
}

/// What a training task's `task_type` lists: `direct_segment`, `csv_qa_import` (questions and
/// answers) or `table`.
pub fn methods_of_task_type(task_type: &str) -> Option<&'static [AnalysisMethod]> {
    Some(match task_type {
        "direct_segment" => &[AnalysisMethod::DirectSegment],
        "csv_qa_import" | "qa" => &[AnalysisMethod::Qa],
        "table" => &[AnalysisMethod::Table],
        _ => return None,
    })
}

impl Core {
    fn knowledge_engine(&self) -> Result<&Arc<dyn KnowledgeEngine>> {
        self.knowledge
            .as_ref()
            .ok_or_else(|| Error::internal("knowledge bases are not configured"))
    }

    /// The caller's dataset `id`; another's, or none, answers alike.
    pub async fn dataset(&self, principal: &Principal, id: i64) -> Result<Dataset> {
        Ok(self.own_dataset(principal, id).await?.1)
    }

    /// The caller, and their dataset `id` (see [`Core::dataset`]).
    pub(crate) async fn own_dataset(&self, principal: &Principal, id: i64) -> Result<(UserId, Dataset)> {
        let (me, _) = self.personal_space(principal).await?;
        if id < 1 {
            return Err(Error::invalid("data_id", "必须大于等于1"));
        }
        let dataset = self
            .repo
            .find_dataset(DatasetId(id))
            .await?
            .filter(|dataset| dataset.owner_id == me.user.id)
            .ok_or_else(no_dataset)?;
        Ok((me.user.id, dataset))
    }

    pub async fn create_dataset(
        &self,
        principal: &Principal,
        name: Option<&str>,
        about: Option<&str>,
    ) -> Result<Dataset> {
        let (me, _) = self.personal_space(principal).await?;
        let dataset = NewDataset {
            enterprise_id: me.user.enterprise_id,
            owner_id: me.user.id,
            name: dataset_name(name)?,
            description: description(about)?,
            now: self.clock.now(),
        };
        let id = self.repo.create_dataset(&dataset).await?;
        self.dataset(principal, id.0).await
    }

    pub async fn list_datasets(&self, principal: &Principal, page: Page) -> Result<(Vec<Dataset>, i64)> {
        let (me, _) = self.personal_space(principal).await?;
        Ok(self.repo.list_datasets(me.user.id, page).await?)
    }

    pub async fn update_dataset(
        &self,
        principal: &Principal,
        id: i64,
        name: Option<&str>,
        about: Option<&str>,
    ) -> Result<Dataset> {
        let dataset = self.dataset(principal, id).await?;
        let name = match name {
            Some(name) => dataset_name(Some(name))?,
            None => dataset.name,
        };
        let about = match about {
            Some(about) => description(Some(about))?,
            None => dataset.description,
        };
        self.repo
            .update_dataset(dataset.id, &name, &about, self.clock.now())
            .await?;
        self.dataset(principal, id).await
    }

    pub async fn delete_dataset(&self, principal: &Principal, id: i64) -> Result<()> {
        let dataset = self.dataset(principal, id).await?;
        self.repo.delete_dataset(dataset.id).await?;
        Ok(())
    }

    /// `knowledge/add_train_file`: a file, or every file of the method's kinds below a folder
    /// (`direct_segment` only), queued for training. The caller must be allowed to download
    /// what they add.
    pub async fn add_train_file(
        &self,
        principal: &Principal,
        dataset: i64,
        method: Option<&str>,
        file_type: Option<&str>,
        file_id: Option<i64>,
        max_chars: Option<i64>,
    ) -> Result<TaskId> {
        let (me, dataset) = self.own_dataset(principal, dataset).await?;
        let method = method
            .and_then(AnalysisMethod::parse)
            .ok_or_else(|| Error::invalid("analysis_method", "必须是direct_segment、qa或table"))?;
        let is_folder = match file_type {
            Some("file") => false,
            Some("folder") => true,
            _ => return Err(Error::invalid("file_type", "必须是file或folder")),
        };
        if is_folder && method != AnalysisMethod::DirectSegment {
            return Err(Error::invalid("file_type", "问答和表格只支持文件"));
        }
        let file_id = file_id
            .filter(|id| *id > 0)
            .ok_or_else(|| Error::invalid("file_id", "必须大于0"))?;
        let rules = match max_chars {
            None => SegmentRules::default(),
            Some(chars) => {
                let chars = usize::try_from(chars).unwrap_or(0);
                if !(SegmentRules::MIN_MAX_CHARS..=SegmentRules::MAX_MAX_CHARS).contains(&chars) {
                    return Err(Error::invalid("segment_size", "必须在100到3000之间"));
                }
                SegmentRules { max_chars: chars }
            }
        };
        let kind = if is_folder { ItemKind::Folder } else { ItemKind::File };
        let item = self
            .live(principal, ItemId(file_id), kind, Capability::Download)
            .await?;
        let files: Vec<(ItemId, String)> = if is_folder {
            let below = self.repo.list_live_subtree(item.id).await?;
            let files: Vec<(ItemId, String)> = below
                .into_iter()
                .filter(|(member, _)| !member.is_folder() && method.accepts(&member.name))
                .map(|(member, _)| (member.id, member.name))
                .collect();
            if files.len() > MAX_TASK_FILES {
                return Err(Error::invalid("file_id", "文件夹中可训练的文件超过2000个"));
            }
            files
        } else {
            if !method.accepts(&item.name) {
                let kinds = match method {
                    AnalysisMethod::DirectSegment => "docx、txt、md、pdf",
                    AnalysisMethod::Qa => "csv、xlsx",
                    AnalysisMethod::Table => "xlsx",
                };
                return Err(Error::invalid("file_id", format!("只支持{kinds}文件")));
            }
            vec![(item.id, item.name.clone())]
        };
        let task = NewTask {
            dataset_id: dataset.id,
            item_id: item.id,
            is_folder,
            name: item.name,
            method,
            rules,
            added_by: me,
            now: self.clock.now(),
        };
        Ok(self.repo.create_task(&task, &files).await?)
    }

    /// `knowledge/list_train_file`: the tasks of one `task_type`, with how their files stand.
    pub async fn list_train_tasks(
        &self,
        principal: &Principal,
        dataset: i64,
        task_type: Option<&str>,
        page: Page,
    ) -> Result<(Vec<TaskProgress>, i64)> {
        let dataset = self.dataset(principal, dataset).await?;
        let methods = task_type
            .and_then(methods_of_task_type)
            .ok_or_else(|| Error::invalid("task_type", "必须是direct_segment或csv_qa_import"))?;
        Ok(self.repo.list_tasks(dataset.id, methods, page).await?)
    }

    /// Removes a task: its files' segments leave the dataset.
    pub async fn delete_train_task(&self, principal: &Principal, dataset: i64, task: i64) -> Result<()> {
        let dataset = self.dataset(principal, dataset).await?;
        if !self
            .repo
            .delete_task(dataset.id, TaskId(task), self.clock.now())
            .await?
        {
            return Err(Error::invalid("id", "训练任务不存在"));
        }
        Ok(())
    }

    /// `knowledge/list_data_segment` (`qa`: false) and `list_data_qa` (`qa`: true).
    pub async fn list_dataset_segments(
        &self,
        principal: &Principal,
        dataset: i64,
        qa: bool,
        page: Page,
    ) -> Result<(Vec<Segment>, i64)> {
        let (me, dataset) = self.own_dataset(principal, dataset).await?;
        self.readable_segments(me, dataset.id, qa, page).await
    }

    /// A page of a dataset's passages or pairs, without those of files `reader` may no
    /// longer read; and how many the dataset has.
    pub(crate) async fn readable_segments(
        &self,
        reader: UserId,
        dataset: DatasetId,
        qa: bool,
        page: Page,
    ) -> Result<(Vec<Segment>, i64)> {
        let (segments, total) = self.repo.list_segments(dataset, qa, page).await?;
        // What was trained from a file the caller may no longer read is not shown (the total
        // still counts it, until the trainer drops it).
        let mut readable: HashMap<ItemId, bool> = HashMap::new();
        let mut shown = Vec::with_capacity(segments.len());
        for segment in segments {
            if self.may_read(reader, segment.file_id, &mut readable).await? {
                shown.push(segment);
            }
        }
        Ok((shown, total))
    }

    /// Whether `reader` may download `file` now, remembered in `known`.
    async fn may_read(&self, reader: UserId, file: ItemId, known: &mut HashMap<ItemId, bool>) -> Result<bool> {
        if let Some(may) = known.get(&file) {
            return Ok(*may);
        }
        let may = match self.repo.find_item(file).await? {
            Some(item) => self.holder_may(reader.0, &item, Capability::Download).await?,
            None => false,
        };
        known.insert(file, may);
        Ok(may)
    }

    /// `knowledge/data_match_test`: the dataset's best segments for `question`, best first,
    /// only of files the caller may read now.
    pub async fn match_test(
        &self,
        principal: &Principal,
        dataset: i64,
        question: Option<&str>,
    ) -> Result<Vec<(Segment, f32)>> {
        let (me, dataset) = self.own_dataset(principal, dataset).await?;
        let question = question.map(str::trim).unwrap_or_default();
        if question.is_empty() {
            return Err(Error::invalid("question", "不能为空"));
        }
        if question.chars().count() > 1000 {
            return Err(Error::invalid("question", "长度不能超过1000个字符"));
        }
        let found = self.retrieve(me, &[dataset.id], question, MATCH_HITS).await?;
        Ok(found.into_iter().map(|(segment, hit)| (segment, hit.score)).collect())
    }

    /// The best segments of `datasets` for `question` that `reader` may read now.
    pub(crate) async fn retrieve(
        &self,
        reader: UserId,
        datasets: &[DatasetId],
        question: &str,
        limit: usize,
    ) -> Result<Vec<(Segment, crate::knowledge::Hit)>> {
        let engine = self.knowledge_engine()?;
        // Retrieval's cost grows with the question's terms: a long question is cut.
        let question: String = question.chars().take(RETRIEVAL_CHARS).collect();
        let question = question.as_str();
        // Asked for more than wanted: some may be of files the reader may not read.
        let hits = engine.retrieve(datasets, question, limit * 2).await?;
        let ids: Vec<_> = hits.iter().map(|hit| hit.segment).collect();
        let mut found: HashMap<_, Segment> = self
            .repo
            .find_segments(&ids)
            .await?
            .into_iter()
            .map(|segment| (segment.id, segment))
            .collect();
        let mut readable: HashMap<ItemId, bool> = HashMap::new();
        let mut out = Vec::new();
        for hit in hits {
            let Some(segment) = found.remove(&hit.segment) else {
                continue;
            };
            if datasets.contains(&segment.dataset_id) && self.may_read(reader, segment.file_id, &mut readable).await? {
                out.push((segment, hit));
                if out.len() == limit {
                    break;
                }
            }
        }
        Ok(out)
    }

    /// Follows the drive (the background trainers call this now and then): trained files
    /// with a new version are queued again, trashed and deleted files leave their datasets.
    pub async fn follow_trained_files(&self) -> Result<u64> {
        Ok(self.repo.follow_trained_files(self.clock.now()).await?)
    }

    /// Trains the due files (the background trainers call this on every node): claims a few
    /// jobs, reads each file, stores what it makes. How many jobs it ran.
    pub async fn train_due_files(&self) -> Result<usize> {
        let Some(engine) = self.knowledge.clone() else {
            return Ok(0);
        };
        let now = self.clock.now();
        let jobs = self.repo.claim_train_jobs(now, TRAIN_LEASE_SECS, TRAIN_BATCH).await?;
        let count = jobs.len();
        for job in jobs {
            let (id, attempts) = (job.id, job.attempts);
            // One job's failure must not hold the batch's others until their leases run out.
            if let Err(err) = self.train(engine.as_ref(), job).await {
                tracing::warn!(error = ?err, job = id.0, "training a file failed");
                self.repo.release_train_job(id, now + 30 * attempts).await?;
            }
        }
        Ok(count)
    }

    async fn train(&self, engine: &dyn KnowledgeEngine, job: TrainJob) -> Result<()> {
        // Claimed this often, the job keeps ending without an answer (its node died in it, or
        // errors): it is given up rather than tried forever.
        if job.attempts > TRAIN_ATTEMPTS {
            return Ok(self
                .repo
                .fail_train_job(job.id, "多次训练未能完成", self.clock.now())
                .await?);
        }
        match self.train_outcome(engine, &job).await? {
            Outcome::Trained(version, trained, embedded) => {
                self.repo
                    .finish_train_job(job.id, version, &trained, embedded.as_ref(), self.clock.now())
                    .await?;
            }
            Outcome::Failed(reason) => self.repo.fail_train_job(job.id, &reason, self.clock.now()).await?,
            Outcome::Retry { error, reason } => {
                tracing::warn!(%error, job = job.id.0, "training a file failed, to be tried again");
                if job.attempts >= TRAIN_ATTEMPTS {
                    self.repo.fail_train_job(job.id, reason, self.clock.now()).await?;
                } else {
                    let retry_at = self.clock.now() + 30 * job.attempts;
                    self.repo.release_train_job(job.id, retry_at).await?;
                }
            }
        }
        Ok(())
    }

    /// What training `job`'s file makes, or why it cannot.
    async fn train_outcome(&self, engine: &dyn KnowledgeEngine, job: &TrainJob) -> Result<Outcome> {
        let failed = |reason: &str| Ok(Outcome::Failed(reason.to_owned()));
        let file = match self.repo.find_item(job.file_id).await? {
            Some(file) if file.trash.is_none() => file,
            _ => return failed("文件已删除"),
        };
        if !self.holder_may(job.added_by.0, &file, Capability::Download).await? {
            return failed("添加者已无权读取此文件");
        }
        if !job.method.accepts(&file.name) {
            return failed("不支持的文件类型");
        }
        let version = match file.current_version_id {
            Some(id) => self.repo.find_version(id).await?,
            None => None,
        };
        let Some(version) = version else {
            return failed("文件没有内容");
        };
        if version.size > MAX_TRAIN_BYTES {
            return failed("文件超过32MB");
        }
        let bytes = match self.read_whole(&version.storage_key).await {
            Ok(bytes) => bytes,
            Err(error) => {
                return Ok(Outcome::Retry {
                    error,
                    reason: "文件内容读取失败",
                });
            }
        };
        let made = match job.method {
            AnalysisMethod::DirectSegment => engine
                .document_text(&file.name, bytes)
                .await
                .map(|text| Trained::Segments(crate::knowledge::segment(&text, job.rules))),
            AnalysisMethod::Qa => engine
                .table_rows(&file.name, bytes)
                .await
                .map(|rows| Trained::Pairs(crate::knowledge::pairs_of(&rows))),
            AnalysisMethod::Table => engine
                .table_rows(&file.name, bytes)
                .await
                .map(|rows| Trained::Segments(crate::knowledge::table_passages(&rows))),
        };
        match made {
            Ok(Trained::Segments(passages)) if passages.is_empty() => failed("文件中没有可读取的文字"),
            Ok(Trained::Pairs(pairs)) if pairs.is_empty() => failed("没有找到问题和答案两列"),
            Ok(trained) => match engine.embed(&trained.texts()).await {
                Ok(embedded) => Ok(Outcome::Trained(version.id, trained, embedded)),
                Err(failure) => Ok(Outcome::Retry {
                    error: failure.0,
                    reason: "向量模型暂时无法使用",
                }),
            },
            Err(failure) => failed(&failure.0),
        }
    }

    /// The whole content of a blob (bounded by the caller).
    async fn read_whole(&self, key: &str) -> std::result::Result<Vec<u8>, String> {
        let mut stream = self.blobs.get(key, None).await.map_err(|err| err.to_string())?;
        let mut bytes = Vec::new();
        while let Some(chunk) = stream.next().await {
            bytes.extend_from_slice(&chunk.map_err(|err| err.to_string())?);
        }
        Ok(bytes)
    }
}
