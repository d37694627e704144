//! `/api/v2/knowledge/*` (user token), the knowledge GPTs and chat: GPTs' settings, sharing
//! and the square; `chatStream` (server-sent `data:` frames in the platform's shape),
//! `ai_chat` and `get_ai_file_detail`.

use std::convert::Infallible;

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use serde::Deserialize;

use openpan_core::gpt::{Gpt, GptAccess, SuggestedQuestions};
use openpan_core::services::{ChatAsk, GptChanges, ShareChanges, SquareChanges, expiration_text};
use openpan_types as wire;

use crate::AppState;
use crate::error::{ApiError, Result};
use crate::extract::{Caller, JsonBody, id_list, lenient_bool, lenient_f64, lenient_i64, lenient_string};

/// A group of suggested questions as sent.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct QuestionGroupArgs {
    #[serde(default, deserialize_with = "lenient_string")]
    label: Option<String>,
    #[serde(default)]
    question: Vec<String>,
}

/// `share_info` as sent to `edit_gpt_info`.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct ShareArgs {
    /// Turns the share on or off; the first time on makes its token.
    #[serde(default, deserialize_with = "lenient_bool")]
    status: Option<bool>,
    /// `yyyy-MM-dd` (through that day, China time), an ISO-8601 time, or `""`: no end.
    #[serde(default, deserialize_with = "lenient_string")]
    expiration: Option<String>,
    /// `enterprise` or `public`.
    #[serde(default, deserialize_with = "lenient_string")]
    show_scope: Option<String>,
}

/// `square_info` as sent to `edit_gpt_info`.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct SquareArgs {
    #[serde(default, deserialize_with = "lenient_bool")]
    publish_square_enabled: Option<bool>,
    /// Colleagues who see it with `view_scope` `selected`.
    #[serde(default)]
    #[schema(value_type = Option<Vec<i64>>)]
    user_ids: Option<Vec<serde_json::Value>>,
    /// `all` or `selected`.
    #[serde(default, deserialize_with = "lenient_string")]
    view_scope: Option<String>,
}

/// What the GPT calls take: the GPT, and (creating or editing) its settings.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[schema(as = GptRequest)]
pub struct GptArgs {
    /// `get_gpt_info`, `edit_gpt_info`, `delete_gpt`: the GPT.
    #[serde(default, deserialize_with = "lenient_i64")]
    knowledge_gpt_id: Option<i64>,
    /// 1–50 characters (required to create).
    #[serde(default, deserialize_with = "lenient_string")]
    name: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    intro: Option<String>,
    /// The setting; this or `data_ids` is required.
    #[serde(default, deserialize_with = "lenient_string")]
    system_prompt: Option<String>,
    /// The opening line.
    #[serde(default, deserialize_with = "lenient_string")]
    chat_intro: Option<String>,
    /// The caller's datasets it answers from (at most 20).
    #[serde(default)]
    #[schema(value_type = Option<Vec<i64>>)]
    data_ids: Option<Vec<serde_json::Value>>,
    /// The answer when nothing relevant is found.
    #[serde(default, deserialize_with = "lenient_string")]
    no_recall_replay: Option<String>,
    #[serde(default, deserialize_with = "lenient_bool")]
    show_preview: Option<bool>,
    #[serde(default, deserialize_with = "lenient_bool")]
    show_doc_source: Option<bool>,
    /// Suggested questions in labelled groups.
    #[serde(default)]
    suggested_question_complex: Option<Vec<QuestionGroupArgs>>,
    /// Suggested questions without a group (labelled `默认`).
    #[serde(default)]
    suggested_question: Option<Vec<String>>,
    /// 0.3–0.9 in tenths (default 0.6).
    #[serde(default, deserialize_with = "lenient_f64")]
    temperature: Option<f64>,
    #[serde(default)]
    share_info: Option<ShareArgs>,
    #[serde(default)]
    square_info: Option<SquareArgs>,
    /// `get_gpt_info`: a public share's token.
    #[serde(default, deserialize_with = "lenient_string")]
    token: Option<String>,
}

impl GptArgs {
    fn gpt(&self) -> Result<i64> {
        self.knowledge_gpt_id
            .ok_or_else(|| ApiError::field("knowledge_gpt_id", "不能为空"))
    }

