//! The knowledge bases' model adapters: OpenAI-compatible chat (`/chat/completions`,
//! streamed) and embedding (`/embeddings`) endpoints the operator configures. Nothing here
//! runs unless configured, and nothing fetches weights: a model is a server someone runs.

use std::time::Duration;

use async_trait::async_trait;
use eventsource_stream::Eventsource;
use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use serde::Deserialize;

use openpan_core::gpt::{ChatModels, ChatRequest, ModelFailure};

use crate::config::{ChatModelConfig, EmbeddingConfig};

/// How long reaching a model may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a whole answer may take.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(300);
/// Bytes of a model's answer read at most (a whole answer, or the sum of a stream's pieces).
const MAX_ANSWER_BYTES: usize = 1 << 20;
/// Bytes of an embedding answer read at most.
const MAX_EMBEDDING_BYTES: usize = 64 << 20;

fn client() -> anyhow::Result<http_client::Client> {
    Ok(http_client::Client::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(ANSWER_TIMEOUT)
        .redirect(http_client::redirect::Policy::none())
        .build()?)
}

/// `base_url` + `path`, one slash between.
fn endpoint(base_url: &str, path: &str) -> String {
    format!("{}/{path}", base_url.trim_end_matches('/'))
}

/// An error without the URL (which may hold credentials), with its causes.
fn failure(context: &str, err: http_client::Error) -> ModelFailure {
    ModelFailure(format!("{context}: {}", crate::sms::describe(&err.without_url())))
}

/// A response's body, refused past `limit` bytes.
async fn bounded_body(mut response: http_client::Response, limit: usize, what: &str) -> Result<Vec<u8>, ModelFailure> {
    let mut body = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if body.len() + chunk.len() > limit {
                    return Err(ModelFailure(format!("{what}'s answer is larger than {limit} bytes")));
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(body),
            Err(err) => return Err(failure(&format!("reading {what}'s answer failed"), err)),
        }
    }
}

/// The configured chat models.
pub struct OpenAiChat {
    client: http_client::Client,
    models: Vec<ChatModelConfig>,
}

impl OpenAiChat {
    pub fn new(models: Vec<ChatModelConfig>) -> anyhow::Result<Self> {
        Ok(Self {
            client: client()?,
            models,
        })
    }
}

#[derive(Deserialize)]
struct Completion {
    #[serde(default)]
    choices: Vec<CompletionChoice>,
}

#[derive(Deserialize)]
struct CompletionChoice {
    #[serde(default)]
    delta: Option<CompletionText>,
    #[serde(default)]
    message: Option<CompletionText>,
}

#[derive(Deserialize)]
struct CompletionText {
    #[serde(default)]
    content: Option<String>,
}

impl Completion {
    /// The text this chunk (or whole answer) carries.
    fn text(self) -> String {
        self.choices
            .into_iter()
            .filter_map(|choice| choice.delta.or(choice.message).and_then(|text| text.content))
            .collect()
    }
}

#[async_trait]
impl ChatModels for OpenAiChat {
    fn knows(&self, name: &str) -> bool {
        self.models.iter().any(|model| model.name == name)
    }

