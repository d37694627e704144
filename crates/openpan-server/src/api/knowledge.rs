//! `/api/v2/knowledge/*` (user token): the caller's datasets, the drive files they train
//! from, their passages and question/answer pairs, and match tests. Bodies are JSON; lists
//! page from 1 with `page_no`/`page_size` (training tasks: `page_num`/`page_size`).

use axum::Json;
use axum::extract::State;
use serde::Deserialize;

use openpan_core::knowledge::{Dataset, Segment, TaskProgress};
use openpan_core::model::Page;
use openpan_types as wire;

use crate::AppState;
use crate::error::{ApiError, Result};
use crate::extract::{Caller, JsonBody, lenient_i64, lenient_string};

/// What the knowledge calls name: a dataset, and what each call adds.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[schema(as = KnowledgeRequest)]
pub struct KnowledgeArgs {
    /// The dataset.
    #[serde(default, deserialize_with = "lenient_i64")]
    #[schema(minimum = 1)]
    data_id: Option<i64>,
    /// `create_data`, `edit_data`: 1–50 characters.
    #[serde(default, deserialize_with = "lenient_string")]
    name: Option<String>,
    /// `create_data`, `edit_data`: at most 500 characters.
    #[serde(default, deserialize_with = "lenient_string")]
    description: Option<String>,
    /// `delete_train_file`: the task.
    #[serde(default, deserialize_with = "lenient_i64")]
    id: Option<i64>,
    /// `data_match_test`: the question.
    #[serde(default, deserialize_with = "lenient_string")]
    question: Option<String>,
    /// Lists: from 1.
    #[serde(default, deserialize_with = "lenient_i64")]
    #[schema(minimum = 1)]
    page_no: Option<i64>,
    /// `list_train_file`: from 1.
    #[serde(default, deserialize_with = "lenient_i64")]
    #[schema(minimum = 1)]
    page_num: Option<i64>,
    /// Entries per page.
    #[serde(default, deserialize_with = "lenient_i64")]
    #[schema(minimum = 1, maximum = 1000)]
    page_size: Option<i64>,
    /// `list_train_file`: `direct_segment`, `csv_qa_import` or `table`.
    #[serde(default, deserialize_with = "lenient_string")]
    task_type: Option<String>,
}

/// `add_train_file`'s body.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[schema(as = TrainFileRequest)]
pub struct TrainFileArgs {
    #[serde(default, deserialize_with = "lenient_i64")]
    #[schema(value_type = i64, required, minimum = 1)]
    data_id: Option<i64>,
    /// `direct_segment` (docx, txt, md, pdf; files or folders), `qa` (csv, xlsx) or `table`
    /// (xlsx).
    #[serde(default, deserialize_with = "lenient_string")]
    #[schema(value_type = String, required)]
    analysis_method: Option<String>,
    /// `file` or `folder`.
    #[serde(default, deserialize_with = "lenient_string")]
    #[schema(value_type = String, required)]
    file_type: Option<String>,
    #[serde(default, deserialize_with = "lenient_i64")]
    #[schema(value_type = i64, required, minimum = 1)]
    file_id: Option<i64>,
    /// `direct_segment`'s training parameters.
    #[serde(default)]
    train_params: Option<TrainParams>,
}

/// How passages are cut.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct TrainParams {
    /// Characters a passage holds at most (100–3000, default 500).
    #[serde(default, deserialize_with = "lenient_i64")]
    #[schema(minimum = 100, maximum = 3000)]
    segment_size: Option<i64>,
}

impl KnowledgeArgs {
    fn dataset(&self) -> Result<i64> {
        self.data_id.ok_or_else(|| ApiError::field("data_id", "不能为空"))
    }

    /// A 1-based page (`number` names its field); `page_size` defaults to `default_size`.
    fn page(&self, number: (&str, Option<i64>), default_size: i64) -> Result<(Page, i64, i64)> {
        let (field, value) = number;
        let page_no = value.unwrap_or(1);
        if page_no < 1 {
            return Err(ApiError::field(field, "必须大于等于1"));
        }
        let size = self.page_size.unwrap_or(default_size);
        if !(1..=Page::MAX_CAPACITY).contains(&size) {
            return Err(ApiError::field("page_size", "必须在1到1000之间"));
        }
        let page = Page::parse(Some(page_no - 1), Some(size))?;
        Ok((page, page_no, size))
    }
}

fn dataset_info(dataset: &Dataset) -> wire::DatasetInfo {
    wire::DatasetInfo {
        id: dataset.id.0,
        name: dataset.name.clone(),
        description: dataset.description.clone(),
        segment_count: dataset.segment_count,
        qa_count: dataset.qa_count,
        train_file_count: dataset.task_count,
        created_at: dataset.created_at,
        modified_at: dataset.modified_at,
    }
}

fn dataset_answer(dataset: &Dataset) -> wire::DatasetAnswer {
    wire::DatasetAnswer {
        success: true,
        data_id: dataset.id.0,
        data: dataset_info(dataset),
    }
}

fn success() -> Json<wire::SuccessBody> {
    Json(wire::SuccessBody { success: true })
}

