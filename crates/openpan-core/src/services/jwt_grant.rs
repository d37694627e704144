//! Signed JWT grants: the SDKs' `jwt` grant and RFC 7523's
//! `urn:ietf:params:oauth:grant-type:jwt-bearer`, both checked against the public key an app
//! registered (RSA for RS256, P-256 for ES256). Trust comes from the signature, so these grants
//! need no client secret; the `jti` of every accepted assertion is kept until it expires, so
//! none is accepted twice.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use rsa::pkcs8::der::Document;
use rsa::pkcs8::spki::SubjectPublicKeyInfoRef;
use rsa::pkcs8::{DecodePublicKey, ObjectIdentifier};
use rsa::traits::PublicKeyParts;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::error::{Error, FieldError, OAuthFailure, Result};
use crate::model::App;
use crate::oauth::{CLOCK_SKEW_SECS, IssuedToken, JwtSimpleClaims, SubType, invalid_grant};
use crate::services::Core;

const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const PRIME256V1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
/// RSA keys shorter than this are refused (NIST SP 800-131A).
const MIN_RSA_BITS: usize = 2048;
/// RFC 7523 assertions may live this long (the SDKs' `jwt` grant keeps its 60 seconds); the
/// `jti` is remembered as long.
const BEARER_MAX_LIFETIME_SECS: i64 = 300;

/// A public key an app registered for signed JWT grants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisteredKey {
    /// The key as PEM (`-----BEGIN PUBLIC KEY-----`), normalised.
    pub pem: String,
    /// Its key id: the first 16 bytes of the SHA-256 of its DER, base64url. Assertions name it
    /// in their `kid` header.
    pub kid: String,
    /// `RS256` or `ES256`.
    pub algorithm: &'static str,
}

/// Checks a PEM public key an app registers: an RSA key of at least 2048 bits or a P-256 key,
/// as an X.509 SubjectPublicKeyInfo (`openssl pkey -pubout`).
pub fn check_jwt_public_key(pem: &str) -> std::result::Result<RegisteredKey, FieldError> {
    let invalid = |message: &str| FieldError::new("jwt_public_key", message);
    let (label, document) =
        Document::from_pem(pem.trim()).map_err(|_| invalid("must be a PEM public key (-----BEGIN PUBLIC KEY-----)"))?;
    if label != "PUBLIC KEY" {
        return Err(invalid("must be a PEM public key (-----BEGIN PUBLIC KEY-----)"));
    }
    let der = document.as_bytes();
    let info = SubjectPublicKeyInfoRef::try_from(der).map_err(|_| invalid("is not a valid public key"))?;
    let algorithm = if info.algorithm.oid == RSA_ENCRYPTION {
        let key = rsa::RsaPublicKey::from_public_key_der(der).map_err(|_| invalid("is not a valid RSA key"))?;
        if key.size() * 8 < MIN_RSA_BITS {
            return Err(invalid("an RSA key must have at least 2048 bits"));
        }
        "RS256"
    } else if info.algorithm.oid == EC_PUBLIC_KEY && info.algorithm.parameters_oid().ok() == Some(PRIME256V1) {
        "ES256"
    } else {
        return Err(invalid("must be an RSA or a P-256 (prime256v1) key"));
    };
    let digest = Sha256::digest(der);
    let body = base64::engine::general_purpose::STANDARD.encode(der);
    let mut normalised = String::from("-----BEGIN PUBLIC KEY-----\n");
    for line in body.as_bytes().chunks(64) {
        normalised.push_str(std::str::from_utf8(line).unwrap_or_default());
        normalised.push('\n');
    }
    normalised.push_str("-----END PUBLIC KEY-----\n");
    Ok(RegisteredKey {
        pem: normalised,
        kid: URL_SAFE_NO_PAD.encode(&digest[..16]),
        algorithm,
    })
}

/// Which of the two grants an assertion came with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JwtDialect {
    /// The SDKs' `jwt`: `yifangyun_sub_type` says what `sub` is; at most 60 seconds long.
    Sdk,
    /// RFC 7523: `iss` is the client id, `aud` names this server, `sub` a user unless
    /// `yifangyun_sub_type` says otherwise.
    Bearer,
}

/// The client id an RFC 7523 assertion names as its issuer, read without checking anything:
/// only to find the app whose key then checks it.
pub fn unverified_issuer(assertion: &str) -> Option<String> {
    let payload = assertion.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    let claims: Map<String, Value> = serde_json::from_slice(&bytes).ok()?;
    claims.get("iss")?.as_str().map(str::to_owned)
}

fn audience_names(claims: &Map<String, Value>, issuer: &str) -> bool {
    let token_endpoint = format!("{issuer}/oauth/token");
    let names = |aud: &str| aud.trim_end_matches('/') == issuer || aud == token_endpoint;
    match claims.get("aud") {
        Some(Value::String(aud)) => names(aud),
        Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).any(names),
        _ => false,
    }
}

