//! The knowledge bases' answers (`/api/v2/knowledge/…`): datasets, training tasks, segments,
//! question/answer pairs and match tests, in the seed's shapes (its lists page with
//! `page_no`/`page_size`, or `page_num`/`page_size`, from 1).

use serde::{Deserialize, Serialize};

/// A dataset: passages and question/answer pairs trained from drive files.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DatasetInfo {
    /// Dataset id (`data_id` elsewhere).
    pub id: i64,
    /// 1–50 characters.
    pub name: String,
    /// What it is about, `""` when nothing.
    pub description: String,
    /// Passages trained (`direct_segment` and `table`).
    pub segment_count: i64,
    /// Question/answer pairs trained (`qa`).
    pub qa_count: i64,
    /// Files and folders added for training.
    pub train_file_count: i64,
    /// Epoch seconds.
    pub created_at: i64,
    /// Epoch seconds of the last change of its settings, tasks or segments.
    pub modified_at: i64,
}

/// The answer of `create_data`, `get_data_info` and `edit_data`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DatasetAnswer {
    /// Always true: failures use the error envelope.
    pub success: bool,
    /// The dataset's id.
    pub data_id: i64,
    /// The dataset.
    pub data: DatasetInfo,
}

/// The answer of `list_data`: the caller's datasets, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DatasetList {
    /// One page.
    pub data_list: Vec<DatasetInfo>,
    /// Datasets in all.
    pub total: i64,
    /// Always true.
    pub success: bool,
}

/// The answer of `add_train_file`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TrainFileAdded {
    /// Always true.
    pub success: bool,
    /// The training task's id, as `list_train_file` shows it.
    pub id: i64,
}

/// A file of a training task that could not be trained.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FailedTrainFile {
    /// The drive file.
    pub file_id: i64,
    /// Its name.
    pub file_name: String,
    /// Why, in words for people (Chinese).
    pub reason: String,
}

/// A training task: a drive file or folder added to a dataset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TrainFileInfo {
    /// Task id.
    pub id: i64,
    /// The file's or folder's name when added.
    pub file_name: String,
    /// The drive file or folder.
    pub file_id: i64,
    /// `file` or `folder`.
    pub file_type: String,
    /// 0 queued, 1 training, 2 done, 3 failed (every file failed).
    pub status: i64,
    /// `queued`, `running`, `done` or `failed`: `status` in words.
    pub state: String,
    /// `direct_segment`, `qa` or `table`.
    pub analysis_method: String,
    /// Files the task trains (1 for a file).
    pub file_count: i64,
    /// Of them, trained.
    pub done_count: i64,
    /// Of them, failed.
    pub failed_count: i64,
    /// The first files that failed, with why.
    pub failed_files: Vec<FailedTrainFile>,
}

/// The answer of `list_train_file`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TrainFileList {
    /// One page, newest first.
    pub train_file_info: Vec<TrainFileInfo>,
    /// Tasks of this type in all.
    pub total: i64,
    /// As asked (default 10).
    pub page_size: i64,
    /// As asked, from 1.
    pub page_num: i64,
}

/// A passage of a trained file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SegmentEntry {
    /// The passage.
    pub content: String,
    /// The file's extension, lower case.
    pub extension: String,
    /// Characters in the passage.
    pub file_content_size: i64,
    /// The drive file (a string, as the seed prints it).
    pub file_id: String,
    /// Its name.
    pub file_name: String,
    /// Segment id (a string, as the seed prints it).
    pub id: String,
}

/// The answer of `list_data_segment`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SegmentList {
    /// One page, in the order of the files and their text.
    pub segment_list: Vec<SegmentEntry>,
    /// Passages in all.
    pub total: i64,
    /// Always true.
    pub success: bool,
}

/// A question and its answer, from a trained table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QaEntry {
    /// The answer.
    pub answer: String,
    /// The question.
    pub question: String,
    /// The drive file (a string, as the seed prints it).
    pub file_id: String,
    /// Its name.
    pub file_name: String,
    /// Pair id (a string, as the seed prints it).
    pub id: String,
}

/// The answer of `list_data_qa`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QaList {
    /// One page, in the order of the files and their rows.
    pub qa_list: Vec<QaEntry>,
    /// Pairs in all.
    pub total: i64,
    /// Always true.
    pub success: bool,
}

/// A segment a question matched.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MatchResult {
    /// The passage, or the pair's answer.
    pub answer: String,
    /// The drive file.
    pub file_id: i64,
    /// Its name.
    pub file_name: String,
    /// Segment id.
    pub id: i64,
    /// Relevance (BM25); higher is better.
    pub score: f32,
    /// `direct_segment`, `csv_qa_import` or `table`.
    pub task_type: String,
    /// The text matched: the passage, or the pair's question.
    pub vector_text: String,
}