/// Creates a dataset of the caller's.
#[utoipa::path(post, path = "/knowledge/create_data", tag = "knowledge", request_body = KnowledgeArgs,
    responses((status = 200, body = wire::DatasetAnswer)))]
pub async fn create_data(
    State(state): State<AppState>,
    Caller(principal): Caller,
    JsonBody(args): JsonBody<KnowledgeArgs>,
) -> Result<Json<wire::DatasetAnswer>> {
    let dataset = state
        .core
        .create_dataset(&principal, args.name.as_deref(), args.description.as_deref())
        .await?;
    Ok(Json(dataset_answer(&dataset)))
}

/// One of the caller's datasets.
#[utoipa::path(post, path = "/knowledge/get_data_info", tag = "knowledge", request_body = KnowledgeArgs,
    responses((status = 200, body = wire::DatasetAnswer)))]
pub async fn get_data_info(
    State(state): State<AppState>,
    Caller(principal): Caller,
    JsonBody(args): JsonBody<KnowledgeArgs>,
) -> Result<Json<wire::DatasetAnswer>> {
    let dataset = state.core.dataset(&principal, args.dataset()?).await?;
    Ok(Json(dataset_answer(&dataset)))
}

/// Renames or describes a dataset (what is absent stays).
#[utoipa::path(post, path = "/knowledge/edit_data", tag = "knowledge", request_body = KnowledgeArgs,
    responses((status = 200, body = wire::DatasetAnswer)))]
pub async fn edit_data(
    State(state): State<AppState>,
    Caller(principal): Caller,
    JsonBody(args): JsonBody<KnowledgeArgs>,
) -> Result<Json<wire::DatasetAnswer>> {
    let dataset = state
        .core
        .update_dataset(
            &principal,
            args.dataset()?,
            args.name.as_deref(),
            args.description.as_deref(),
        )
        .await?;
    Ok(Json(dataset_answer(&dataset)))
}

/// The caller's datasets, newest first.
#[utoipa::path(post, path = "/knowledge/list_data", tag = "knowledge", request_body = Option<KnowledgeArgs>,
    responses((status = 200, body = wire::DatasetList)))]
pub async fn list_data(
    State(state): State<AppState>,
    Caller(principal): Caller,
    JsonBody(args): JsonBody<KnowledgeArgs>,
) -> Result<Json<wire::DatasetList>> {
    let (page, _, _) = args.page(("page_no", args.page_no), 20)?;
    let (datasets, total) = state.core.list_datasets(&principal, page).await?;
    Ok(Json(wire::DatasetList {
        data_list: datasets.iter().map(dataset_info).collect(),
        total,
        success: true,
    }))
}

/// Deletes a dataset with everything trained into it (the drive files stay).
#[utoipa::path(post, path = "/knowledge/delete_data", tag = "knowledge", request_body = KnowledgeArgs,
    responses((status = 200, body = wire::SuccessBody)))]
pub async fn delete_data(
    State(state): State<AppState>,
    Caller(principal): Caller,
    JsonBody(args): JsonBody<KnowledgeArgs>,
) -> Result<Json<wire::SuccessBody>> {
    state.core.delete_dataset(&principal, args.dataset()?).await?;
    Ok(success())
}

/// Adds a drive file, or a folder's files, to a dataset; training runs in the background
/// (`list_train_file` shows how it stands). The caller must be allowed to download it.
#[utoipa::path(post, path = "/knowledge/add_train_file", tag = "knowledge", request_body = TrainFileArgs,
    responses((status = 200, body = wire::TrainFileAdded)))]
pub async fn add_train_file(
    State(state): State<AppState>,
    Caller(principal): Caller,
    JsonBody(args): JsonBody<TrainFileArgs>,
) -> Result<Json<wire::TrainFileAdded>> {
    let dataset = args.data_id.ok_or_else(|| ApiError::field("data_id", "不能为空"))?;
    let task = state
        .core
        .add_train_file(
            &principal,
            dataset,
            args.analysis_method.as_deref(),
            args.file_type.as_deref(),
            args.file_id,
            args.train_params.and_then(|params| params.segment_size),
        )
        .await?;
    Ok(Json(wire::TrainFileAdded {
        success: true,
        id: task.0,
    }))
}

fn train_file_info(progress: &TaskProgress) -> wire::TrainFileInfo {
    let status = progress.status();
    wire::TrainFileInfo {
        id: progress.task.id.0,
        file_name: progress.task.name.clone(),
        file_id: progress.task.item_id.0,
        file_type: if progress.task.is_folder { "folder" } else { "file" }.to_owned(),
        status: status.code(),
        state: status.as_str().to_owned(),
        analysis_method: progress.task.method.as_str().to_owned(),
        file_count: progress.files,
        done_count: progress.done,
        failed_count: progress.failed_count,
        failed_files: progress
            .failed
            .iter()
            .map(|failed| wire::FailedTrainFile {
                file_id: failed.file_id.0,
                file_name: failed.file_name.clone(),
                reason: failed.reason.clone(),
            })
            .collect(),
    }
}