impl Core {
    /// The `jwt` and `jwt-bearer` grants: the assertion must be signed with the app's
    /// registered key; `issuer` is this server's public URL (RFC 7523's audience).
    pub(crate) async fn grant_signed_jwt(
        &self,
        app: &App,
        assertion: &str,
        scope: Option<&str>,
        dialect: JwtDialect,
        issuer: &str,
    ) -> Result<IssuedToken> {
        let (Some(pem), Some(kid)) = (&app.jwt_public_key, &app.jwt_key_id) else {
            return Err(Error::OAuth(OAuthFailure::UnauthorizedClient(
                "the app has registered no public key for JWT grants".into(),
            )));
        };
        let header =
            jsonwebtoken::decode_header(assertion).map_err(|_| invalid_grant("assertion is not a signed JWT"))?;
        // The key was checked at registration (RSA or P-256); its family names the algorithm.
        let unusable = || invalid_grant("the app's public key is unusable");
        let (algorithm, key) = match DecodingKey::from_rsa_pem(pem.as_bytes()) {
            Ok(key) => (Algorithm::RS256, key),
            Err(_) => (
                Algorithm::ES256,
                DecodingKey::from_ec_pem(pem.as_bytes()).map_err(|_| unusable())?,
            ),
        };
        if header.alg != algorithm {
            return Err(invalid_grant(format!("assertion must be signed with {algorithm:?}")));
        }
        if header.kid.as_ref().is_some_and(|named| named != kid) {
            return Err(invalid_grant("kid is not the app's key"));
        }
        let mut validation = Validation::new(algorithm);
        // The times, audience and subject follow the platform's rules below.
        validation.validate_exp = false;
        validation.validate_aud = false;
        validation.required_spec_claims.clear();
        let claims = jsonwebtoken::decode::<Map<String, Value>>(assertion, &key, &validation)
            .map_err(|_| invalid_grant("assertion signature is not valid"))?
            .claims;
        let now = self.clock.now();
        let (default_kind, max_lifetime) = match dialect {
            JwtDialect::Sdk => (None, crate::oauth::ASSERTION_MAX_LIFETIME_SECS),
            JwtDialect::Bearer => {
                if claims.get("iss").and_then(Value::as_str) != Some(app.client_id.as_str()) {
                    return Err(invalid_grant("iss must be the client id"));
                }
                if !audience_names(&claims, issuer) {
                    return Err(invalid_grant(format!("aud must name {issuer}")));
                }
                (Some(SubType::User), BEARER_MAX_LIFETIME_SECS)
            }
        };
        if let Some(nbf) = claims.get("nbf").and_then(Value::as_i64)
            && nbf > now + CLOCK_SKEW_SECS
        {
            return Err(invalid_grant("the assertion is not valid yet"));
        }
        let claims = JwtSimpleClaims::from_claims(&claims, default_kind)?;
        claims.check_times(now, max_lifetime)?;
        self.grant_assertion(app, &claims, scope).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const P256: &str = "-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEuvPDNEMDBNL062V/yNYnL1brFaaM
DJoqEYPg3DCE8nQ/mpbSpDhT+PwrLVwkwMO1sfOJ7o+1XTfO2XHBWcDMtg==
-----END PUBLIC KEY-----";
    const P384: &str = "-----BEGIN PUBLIC KEY-----
MHYwEAYHKoZIzj0CAQYFK4EEACIDYgAEaZfNnYdW3rkpZpq6Oy5riHul+L1AQfbu
smd7zcCDgxB2nRz46+WpMFLBoVuNQImy0KICdOF/YCg1M5O4OvnhK1YOAWJzMBJX
4aifTJiiAKtHSGhLAyi40+OA2dcJ7J96
-----END PUBLIC KEY-----";

    #[test]
    fn a_p256_key_is_registered_for_es256_with_a_stable_key_id() {
        let key = check_jwt_public_key(P256).unwrap();
        assert_eq!(key.algorithm, "ES256");
        assert_eq!(key.kid.len(), 22);
        assert_eq!(check_jwt_public_key(&key.pem).unwrap(), key);
    }

    #[test]
    fn keys_that_are_not_public_keys_are_refused() {
        for bad in [
            "",
            "not a key",
            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----",
            P384,
        ] {
            assert_eq!(check_jwt_public_key(bad).unwrap_err().field, "jwt_public_key");
        }
    }

    #[test]
    fn the_issuer_is_read_from_the_payload() {
        let payload = URL_SAFE_NO_PAD.encode(br#"{"iss":"client-1","sub":"7"}"#);
        assert_eq!(
            unverified_issuer(&format!("e30.{payload}.sig")).as_deref(),
            Some("client-1")
        );
        assert_eq!(unverified_issuer("garbage"), None);
    }
}
