//! The knowledge bases' model adapters: OpenAI-compatible chat (`/chat/completions`,
//! streamed) and embedding (`/embeddings`) endpoints the operator configures, and a
//! Model2Vec static-embedding model run in process from a folder the operator fills. Nothing
//! here runs unless configured, and nothing fetches weights: a model is a server someone runs
//! or a file someone copied.

use std::time::Duration;

use anyhow::Context;
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
    base_url: String,
    api_key: Option<String>,
    model: String,
    min_similarity: f32,
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

/// The configured embedding model, whichever kind it is.
pub fn embedder(config: &EmbeddingConfig) -> anyhow::Result<std::sync::Arc<dyn openpan_core::knowledge::Embedder>> {
    let min_similarity = f32::from(config.min_similarity_permille) / 1000.0;
    match (&config.base_url, &config.model_dir) {
        (Some(base_url), _) => Ok(std::sync::Arc::new(OpenAiEmbedding {
            client: client().context("cannot build the HTTP client")?,
            base_url: base_url.clone(),
            api_key: config.api_key.clone(),
            model: config.model.clone().unwrap_or_default(),
            min_similarity,
        })),
        (None, Some(dir)) => Ok(std::sync::Arc::new(LocalEmbedding::load(
            dir,
            config.model.as_deref(),
            min_similarity,
        )?)),
        (None, None) => anyhow::bail!("neither base_url nor model_dir is set"),
    }
}

#[async_trait]
impl openpan_core::knowledge::Embedder for OpenAiEmbedding {
    fn model(&self) -> &str {
        &self.model
    }

    fn min_similarity(&self) -> f32 {
        self.min_similarity
    }

    async fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, ModelFailure> {
        let body = serde_json::json!({"model": self.model, "input": texts});
        let mut call = self
            .client
            .post(endpoint(&self.base_url, "embeddings"))
            .header(http_client::header::CONTENT_TYPE, "application/json")
            .body(body.to_string());
        if let Some(key) = &self.api_key {
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

/// Tokens of a text read at most: a static model averages its tokens' vectors, so a passage's
/// first 512 tokens already say what it is about.
const LOCAL_MAX_TOKENS: usize = 512;

/// A Model2Vec static-embedding model, run in process: a text's vector is the mean of its
/// tokens' rows, so it needs no accelerator and embeds thousands of passages a second.
pub struct LocalEmbedding {
    model: model2vec_rs::model::StaticModel,
    name: String,
    min_similarity: f32,
}

impl LocalEmbedding {
    /// Reads the model from `dir`, which must hold it: the crate is built without any way to
    /// fetch one.
    pub fn load(dir: &std::path::Path, name: Option<&str>, min_similarity: f32) -> anyhow::Result<Self> {
        if !dir.is_dir() {
            anyhow::bail!("model_dir {} is not a folder", dir.display());
        }
        let model = model2vec_rs::model::StaticModel::from_pretrained(dir, None, None, None)
            .with_context(|| format!("cannot load the model in {}", dir.display()))?;
        let name = match name {
            Some(name) => name.to_owned(),
            None => {
                let folder = dir
                    .canonicalize()
                    .ok()
                    .and_then(|dir| dir.file_name().map(|name| name.to_string_lossy().into_owned()))
                    .unwrap_or_else(|| "model2vec".to_owned());
                // The weights' size tells apart models of one dimension put in one folder.
                let bytes = std::fs::metadata(dir.join("model.safetensors")).map_or(0, |meta| meta.len());
                format!("{folder}/{}/{bytes}", model.dim())
            }
        };
        Ok(Self {
            model,
            name,
            min_similarity,
        })
    }
}

#[async_trait]
impl openpan_core::knowledge::Embedder for LocalEmbedding {
    fn model(&self) -> &str {
        &self.name
    }

    fn min_similarity(&self) -> f32 {
        self.min_similarity
    }

    async fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, ModelFailure> {
        let model = self.model.clone();
        let texts = texts.to_vec();
        // Tokenising and averaging is CPU work: off the async threads.
        tokio::task::spawn_blocking(move || model.encode_with_args(&texts, Some(LOCAL_MAX_TOKENS), texts.len().max(1)))
            .await
            .map_err(|_| ModelFailure("the local embedding model failed on a text".to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_model_folder_without_a_model_stops_the_start_with_its_path() {
        let empty = tempfile::tempdir().unwrap();
        let err = LocalEmbedding::load(empty.path(), None, 0.5).err().unwrap();
        assert!(
            format!("{err:#}").contains(&empty.path().display().to_string()),
            "{err:#}"
        );
        let missing = empty.path().join("absent");
        let err = LocalEmbedding::load(&missing, None, 0.5).err().unwrap();
        assert!(err.to_string().contains("is not a folder"), "{err:#}");
    }
}