    fn changes(self) -> Result<GptChanges> {
        let data_ids = match self.data_ids {
            Some(ids) => Some(id_list("data_ids", Some(&ids))?),
            None => None,
        };
        let mut suggested: Option<Vec<SuggestedQuestions>> = self.suggested_question_complex.map(|groups| {
            groups
                .into_iter()
                .map(|group| SuggestedQuestions {
                    label: group.label.unwrap_or_default(),
                    question: group.question,
                })
                .collect()
        });
        if let Some(plain) = self.suggested_question {
            suggested.get_or_insert_with(Vec::new).insert(
                0,
                SuggestedQuestions {
                    label: "默认".to_owned(),
                    question: plain,
                },
            );
        }
        let square = match self.square_info {
            Some(square) => Some(SquareChanges {
                publish_square_enabled: square.publish_square_enabled,
                view_scope: square.view_scope,
                user_ids: match square.user_ids {
                    Some(ids) => Some(id_list("user_ids", Some(&ids))?),
                    None => None,
                },
            }),
            None => None,
        };
        Ok(GptChanges {
            name: self.name,
            intro: self.intro,
            system_prompt: self.system_prompt,
            chat_intro: self.chat_intro,
            data_ids,
            no_recall_replay: self.no_recall_replay,
            show_preview: self.show_preview,
            show_doc_source: self.show_doc_source,
            suggested,
            temperature: self.temperature,
            share: self.share_info.map(|share| ShareChanges {
                status: share.status,
                expiration: share.expiration,
                show_scope: share.show_scope,
            }),
            square,
        })
    }
}

/// A GPT as `get_gpt_info` shows it; who is not its owner sees neither its share token nor
/// whom it is published to.
fn gpt_info(gpt: Gpt, access: GptAccess) -> wire::GptInfo {
    let owner = access == GptAccess::Owner;
    let settings = gpt.settings;
    wire::GptInfo {
        knowledge_gpt_id: gpt.id.0,
        base_info: wire::GptBaseInfo {
            name: settings.name,
            intro: settings.intro,
            system_prompt: settings.system_prompt,
            chat_intro: settings.chat_intro,
            data_ids: settings.data_ids.iter().map(|id| id.0).collect(),
            no_recall_replay: settings.no_recall_replay,
            show_preview: settings.show_preview,
            show_doc_source: settings.show_doc_source,
            suggested_question_complex: settings
                .suggested
                .into_iter()
                .map(|group| wire::SuggestedQuestionGroup {
                    label: group.label,
                    question: group.question,
                })
                .collect(),
            temperature: settings.temperature,
        },
        share_info: wire::GptShareInfo {
            status: gpt.share.enabled,
            expiration: gpt.share.expires_at.map(expiration_text),
            show_scope: gpt.share.scope.as_str().to_owned(),
            token: gpt.share.token.filter(|_| owner).unwrap_or_default(),
        },
        square_info: wire::GptSquareInfo {
            publish_square_enabled: gpt.square.published,
            user_ids: if owner {
                gpt.square.user_ids.iter().map(|id| id.0).collect()
            } else {
                Vec::new()
            },
            view_scope: gpt.square.view_scope.as_str().to_owned(),
        },
    }
}

fn gpt_list(gpts: Vec<Gpt>) -> wire::GptList {
    wire::GptList {
        knowledge_gpt_list: gpts
            .into_iter()
            .map(|gpt| wire::GptSummary {
                id: gpt.id.0,
                suggested_question: gpt
                    .settings
                    .suggested
                    .iter()
                    .flat_map(|group| group.question.iter().cloned())
                    .collect(),
                name: gpt.settings.name,
                system_prompt: gpt.settings.system_prompt,
                intro: gpt.settings.intro,
                chat_intro: gpt.settings.chat_intro,
            })
            .collect(),
        success: true,
    }
}

/// Creates a knowledge GPT of the caller's over their datasets.
#[utoipa::path(post, path = "/knowledge/create_gpt", tag = "knowledge", request_body = GptArgs,
    responses((status = 200, body = wire::GptCreated)))]
pub async fn create_gpt(
    State(state): State<AppState>,
    Caller(principal): Caller,
    JsonBody(args): JsonBody<GptArgs>,
) -> Result<Json<wire::GptCreated>> {
    let id = state.core.create_gpt(&principal, args.changes()?).await?;
    Ok(Json(wire::GptCreated { id: id.0 }))
}