    async fn stream(
        &self,
        request: ChatRequest,
    ) -> Result<BoxStream<'static, Result<String, ModelFailure>>, ModelFailure> {
        let model = match &request.model {
            Some(name) => self.models.iter().find(|model| &model.name == name),
            None => self.models.first(),
        }
        .ok_or_else(|| ModelFailure("no chat model is configured".to_owned()))?;
        let messages: Vec<serde_json::Value> = request
            .messages
            .iter()
            .map(|message| serde_json::json!({"role": message.role.as_str(), "content": message.content}))
            .collect();
        let body = serde_json::json!({
            "model": model.model,
            "messages": messages,
            "temperature": request.temperature,
            "stream": true,
        });
        let mut call = self
            .client
            .post(endpoint(&model.base_url, "chat/completions"))
            .header(http_client::header::CONTENT_TYPE, "application/json")
            .header(http_client::header::ACCEPT, "text/event-stream")
            .body(body.to_string());
        if let Some(key) = &model.api_key {
            call = call.bearer_auth(key);
        }
        let response = call
            .send()
            .await
            .map_err(|err| failure("the chat model is unreachable", err))?;
        let status = response.status();
        if !status.is_success() {
            return Err(ModelFailure(format!("the chat model answered {}", status.as_u16())));
        }
        let streamed = response
            .headers()
            .get(http_client::header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|value| value.starts_with("text/event-stream"));
        if !streamed {
            // A server that ignores `stream` answers whole.
            let bytes = bounded_body(response, MAX_ANSWER_BYTES, "the chat model").await?;
            let completion: Completion = serde_json::from_slice(&bytes)
                .map_err(|_| ModelFailure("the chat model's answer is not a completion".to_owned()))?;
            return Ok(futures_util::stream::iter([Ok(completion.text())]).boxed());
        }
        let mut received = 0usize;
        let pieces = response
            .bytes_stream()
            .map(|chunk| chunk.map_err(|err| err.without_url()))
            .eventsource()
            .take_while(|event| std::future::ready(!matches!(event, Ok(event) if event.data.trim() == "[DONE]")))
            // An endless answer is cut where a reasonable one ends.
            .take_while(move |event| {
                received += event.as_ref().map_or(0, |event| event.data.len());
                std::future::ready(received <= MAX_ANSWER_BYTES)
            })
            .filter_map(|event| async move {
                match event {
                    Ok(event) => match serde_json::from_str::<Completion>(&event.data) {
                        Ok(chunk) => Some(Ok(chunk.text())).filter(|text| !matches!(text, Ok(t) if t.is_empty())),
                        Err(_) => Some(Err(ModelFailure(
                            "the chat model sent a frame that is not a chunk".to_owned(),
                        ))),
                    },
                    Err(err) => Some(Err(ModelFailure(format!("the chat model's stream broke: {err}")))),
                }
            });
        Ok(pieces.boxed())
    }
}

/// The configured embedding model.
pub struct OpenAiEmbedding {
    client: http_client::Client,
    config: EmbeddingConfig,
}

#[derive(Deserialize)]
struct Embeddings {
    data: Vec<EmbeddingRow>,
}

#[derive(Deserialize)]
struct EmbeddingRow {
    #[serde(default)]
    index: Option<usize>,
    embedding: Vec<f32>,
}

impl OpenAiEmbedding {
    pub fn new(config: EmbeddingConfig) -> anyhow::Result<Self> {
        Ok(Self {
            client: client()?,
            config,
        })
    }
}

#[async_trait]
impl openpan_core::knowledge::Embedder for OpenAiEmbedding {
    fn model(&self) -> &str {
        &self.config.model
    }

    fn min_similarity(&self) -> f32 {
        f32::from(self.config.min_similarity_permille) / 1000.0
    }

    async fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, ModelFailure> {
        let body = serde_json::json!({"model": self.config.model, "input": texts});
        let mut call = self
            .client
            .post(endpoint(&self.config.base_url, "embeddings"))
            .header(http_client::header::CONTENT_TYPE, "application/json")
            .body(body.to_string());
        if let Some(key) = &self.config.api_key {
            call = call.bearer_auth(key);
        }
        let response = call
            .send()
            .await
            .map_err(|err| failure("the embedding model is unreachable", err))?;
        let status = response.status();
        if !status.is_success() {
            return Err(ModelFailure(format!(
                "the embedding model answered {}",
                status.as_u16()
            )));
        }
        let bytes = bounded_body(response, MAX_EMBEDDING_BYTES, "the embedding model").await?;
        let mut answer: Embeddings = serde_json::from_slice(&bytes)
            .map_err(|_| ModelFailure("the embedding model's answer is not a list of embeddings".to_owned()))?;
        if answer.data.len() != texts.len() {
            return Err(ModelFailure(format!(
                "the embedding model answered {} vectors for {} texts",
                answer.data.len(),
                texts.len()
            )));
        }
        // Rows name their text by `index`; a server that leaves it out answers in order.
        if answer.data.iter().all(|row| row.index.is_some()) {
            answer.data.sort_by_key(|row| row.index);
            if answer.data.iter().enumerate().any(|(at, row)| row.index != Some(at)) {
                return Err(ModelFailure("the embedding model's indexes are not 0..n".to_owned()));
            }
        }
        Ok(answer.data.into_iter().map(|row| row.embedding).collect())
    }
}
