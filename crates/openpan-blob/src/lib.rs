//! The blob stores behind `openpan_core::blob::BlobStore`: a directory on local disk (the
//! embedded default) and S3 (scale-out, through OpenDAL).
//!
//! Must never depend on the HTTP layer or the database: a store only puts, gets and deletes
//! whole objects by opaque key; what the bytes mean is the metadata's business.

mod local;
mod s3;

pub use local::LocalBlobStore;
pub use s3::{S3BlobStore, S3Settings};

/// Keys are lower-case hex (the core makes them), so they are safe as file names and URL paths.
fn valid_key(key: &str) -> bool {
    (8..=64).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn invalid_key(key: &str) -> openpan_core::blob::BlobError {
    openpan_core::blob::BlobError::Store(format!("invalid blob key {key:?}").into())
}
