//! The HTTP SMS gateway: hands each message to an operator-configured URL as JSON.

use std::time::Duration;

use async_trait::async_trait;

use openpan_core::sms::{OutgoingSms, SmsGateway};

/// How long a gateway may take to accept a message before it counts as failed.
const GATEWAY_TIMEOUT: Duration = Duration::from_secs(10);

pub struct HttpSmsGateway {
    client: http_client::Client,
    url: String,
    token: Option<String>,
}

impl HttpSmsGateway {
    pub fn new(url: String, token: Option<String>) -> anyhow::Result<Self> {
        let client = http_client::Client::builder()
            .timeout(GATEWAY_TIMEOUT)
            // A gateway that redirects is misconfigured; following could leak the token.
            .redirect(http_client::redirect::Policy::none())
            .build()?;
        Ok(Self { client, url, token })
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
