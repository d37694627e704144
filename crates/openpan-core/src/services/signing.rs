//! The keys ID tokens are signed with (RS256, which every OpenID Connect client can check).
//! Keys are made here, kept sealed under the instance key, and published as a JWKS. A new key
//! is published [`PUBLISH_AHEAD_SECS`] before it signs, longer than any node caches the key
//! set, so no client meets a `kid` it cannot find; old keys stay published long after the
//! last token they signed has expired.

use std::sync::{Arc, Mutex};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use crate::auth::{Principal, PrincipalKind};
use crate::error::{Error, Result};
use crate::oauth::SigningKeyRecord;
use crate::secrets;
use crate::services::Core;

/// A new key is published this long before it signs.
pub const PUBLISH_AHEAD_SECS: i64 = 300;
/// Keys are replaced after this long.
pub const KEY_LIFETIME_SECS: i64 = 90 * 24 * 3600;
/// A replaced key is deleted this long after it was made.
const KEY_KEPT_SECS: i64 = 2 * KEY_LIFETIME_SECS;
/// How long a node trusts its copy of the key set.
const CACHE_SECS: i64 = 60;
const SEAL_CONTEXT: &[u8] = b"openpan signing key v1";

/// The key set as one node holds it.
pub(crate) struct KeySet {
    /// The key that signs now, by kid.
    signing: Option<(String, EncodingKey)>,
    jwks: Value,
}

/// A node's cached key set and when it was read.
#[derive(Default)]
pub(crate) struct KeyCache(Mutex<Option<(i64, Arc<KeySet>)>>, futures_util::lock::Mutex<()>);

impl Core {
    /// The published keys: `{"keys": [...]}`.
    pub async fn jwks(&self) -> Result<Value> {
        Ok(self.key_set().await?.jwks.clone())
    }

    /// Signs `claims` as a compact JWS with the current key.
    pub(crate) async fn sign_jwt(&self, claims: &Value) -> Result<String> {
        let keys = self.key_set().await?;
        let (kid, key) = keys
            .signing
            .as_ref()
            .ok_or_else(|| Error::Internal("no signing key".into()))?;
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(kid.clone());
        jsonwebtoken::encode(&header, claims, key).map_err(|err| Error::Internal(format!("signing: {err}").into()))
    }

    /// `openpan admin rotate-signing-key`: makes a new key, which signs once every node has
    /// published it. Answers its kid.
    pub async fn rotate_signing_key(&self, principal: &Principal) -> Result<String> {
        if !matches!(principal.kind(), PrincipalKind::Operator) {
            return Err(Error::PermissionDenied);
        }
        let kid = self.add_signing_key().await?;
        *self
            .signing_keys
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = None;
        Ok(kid)
    }

    /// This node's copy of the key set, while it is fresh.
    fn cached_keys(&self, now: i64) -> Option<Arc<KeySet>> {
        let cached = self
            .signing_keys
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        cached
            .as_ref()
            .filter(|(read_at, _)| (*read_at..*read_at + CACHE_SECS).contains(&now))
            .map(|(_, keys)| keys.clone())
    }

    async fn key_set(&self) -> Result<Arc<KeySet>> {
        let now = self.clock.now();
        if let Some(keys) = self.cached_keys(now) {
            return Ok(keys);
        }
        // One refresh at a time on this node: a burst of requests must not each make a key.
        let _refreshing = self.signing_keys.1.lock().await;
        let now = self.clock.now();
        if let Some(keys) = self.cached_keys(now) {
            return Ok(keys);
        }
        let mut records = self.repo.list_signing_keys().await?;
        let newest = records.iter().map(|record| record.created_at).max();
        if newest.is_none_or(|created| created + KEY_LIFETIME_SECS <= now) {
            // The first key signs at once (nobody can have cached an empty set it is missing
            // from); a replacement waits its turn like any other.
            self.add_signing_key().await?;
            self.repo.purge_signing_keys(now - KEY_KEPT_SECS).await?;
            records = self.repo.list_signing_keys().await?;
        }
        let keys = Arc::new(self.open_key_set(&records, now)?);
        *self
            .signing_keys
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some((now, keys.clone()));
        Ok(keys)
    }

    fn open_key_set(&self, records: &[SigningKeyRecord], now: i64) -> Result<KeySet> {
        // Records come oldest first. The signer is the newest key published long enough, or
        // the oldest when none is (a fresh installation).
        let signer = records
            .iter()
            .rev()
            .find(|record| record.created_at + PUBLISH_AHEAD_SECS <= now)
            .or(records.first());
        let signing = match signer {
            Some(record) => {
                let der = self
                    .key
                    .open(SEAL_CONTEXT, &record.sealed_private_key)
                    .ok_or_else(|| Error::Internal(format!("signing key {} does not open", record.kid).into()))?;
                Some((record.kid.clone(), EncodingKey::from_rsa_der(&der)))
            }
            None => None,
        };
        let keys: Vec<Value> = records
            .iter()
            .filter_map(|record| serde_json::from_str(&record.public_jwk).ok())
            .collect();
        Ok(KeySet {
            signing,
            jwks: json!({ "keys": keys }),
        })
    }

    async fn add_signing_key(&self) -> Result<String> {
        use rsa::pkcs1::EncodeRsaPrivateKey;
        use rsa::traits::PublicKeyParts;
        let private = tokio::task::spawn_blocking(|| rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048))
            .await
            .map_err(|err| Error::Internal(format!("key generation: {err}").into()))?
            .map_err(|err| Error::Internal(format!("key generation: {err}").into()))?;
        let der = private
            .to_pkcs1_der()
            .map_err(|err| Error::Internal(format!("key encoding: {err}").into()))?;
        let kid = secrets::random_hex(8);
        let public = private.to_public_key();
        let jwk = json!({
            "kty": "RSA",
            "use": "sig",
            "alg": "RS256",
            "kid": kid,
            "n": URL_SAFE_NO_PAD.encode(public.n().to_bytes_be()),
            "e": URL_SAFE_NO_PAD.encode(public.e().to_bytes_be()),
        });
        self.repo
            .add_signing_key(SigningKeyRecord {
                kid: kid.clone(),
                algorithm: "RS256".to_owned(),
                sealed_private_key: self.key.seal(SEAL_CONTEXT, der.as_bytes()),
                public_jwk: jwk.to_string(),
                created_at: self.clock.now(),
            })
            .await?;
        Ok(kid)
    }
}
