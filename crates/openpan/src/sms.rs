//! The HTTP SMS gateway, which hands each message to an operator-configured URL as JSON, and
//! the HTTP sender of notices to apps' callback addresses.

use std::time::Duration;

use async_trait::async_trait;

use openpan_core::notice::{NoticeSender, OutgoingNotice};
use openpan_core::sms::{OutgoingSms, SmsGateway};

/// How long a gateway or callback address may take to accept a message before it counts as
/// failed.
const GATEWAY_TIMEOUT: Duration = Duration::from_secs(10);

/// A client that does not follow redirects: a receiver that redirects is misconfigured, and
/// following could carry credentials or signed bodies elsewhere.
fn client() -> anyhow::Result<http_client::Client> {
    Ok(http_client::Client::builder()
        .timeout(GATEWAY_TIMEOUT)
        .redirect(http_client::redirect::Policy::none())
        .build()?)
}

pub struct HttpSmsGateway {
    client: http_client::Client,
    url: String,
    token: Option<String>,
}

impl HttpSmsGateway {
    pub fn new(url: String, token: Option<String>) -> anyhow::Result<Self> {
        Ok(Self {
            client: client()?,
            url,
            token,
        })
    }
}

#[async_trait]
impl SmsGateway for HttpSmsGateway {
    fn name(&self) -> &'static str {
        "http"
    }

    async fn deliver(&self, sms: &OutgoingSms) -> Result<Option<String>, String> {
        let body = serde_json::json!({
            "message_id": sms.message_id,
            "enterprise_id": sms.enterprise_id.0,
            "phone": sms.phone,
            "text": sms.text,
        });
        let mut request = self
            .client
            .post(&self.url)
            .header(http_client::header::CONTENT_TYPE, "application/json")
            .body(body.to_string());
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        // Errors are recorded and shown to administrators: without the URL, which may hold
        // credentials.
        let response = request
            .send()
            .await
            .map_err(|err| format!("gateway unreachable: {}", err.without_url()))?;
        let status = response.status();
        if !status.is_success() {
            return Err(format!("gateway answered {}", status.as_u16()));
        }
        let bytes = response.bytes().await.unwrap_or_default();
        let body: Option<serde_json::Value> = serde_json::from_slice(&bytes).ok();
        let reference = body.and_then(|body| match &body["id"] {
            serde_json::Value::String(id) => Some(id.clone()),
            serde_json::Value::Number(id) => Some(id.to_string()),
            _ => None,
        });
        Ok(reference)
    }
}

/// POSTs notices to apps' callback addresses, with the signature headers.
pub struct HttpNoticeSender {
    client: http_client::Client,
}

impl HttpNoticeSender {
    pub fn new() -> anyhow::Result<Self> {
        Ok(Self { client: client()? })
    }
}

#[async_trait]
impl NoticeSender for HttpNoticeSender {
    async fn send(&self, notice: &OutgoingNotice<'_>) -> Result<(), String> {
        let response = self
            .client
            .post(notice.url)
            .header(http_client::header::CONTENT_TYPE, "application/json")
            .header("x-openpan-event", notice.event)
            .header("x-openpan-notice-id", notice.id.to_string())
            .header("x-openpan-timestamp", notice.timestamp.to_string())
            .header("x-openpan-signature", format!("sha256={}", notice.signature))
            .body(notice.body.to_owned())
            .send()
            .await
            .map_err(|err| format!("callback address unreachable: {}", err.without_url()))?;
        let status = response.status();
        if status.is_success() {
            Ok(())
        } else {
            Err(format!("callback address answered {}", status.as_u16()))
        }
    }
}