/// A dataset's training tasks of one type, newest first, with how their files stand.
#[utoipa::path(post, path = "/knowledge/list_train_file", tag = "knowledge", request_body = KnowledgeArgs,
    responses((status = 200, body = wire::TrainFileList)))]
pub async fn list_train_file(
    State(state): State<AppState>,
    Caller(principal): Caller,
    JsonBody(args): JsonBody<KnowledgeArgs>,
) -> Result<Json<wire::TrainFileList>> {
    let (page, page_num, page_size) = args.page(("page_num", args.page_num), 10)?;
    let (tasks, total) = state
        .core
        .list_train_tasks(&principal, args.dataset()?, args.task_type.as_deref(), page)
        .await?;
    Ok(Json(wire::TrainFileList {
        train_file_info: tasks.iter().map(train_file_info).collect(),
        total,
        page_size,
        page_num,
    }))
}

/// Removes a training task: what its files trained leaves the dataset.
#[utoipa::path(post, path = "/knowledge/delete_train_file", tag = "knowledge", request_body = KnowledgeArgs,
    responses((status = 200, body = wire::SuccessBody)))]
pub async fn delete_train_file(
    State(state): State<AppState>,
    Caller(principal): Caller,
    JsonBody(args): JsonBody<KnowledgeArgs>,
) -> Result<Json<wire::SuccessBody>> {
    let task = args.id.ok_or_else(|| ApiError::field("id", "不能为空"))?;
    state.core.delete_train_task(&principal, args.dataset()?, task).await?;
    Ok(success())
}

/// The paging every segment list requires: `page_no` and `page_size`, both from 1.
fn required_page(args: &KnowledgeArgs) -> Result<Page> {
    if args.page_no.is_none() {
        return Err(ApiError::field("page_no", "不能为空"));
    }
    if args.page_size.is_none() {
        return Err(ApiError::field("page_size", "不能为空"));
    }
    Ok(args.page(("page_no", args.page_no), 10)?.0)
}

/// A dataset's passages, a page at a time.
#[utoipa::path(post, path = "/knowledge/list_data_segment", tag = "knowledge", request_body = KnowledgeArgs,
    responses((status = 200, body = wire::SegmentList)))]
pub async fn list_data_segment(
    State(state): State<AppState>,
    Caller(principal): Caller,
    JsonBody(args): JsonBody<KnowledgeArgs>,
) -> Result<Json<wire::SegmentList>> {
    let page = required_page(&args)?;
    let (segments, total) = state
        .core
        .list_dataset_segments(&principal, args.dataset()?, false, page)
        .await?;
    Ok(Json(wire::SegmentList {
        segment_list: segments
            .into_iter()
            .map(|segment: Segment| wire::SegmentEntry {
                file_content_size: i64::try_from(segment.content.chars().count()).unwrap_or(i64::MAX),
                extension: openpan_core::drive::extension(&segment.file_name),
                content: segment.content,
                file_id: segment.file_id.0.to_string(),
                file_name: segment.file_name,
                id: segment.id.0.to_string(),
            })
            .collect(),
        total,
        success: true,
    }))
}

/// A dataset's question/answer pairs, a page at a time.
#[utoipa::path(post, path = "/knowledge/list_data_qa", tag = "knowledge", request_body = KnowledgeArgs,
    responses((status = 200, body = wire::QaList)))]
pub async fn list_data_qa(
    State(state): State<AppState>,
    Caller(principal): Caller,
    JsonBody(args): JsonBody<KnowledgeArgs>,
) -> Result<Json<wire::QaList>> {
    let page = required_page(&args)?;
    let (pairs, total) = state
        .core
        .list_dataset_segments(&principal, args.dataset()?, true, page)
        .await?;
    Ok(Json(wire::QaList {
        qa_list: pairs
            .into_iter()
            .map(|pair| wire::QaEntry {
                answer: pair.content,
                question: pair.question.unwrap_or_default(),
                file_id: pair.file_id.0.to_string(),
                file_name: pair.file_name,
                id: pair.id.0.to_string(),
            })
            .collect(),
        total,
        success: true,
    }))
}

/// What a question finds in a dataset: its best passages and pairs, best first, of files the
/// caller may read now.
#[utoipa::path(post, path = "/knowledge/data_match_test", tag = "knowledge", request_body = KnowledgeArgs,
    responses((status = 200, body = wire::MatchResultList)))]
pub async fn data_match_test(
    State(state): State<AppState>,
    Caller(principal): Caller,
    JsonBody(args): JsonBody<KnowledgeArgs>,
) -> Result<Json<wire::MatchResultList>> {
    let hits = state
        .core
        .match_test(&principal, args.dataset()?, args.question.as_deref())
        .await?;
    Ok(Json(wire::MatchResultList {
        match_result_list: hits
            .into_iter()
            .map(|(segment, score)| wire::MatchResult {
                vector_text: segment.question.clone().unwrap_or_else(|| segment.content.clone()),
                answer: segment.content,
                file_id: segment.file_id.0,
                file_name: segment.file_name,
                id: segment.id.0,
                score,
                task_type: segment.method.task_type().to_owned(),
            })
            .collect(),
        success: true,
    }))
}