/// A GPT the caller owns, or reaches through a share or the square.
#[utoipa::path(post, path = "/knowledge/get_gpt_info", tag = "knowledge", request_body = GptArgs,
    responses((status = 200, body = wire::GptInfo)))]
pub async fn get_gpt_info(
    State(state): State<AppState>,
    Caller(principal): Caller,
    JsonBody(args): JsonBody<GptArgs>,
) -> Result<Json<wire::GptInfo>> {
    let (gpt, access) = state.core.gpt(&principal, args.gpt()?, args.token.as_deref()).await?;
    Ok(Json(gpt_info(gpt, access)))
}

/// Changes a GPT of the caller's: any of its settings, `share_info` and `square_info`.
#[utoipa::path(post, path = "/knowledge/edit_gpt_info", tag = "knowledge", request_body = GptArgs,
    responses((status = 200, body = wire::GptInfo)))]
pub async fn edit_gpt_info(
    State(state): State<AppState>,
    Caller(principal): Caller,
    JsonBody(args): JsonBody<GptArgs>,
) -> Result<Json<wire::GptInfo>> {
    let id = args.gpt()?;
    let gpt = state.core.edit_gpt(&principal, id, args.changes()?).await?;
    Ok(Json(gpt_info(gpt, GptAccess::Owner)))
}

/// Deletes a GPT of the caller's.
#[utoipa::path(post, path = "/knowledge/delete_gpt", tag = "knowledge", request_body = GptArgs,
    responses((status = 200, body = wire::SuccessBody)))]
pub async fn delete_gpt(
    State(state): State<AppState>,
    Caller(principal): Caller,
    JsonBody(args): JsonBody<GptArgs>,
) -> Result<Json<wire::SuccessBody>> {
    state.core.delete_gpt(&principal, args.gpt()?).await?;
    Ok(Json(wire::SuccessBody { success: true }))
}

/// The caller's GPTs, newest first.
#[utoipa::path(get, path = "/knowledge/list", tag = "knowledge",
    responses((status = 200, body = wire::GptList)))]
pub async fn list(State(state): State<AppState>, Caller(principal): Caller) -> Result<Json<wire::GptList>> {
    Ok(Json(gpt_list(state.core.list_gpts(&principal).await?)))
}

/// The GPTs published on the square to the caller, newest first.
#[utoipa::path(post, path = "/knowledge/list_square_gpt", tag = "knowledge",
    responses((status = 200, body = wire::GptList)))]
pub async fn list_square_gpt(State(state): State<AppState>, Caller(principal): Caller) -> Result<Json<wire::GptList>> {
    Ok(Json(gpt_list(state.core.list_square_gpts(&principal).await?)))
}

/// A message of the conversation.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct MessageArgs {
    /// `user` or `assistant`.
    #[serde(default, deserialize_with = "lenient_string")]
    role: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    content: Option<String>,
}

/// `chatStream`'s body.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[schema(as = ChatRequest)]
pub struct ChatArgs {
    /// The conversation so far, the question last. Only the question is needed: the
    /// conversation's earlier turns are remembered under `sessionId`.
    #[serde(default)]
    messages: Option<Vec<MessageArgs>>,
    /// `ZSH_CHAT`: the GPT's id.
    #[serde(default, rename = "knowledgeGptId", deserialize_with = "lenient_string")]
    knowledge_gpt_id: Option<String>,
    /// The caller's name for the conversation, the same for all its questions.
    #[serde(default, rename = "sessionId", deserialize_with = "lenient_string")]
    #[schema(value_type = String, required)]
    session_id: Option<String>,
    /// `ZSH_CHAT` (a GPT's conversation) or `ASSISTANT_CHAT` (over the caller's datasets).
    #[serde(default, rename = "chatType", deserialize_with = "lenient_string")]
    #[schema(value_type = String, required)]
    chat_type: Option<String>,
    /// A configured model's name; the default model when absent.
    #[serde(default, rename = "gptType", deserialize_with = "lenient_string")]
    gpt_type: Option<String>,
    /// A public share's token.
    #[serde(default, deserialize_with = "lenient_string")]
    token: Option<String>,
}

fn frame(content: String, finish: &str, sources: Option<Vec<wire::ChatSource>>) -> Bytes {
    let delta = wire::ChatDelta {
        content,
        role: "assistant".to_owned(),
    };
    let frame = wire::ChatFrame {
        choices: vec![wire::ChatChoice {
            message: delta.clone(),
            delta,
            finish_reason: finish.to_owned(),
            index: 0,
        }],
        created: 0,
        object: String::new(),
        sources,
    };
    let json = serde_json::to_string(&frame).unwrap_or_default();
    Bytes::from(format!("data:{json}\n\n"))
}

