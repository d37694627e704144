//! What can go wrong, with the platform's own codes kept intact.

use openpan_types::{ErrorBody, ErrorCode, OAuthErrorBody, TransferErrorBody};

/// An SDK failure. More kinds may come in later versions.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The API answered with its error envelope (`{"errors":[…],"request_id":…}`).
    #[error("{status} {code}: {message} (request {request_id})")]
    Api {
        /// HTTP status.
        status: u16,
        /// The first error's code as sent (see [`Error::code`] for the typed one).
        code: String,
        /// Its message.
        message: String,
        /// The request field at fault, for `request_data_invalid`.
        field: Option<String>,
        /// The server's request id, for its logs.
        request_id: String,
    },
    /// The OAuth endpoints refused (RFC 6749 §5.2 body).
    #[error("OAuth {status} {error}: {description}")]
    OAuth {
        /// HTTP status.
        status: u16,
        /// `invalid_grant`, `authorization_pending`, …
        error: String,
        /// Human detail.
        description: String,
    },
    /// An upload or download URL refused (its string-`errors` body).
    #[error("transfer {status} {code}: {message}")]
    Transfer {
        /// HTTP status.
        status: u16,
        /// The error code.
        code: String,
        /// Human detail.
        message: String,
    },
    /// Nothing is at this path of the personal space ([`crate::Client::resolve`]).
    #[error("nothing named {name} in {folder}")]
    NotFound {
        /// The missing name.
        name: String,
        /// The folder looked in.
        folder: String,
    },
    /// The client has no token and no way to get one: call [`crate::Client::sign_in`] first.
    #[error("not signed in")]
    NotSignedIn,
    /// The server answered something the platform never sends.
    #[error("unexpected answer: {0}")]
    Protocol(String),
    /// A file's bytes do not match what the server holds.
    #[error("integrity check failed: {0}")]
    Integrity(String),
    /// The file kept changing (new versions) while it was being downloaded.
    #[error("the file changed during the download; try again")]
    Changed,
    /// The connection failed.
    #[error(transparent)]
    Http(#[from] reqwest::Error),
    /// Local file trouble.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// A key or assertion could not be made.
    #[error("signing failed: {0}")]
    Signing(String),
}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// The platform error code, when the API sent one the catalogue knows.
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            Error::Api { code, .. } | Error::Transfer { code, .. } => ErrorCode::parse(code),
            _ => None,
        }
    }

    /// Whether this is the API error `code`.
    pub fn is(&self, code: ErrorCode) -> bool {
        self.code() == Some(code)
    }

    /// The OAuth error code (`invalid_grant`, …), for token endpoint failures.
    pub fn oauth_error(&self) -> Option<&str> {
        match self {
            Error::OAuth { error, .. } => Some(error),
            _ => None,
        }
    }

    /// The HTTP status, when the server answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api { status, .. } | Error::OAuth { status, .. } | Error::Transfer { status, .. } => Some(*status),
            Error::Http(err) => err.status().map(|status| status.as_u16()),
            _ => None,
        }
    }

    /// Reads a failed API response's envelope.
    pub(crate) async fn from_api(response: reqwest::Response) -> Error {
        let status = response.status().as_u16();
        let text = response.text().await.unwrap_or_default();
        match serde_json::from_str::<ErrorBody>(&text) {
            Ok(body) => {
                let (code, message, field) = first_error(body.errors);
                Error::Api {
                    status,
                    code,
                    message,
                    field,
                    request_id: body.request_id,
                }
            }
            Err(_) => Error::Protocol(format!("{status} without the error envelope: {}", clip(&text))),
        }
    }

    /// Reads a failed token endpoint response.
    pub(crate) async fn from_oauth(response: reqwest::Response) -> Error {
        let status = response.status().as_u16();
        let text = response.text().await.unwrap_or_default();
        match serde_json::from_str::<OAuthErrorBody>(&text) {
            Ok(body) => Error::OAuth {
                status,
                error: body.error,
                description: body.error_description,
            },
            // Rate limits on the token endpoint use the API envelope.
            Err(_) => match serde_json::from_str::<ErrorBody>(&text) {
                Ok(body) => {
                    let (error, description, _) = first_error(body.errors);
                    Error::OAuth {
                        status,
                        error,
                        description,
                    }
                }
                Err(_) => Error::Protocol(format!("{status} from the token endpoint: {}", clip(&text))),
            },
        }
    }

    /// Reads a failed upload/download URL response.
    pub(crate) async fn from_transfer(response: reqwest::Response) -> Error {
        let status = response.status().as_u16();
        let text = response.text().await.unwrap_or_default();
        if let Ok(body) = serde_json::from_str::<TransferErrorBody>(&text) {
            return Error::Transfer {
                status,
                code: body.errors,
                message: body.error,
            };
        }
        // Resumable-upload calls answer the API envelope.
        if let Ok(body) = serde_json::from_str::<ErrorBody>(&text) {
            let (code, message, _) = first_error(body.errors);
            return Error::Transfer { status, code, message };
        }
        Error::Transfer {
            status,
            code: String::new(),
            message: clip(&text).to_owned(),
        }
    }
}

/// The cause (the envelope's first error): code, message, field.
fn first_error(errors: Vec<openpan_types::ErrorItem>) -> (String, String, Option<String>) {
    match errors.into_iter().next() {
        Some(item) => (item.code, item.msg, item.field),
        None => Default::default(),
    }
}

fn clip(text: &str) -> &str {
    match text.char_indices().nth(200) {
        Some((end, _)) => &text[..end],
        None => text,
    }
}