/// The answer of `data_match_test`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MatchResultList {
    /// Best first.
    pub match_result_list: Vec<MatchResult>,
    /// Always true.
    pub success: bool,
}

/// `create_gpt`'s answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GptCreated {
    /// The knowledge GPT's id (`knowledge_gpt_id` elsewhere).
    pub id: i64,
}

/// A labelled group of suggested questions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SuggestedQuestionGroup {
    /// At most 20 characters; `默认` for questions given without a group.
    pub label: String,
    /// At most 20 questions of 200 characters.
    pub question: Vec<String>,
}

/// What a GPT's owner sets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GptBaseInfo {
    /// 1–50 characters.
    pub name: String,
    /// What it is for.
    pub intro: String,
    /// The setting the model is given before the conversation.
    pub system_prompt: String,
    /// The opening line.
    pub chat_intro: String,
    /// The datasets it answers from (deleted ones drop out).
    pub data_ids: Vec<i64>,
    /// The answer when nothing relevant is found in the datasets.
    pub no_recall_replay: String,
    /// Whether files it cites may be previewed.
    pub show_preview: bool,
    /// Whether answers name the files they drew from.
    pub show_doc_source: bool,
    /// Suggested questions in labelled groups.
    pub suggested_question_complex: Vec<SuggestedQuestionGroup>,
    /// 0.3–0.9.
    pub temperature: f64,
}

/// How a GPT is shared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GptShareInfo {
    /// Whether the share is on.
    pub status: bool,
    /// The share's last second, as `2024-08-29T15:59:59.000+0000`; `null`: it does not expire.
    pub expiration: Option<String>,
    /// `enterprise` (the owner's colleagues) or `public` (also anyone holding the token).
    pub show_scope: String,
    /// The share token (the owner's view only; `""` before the first share).
    pub token: String,
}

/// Whether a GPT is on the enterprise's square.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GptSquareInfo {
    /// Whether it is on the square.
    pub publish_square_enabled: bool,
    /// With `view_scope` `selected`: who sees it (the owner's view only).
    pub user_ids: Vec<i64>,
    /// `all` (the whole enterprise) or `selected`.
    pub view_scope: String,
}

/// `get_gpt_info`'s answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GptInfo {
    /// The GPT.
    pub knowledge_gpt_id: i64,
    /// Its settings.
    pub base_info: GptBaseInfo,
    /// Its share.
    pub share_info: GptShareInfo,
    /// Its place on the square.
    pub square_info: GptSquareInfo,
}

/// A GPT in a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GptSummary {
    /// The GPT.
    pub id: i64,
    /// 1–50 characters.
    pub name: String,
    /// The setting.
    pub system_prompt: String,
    /// What it is for.
    pub intro: String,
    /// The opening line.
    pub chat_intro: String,
    /// Every suggested question, groups flattened.
    pub suggested_question: Vec<String>,
}

/// `knowledge/list`'s answer (the seed's capital `K`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GptList {
    /// The GPTs.
    #[serde(rename = "Knowledge_gpt_list")]
    pub knowledge_gpt_list: Vec<GptSummary>,
    /// Always true: failures use the error envelope.
    pub success: bool,
}

/// `ai_chat`'s answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AiChatAnswer {
    /// The answer.
    pub result: String,
    /// Always true: failures use the error envelope.
    pub success: bool,
}

/// `get_ai_file_detail`'s answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AiFileDetail {
    /// Always true: failures use the error envelope.
    pub success: bool,
    /// Questions a reader might ask.
    pub suggestion_list: Vec<String>,
    /// A Markdown outline of the files.
    pub summary_mind_map: String,
}

/// A piece of an answer, as `chatStream` sends it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChatDelta {
    /// Text of the answer.
    pub content: String,
    /// Always `assistant`.
    pub role: String,
}

/// A frame's one choice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChatChoice {
    /// This frame's piece.
    pub delta: ChatDelta,
    /// `"null"` (a string, as the platform sends it) until the last frame's `"stop"`.
    #[serde(rename = "finishReason")]
    pub finish_reason: String,
    /// Always 0.
    pub index: i64,
    /// This frame's piece (again, as the platform sends it).
    pub message: ChatDelta,
}

/// A file an answer drew from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChatSource {
    /// The drive file.
    pub file_id: i64,
    /// Its name.
    pub file_name: String,
}

/// One `data:` frame of `chatStream`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChatFrame {
    /// One choice.
    pub choices: Vec<ChatChoice>,
    /// Always 0.
    pub created: i64,
    /// Always `""`.
    pub object: String,
    /// The last frame's, when the GPT shows its sources: the files drawn from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sources: Option<Vec<ChatSource>>,
}
