//! Generation, hashing and constant-time comparison of secrets.
//!
//! Client secrets and tokens are 256-bit random values, so a keyed SHA-256 (HMAC with the
//! instance key) is enough to make a leaked database useless without the key, and it keeps
//! the token endpoint fast. Human passwords are low-entropy and get argon2id.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use hmac::{Hmac, Mac};
use rand::{Rng, RngCore, rngs::OsRng};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// The instance key for keyed hashes. Every node of one deployment must share it.
#[derive(Clone)]
pub struct SecretKey([u8; 32]);

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(***)")
    }
}

impl SecretKey {
    /// At least 32 bytes of key material; longer input is folded in by SHA-256.
    pub fn from_material(material: &[u8]) -> Option<Self> {
        use sha2::Digest;
        if material.len() < 32 {
            return None;
        }
        Some(Self(Sha256::digest(material).into()))
    }

    /// Fresh random key material, hex-encoded, for a new instance's key file.
    pub fn generate_material() -> String {
        random_hex(32)
    }

    /// HMAC-SHA256 of `secret` under the instance key.
    pub fn hash(&self, secret: &str) -> Vec<u8> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC accepts any key length");
        mac.update(secret.as_bytes());
        mac.finalize().into_bytes().to_vec()
    }

    /// Whether `secret` hashes to `expected`, compared in constant time.
    pub fn verify(&self, secret: &str, expected: &[u8]) -> bool {
        self.hash(secret).ct_eq(expected).into()
    }

    /// `plain` encrypted and authenticated under a key derived from the instance key and
    /// `context` (ChaCha20-Poly1305, a random nonce in front): what rests in the database is
    /// useless without both.
    pub fn seal(&self, context: &[u8], plain: &[u8]) -> Vec<u8> {
        use chacha20poly1305::aead::{Aead, KeyInit};
        let cipher = chacha20poly1305::ChaCha20Poly1305::new(&self.derive(context).into());
        let mut nonce = [0u8; 12];
        OsRng.fill_bytes(&mut nonce);
        let sealed = cipher
            .encrypt(&nonce.into(), plain)
            .expect("ChaCha20-Poly1305 seals any message that fits in memory");
        [nonce.as_slice(), &sealed].concat()
    }

    /// What [`SecretKey::seal`] sealed under the same `context`, or `None` if it was not (or was
    /// changed since).
    pub fn open(&self, context: &[u8], sealed: &[u8]) -> Option<Vec<u8>> {
        use chacha20poly1305::aead::{Aead, KeyInit};
        let (nonce, body) = sealed.split_at_checked(12)?;
        let nonce: [u8; 12] = nonce.try_into().ok()?;
        let cipher = chacha20poly1305::ChaCha20Poly1305::new(&self.derive(context).into());
        cipher.decrypt(&nonce.into(), body).ok()
    }

    /// A key handed to one party for one use (an app's notice key): HMAC-SHA256 of `purpose`
    /// and `id` under the instance key, with its own label so it never equals a stored hash or
    /// a sealing key. Stable while the instance key is.
    pub fn party_key(&self, purpose: &str, id: i64) -> [u8; 32] {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC accepts any key length");
        mac.update(b"openpan party key\0");
        mac.update(purpose.as_bytes());
        mac.update(b"\0");
        mac.update(&id.to_be_bytes());
        mac.finalize().into_bytes().into()
    }

    /// A key for one purpose: HMAC-SHA256 of `context` under the instance key, with a label so
    /// it never equals a stored hash.
    fn derive(&self, context: &[u8]) -> [u8; 32] {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC accepts any key length");
        mac.update(b"openpan seal\0");
        mac.update(context);
        mac.finalize().into_bytes().into()
    }
}

/// Whether two byte strings are equal, compared in constant time.
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

/// `n` random bytes as lower-case hex.
pub fn random_hex(n: usize) -> String {
    let mut bytes = vec![0u8; n];
    // ThreadRng is a ChaCha CSPRNG seeded (and periodically reseeded) from the OS; one
    // getrandom call per token would cost a syscall on the token endpoint's hot path.
    rand::thread_rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// A random value shaped like a UUID (8-4-4-4-12 hex), the shape integrations expect of
/// client ids and tokens.
pub fn random_uuid_like() -> String {
    let hex = random_hex(16);
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// A 256-bit bearer or refresh token.
pub fn new_token() -> String {
    random_hex(32)
}

/// A password a person can type: 16 letters and digits without look-alikes.
pub fn new_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::thread_rng();
    (0..16)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect()
}

/// argon2id PHC string of a password.
pub fn hash_password(password: &str) -> Result<String, crate::Error> {
    let salt = SaltString::generate(&mut OsRng);
    argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|err| crate::Error::internal(format!("password hashing failed: {err}")))
}

/// Whether `password` matches the PHC string; a malformed hash never matches.
pub fn verify_password(password: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(parsed) => argon2::Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_bytes_open_only_under_the_same_key_and_context_and_untouched() {
        let key = SecretKey::from_material(&[1u8; 32]).unwrap();
        let sealed = key.seal(b"user 1", b"/upload/abc/s3cret");
        assert!(!sealed.windows(6).any(|w| w == b"s3cret"));
        assert_eq!(key.open(b"user 1", &sealed).unwrap(), b"/upload/abc/s3cret");
        assert!(key.open(b"user 2", &sealed).is_none());
        let other = SecretKey::from_material(&[2u8; 32]).unwrap();
        assert!(other.open(b"user 1", &sealed).is_none());
        let mut tampered = sealed.clone();
        *tampered.last_mut().unwrap() ^= 1;
        assert!(key.open(b"user 1", &tampered).is_none());
        assert!(key.open(b"user 1", b"short").is_none());
        assert_ne!(
            sealed,
            key.seal(b"user 1", b"/upload/abc/s3cret"),
            "a fresh nonce each time"
        );
    }

    #[test]
    fn keyed_hash_depends_on_key_and_secret() {
        let key = SecretKey::from_material(&[1u8; 32]).unwrap();
        let other = SecretKey::from_material(&[2u8; 32]).unwrap();
        let hash = key.hash("s3cret");
        assert!(key.verify("s3cret", &hash));
        assert!(!key.verify("s3cret!", &hash));
        assert!(!other.verify("s3cret", &hash));
        assert!(SecretKey::from_material(b"short").is_none());
    }

    #[test]
    fn passwords_verify_only_with_the_right_text() {
        let phc = hash_password("correct horse").unwrap();
        assert!(verify_password("correct horse", &phc));
        assert!(!verify_password("wrong horse", &phc));
        assert!(!verify_password("x", "not a phc string"));
    }

    #[test]
    fn generated_values_have_their_documented_shapes() {
        assert_eq!(new_token().len(), 64);
        let uuid = random_uuid_like();
        assert_eq!(uuid.len(), 36);
        assert_eq!(uuid.matches('-').count(), 4);
        assert_eq!(new_password().len(), 16);
    }
}