/// Answers the conversation's last question as server-sent `data:` frames, piece by piece;
/// the last frame has `finishReason` `stop` (and `sources` when the GPT shows them).
#[utoipa::path(post, path = "/knowledge/chatStream", tag = "knowledge", request_body = ChatArgs,
    responses((status = 200, content_type = "text/event-stream", body = wire::ChatFrame)))]
pub async fn chat_stream(
    State(state): State<AppState>,
    Caller(principal): Caller,
    JsonBody(args): JsonBody<ChatArgs>,
) -> Result<Response> {
    let ask = ChatAsk {
        messages: args
            .messages
            .unwrap_or_default()
            .into_iter()
            .map(|message| (message.role.unwrap_or_default(), message.content.unwrap_or_default()))
            .collect(),
        session: args.session_id,
        chat_type: args.chat_type,
        gpt_id: args.knowledge_gpt_id,
        gpt_type: args.gpt_type,
        share_token: args.token,
    };
    let reply = state.core.chat(&principal, ask).await?;
    let sources: Vec<wire::ChatSource> = reply
        .sources
        .into_iter()
        .map(|source| wire::ChatSource {
            file_id: source.file_id.0,
            file_name: source.file_name,
        })
        .collect();
    let last = frame(String::new(), "stop", (!sources.is_empty()).then_some(sources));
    let frames = reply
        .pieces
        .map(|piece| frame(piece, "null", None))
        .chain(futures_util::stream::iter([last]))
        .map(Ok::<_, Infallible>);
    Ok((
        [
            (header::CONTENT_TYPE, "text/event-stream;charset=UTF-8"),
            (header::CACHE_CONTROL, "no-cache"),
            // A proxy in front must pass each frame on as it comes.
            (header::HeaderName::from_static("x-accel-buffering"), "no"),
        ],
        Body::from_stream(frames),
    )
        .into_response())
}

/// `ai_chat`'s body.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[schema(as = AiChatRequest)]
pub struct AiChatArgs {
    #[serde(default, deserialize_with = "lenient_string")]
    #[schema(value_type = String, required)]
    question: Option<String>,
    /// `360GPT`, `Doubao`, or another configured model's name.
    #[serde(default, deserialize_with = "lenient_string")]
    #[schema(value_type = String, required)]
    gpt_type: Option<String>,
}

/// Answers one question whole, over the caller's datasets.
#[utoipa::path(post, path = "/knowledge/ai_chat", tag = "knowledge", request_body = AiChatArgs,
    responses((status = 200, body = wire::AiChatAnswer)))]
pub async fn ai_chat(
    State(state): State<AppState>,
    Caller(principal): Caller,
    JsonBody(args): JsonBody<AiChatArgs>,
) -> Result<Json<wire::AiChatAnswer>> {
    let result = state
        .core
        .ai_chat(&principal, args.question.as_deref(), args.gpt_type.as_deref())
        .await?;
    Ok(Json(wire::AiChatAnswer { result, success: true }))
}

/// `get_ai_file_detail`'s body.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[schema(as = AiFileRequest)]
pub struct AiFileArgs {
    /// The dataset the files were trained into.
    #[serde(default, deserialize_with = "lenient_i64")]
    #[schema(value_type = i64, required)]
    ai_file_id: Option<i64>,
}

/// A summary (a Markdown outline) of a dataset's files and questions to ask them.
#[utoipa::path(post, path = "/knowledge/get_ai_file_detail", tag = "knowledge", request_body = AiFileArgs,
    responses((status = 200, body = wire::AiFileDetail)))]
pub async fn get_ai_file_detail(
    State(state): State<AppState>,
    Caller(principal): Caller,
    JsonBody(args): JsonBody<AiFileArgs>,
) -> Result<Json<wire::AiFileDetail>> {
    let dataset = args
        .ai_file_id
        .ok_or_else(|| ApiError::field("ai_file_id", "不能为空"))?;
    let (summary, questions) = state.core.ai_file_detail(&principal, dataset).await?;
    Ok(Json(wire::AiFileDetail {
        success: true,
        suggestion_list: questions,
        summary_mind_map: summary,
    }))
}
