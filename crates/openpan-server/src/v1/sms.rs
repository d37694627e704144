//! `/api/v1/sms/*`: sending text messages, the outbox, and templates.

use std::collections::HashMap;

use axum::Json;
use axum::extract::State;

use openpan_core::model::Page;
use openpan_core::services::SmsRequest;
use openpan_core::sms::{SmsMessage, SmsTemplate};
use openpan_types as wire;

use crate::AppState;
use crate::error::{ApiError, Result};
use crate::extract::{Args, Caller};

fn message_json(message: SmsMessage) -> wire::V1SmsMessage {
    wire::V1SmsMessage {
        message_id: message.id,
        phone: message.phone,
        text: message.content,
        template: message.template,
        status: message.status.as_str().to_owned(),
        gateway: message.gateway,
        gateway_ref: message.gateway_ref,
        error: message.error,
        app_id: message.app_id.map(|id| id.0),
        user_id: message.user_id.map(|id| id.0),
        created_at: message.created_at,
        sent_at: message.sent_at,
    }
}

fn template_json(template: SmsTemplate) -> wire::V1SmsTemplate {
    wire::V1SmsTemplate {
        template: template.name,
        content: template.content,
        created_at: template.created_at,
    }
}

/// `params`: a JSON object whose values are strings or numbers.
fn template_params(raw: Option<&str>) -> Result<HashMap<String, String>> {
    let Some(raw) = raw else {
        return Ok(HashMap::new());
    };
    let bad = || ApiError::field("params", "应为JSON对象，值为文本或数字");
    let object: serde_json::Map<String, serde_json::Value> = serde_json::from_str(raw).map_err(|_| bad())?;
    object
        .into_iter()
        .map(|(name, value)| match value {
            serde_json::Value::String(text) => Ok((name, text)),
            serde_json::Value::Number(number) => Ok((name, number.to_string())),
            _ => Err(bad()),
        })
        .collect()
}

/// A text message to send: its `text`, or a `template` and its `params`.
#[derive(utoipa::ToSchema)]
#[schema(as = v1::SmsRequest)]
#[allow(dead_code)]
pub(crate) struct SendRequest {
    phone: String,
    text: Option<String>,
    /// A template's name.
    template: Option<String>,
    /// The template's placeholders: an object of texts or numbers (in a form, as JSON).
    #[schema(value_type = Option<Object>)]
    params: Option<String>,
}

/// A template to create.
#[derive(utoipa::ToSchema)]
#[schema(as = v1::SmsTemplateRequest)]
#[allow(dead_code)]
pub(crate) struct TemplateRequest {
    /// Its name.
    template: String,
    /// The text, with `{placeholder}`s.
    content: String,
}

/// A template to delete.
#[derive(utoipa::ToSchema)]
#[schema(as = v1::SmsTemplateName)]
#[allow(dead_code)]
pub(crate) struct TemplateName {
    template: String,
}

/// `POST sms/send` with `phone` and `text`, or `template` and `params`.
#[utoipa::path(post, path = "/sms/send", tag = "v1 sms",
    request_body(content = SendRequest, description = "JSON, a form or query parameters"),
    responses((status = 200, body = wire::V1SmsMessage)))]
pub async fn send(
    State(state): State<AppState>,
    Caller(principal): Caller,
    args: Args,
) -> Result<Json<wire::V1SmsMessage>> {
    let request = SmsRequest {
        phone: args.required("phone")?.to_owned(),
        text: args.opt("text").map(str::to_owned),
        template: args.opt("template").map(str::to_owned),
        params: template_params(args.opt("params"))?,
    };
    Ok(Json(message_json(state.core.send_sms(&principal, request).await?)))
}

/// `GET sms/list[?page_id&page_capacity]` (administrators).
#[utoipa::path(get, path = "/sms/list", tag = "v1 sms", params(crate::openapi::PageQuery),
    responses((status = 200, body = wire::V1SmsPage)))]
pub async fn list(
    State(state): State<AppState>,
    Caller(principal): Caller,
    args: Args,
) -> Result<Json<wire::V1SmsPage>> {
    let params = args.params();
    let page = Page::parse(params.opt_i64("page_id")?, params.opt_i64("page_capacity")?)?;
    let (messages, total) = state.core.list_sms(&principal, page).await?;
    Ok(Json(wire::V1SmsPage {
        messages: messages.into_iter().map(message_json).collect(),
        total_count: total,
        page_id: page.page_id,
        page_capacity: page.capacity,
        page_count: page.page_count(total),
    }))
}

/// `GET sms/get?message_id=…`.
#[utoipa::path(get, path = "/sms/get", tag = "v1 sms", params(("message_id" = i64, Query)),
    responses((status = 200, body = wire::V1SmsMessage)))]
pub async fn get(
    State(state): State<AppState>,
    Caller(principal): Caller,
    args: Args,
) -> Result<Json<wire::V1SmsMessage>> {
    let id = args.i64("message_id")?;
    Ok(Json(message_json(state.core.sms_message(&principal, id).await?)))
}

/// `POST sms/create_template` with `template` (its name) and `content` (administrators).
#[utoipa::path(post, path = "/sms/create_template", tag = "v1 sms",
    request_body(content = TemplateRequest, description = "JSON, a form or query parameters"),
    responses((status = 200, body = wire::V1SmsTemplate)))]
pub async fn create_template(
    State(state): State<AppState>,
    Caller(principal): Caller,
    args: Args,
) -> Result<Json<wire::V1SmsTemplate>> {
    let name = args.required("template")?;
    let content = args.required("content")?;
    let created = state.core.create_sms_template(&principal, name, content).await?;
    Ok(Json(template_json(created)))
}

/// `GET sms/list_templates`.
#[utoipa::path(get, path = "/sms/list_templates", tag = "v1 sms",
    responses((status = 200, body = wire::V1SmsTemplates)))]
pub async fn list_templates(
    State(state): State<AppState>,
    Caller(principal): Caller,
) -> Result<Json<wire::V1SmsTemplates>> {
    let templates = state.core.list_sms_templates(&principal).await?;
    Ok(Json(wire::V1SmsTemplates {
        templates: templates.into_iter().map(template_json).collect(),
    }))
}

/// `POST sms/delete_template` with `template` (administrators).
#[utoipa::path(post, path = "/sms/delete_template", tag = "v1 sms",
    request_body(content = TemplateName, description = "JSON, a form or query parameters"),
    responses((status = 200, body = wire::V1Success)))]
pub async fn delete_template(
    State(state): State<AppState>,
    Caller(principal): Caller,
    args: Args,
) -> Result<Json<wire::V1Success>> {
    state
        .core
        .delete_sms_template(&principal, args.required("template")?)
        .await?;
    Ok(Json(wire::V1Success { success: true }))
}
