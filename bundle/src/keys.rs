//! Keys: the institution's age X25519 key pair and the station's ed25519 signing key.
//!
//! The station only ever holds the institution's *recipient* (public key): it can seal, never
//! open. Reviewers hold the *identity* (secret key) and open bundles with `examctl`.

use std::io::{Read, Write};
use std::path::Path;

use ed25519_dalek::{Signer, SigningKey, VerifyingKey};

use crate::Error;

/// The institution's public key, to which every file key is wrapped.
#[derive(Clone)]
pub struct Recipient(age::x25519::Recipient);

/// The institution's secret key, able to open sealed files.
pub struct Identity(age::x25519::Identity);

impl Recipient {
    /// Parses an `age1...` recipient string.
    pub fn parse(s: &str) -> Result<Self, Error> {
        s.trim()
            .parse()
            .map(Recipient)
            .map_err(|e| Error::Key(format!("not an age X25519 recipient ({e}): {s:?}")))
    }

    /// Encrypts `secret` (a file key) to this recipient, in age's binary format.
    pub fn wrap(&self, secret: &[u8]) -> Result<Vec<u8>, Error> {
        let enc = age::Encryptor::with_recipients(std::iter::once(&self.0 as &dyn age::Recipient))
            .map_err(|e| Error::Key(format!("age: {e}")))?;
        let mut out = Vec::with_capacity(256);
        let mut w = enc.wrap_output(&mut out)?;
        w.write_all(secret)?;
        w.finish()?;
        Ok(out)
    }
}

impl std::fmt::Display for Recipient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl Identity {
    /// A new random identity.
    pub fn generate() -> Self {
        Identity(age::x25519::Identity::generate())
    }

    /// The matching public recipient.
    pub fn recipient(&self) -> Recipient {
        Recipient(self.0.to_public())
    }

    /// The `AGE-SECRET-KEY-1...` text form (as the `age` tool writes it).
    pub fn to_secret_string(&self) -> String {
        use age::secrecy::ExposeSecret;
        self.0.to_string().expose_secret().to_string()
    }

    /// Reads an identity file: comment lines start with `#`, one `AGE-SECRET-KEY-1` line.
    pub fn load(path: &Path) -> Result<Self, Error> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let line = text
            .lines()
            .map(str::trim)
            .find(|l| l.starts_with("AGE-SECRET-KEY-"))
            .ok_or_else(|| Error::Key(format!("{}: no AGE-SECRET-KEY line", path.display())))?;
        line.parse()
            .map(Identity)
            .map_err(|e| Error::Key(format!("{}: bad identity: {e}", path.display())))
    }

    /// Decrypts a blob made by [`Recipient::wrap`].
    pub fn unwrap(&self, blob: &[u8]) -> Result<Vec<u8>, Error> {
        let dec = age::Decryptor::new(blob).map_err(|e| Error::Key(format!("age header: {e}")))?;
        let mut r = dec
            .decrypt(std::iter::once(&self.0 as &dyn age::Identity))
            .map_err(|e| Error::Key(format!("not sealed to this identity ({e})")))?;
        let mut out = Vec::new();
        r.read_to_end(&mut out)?;
        Ok(out)
    }
}

/// The station's signing key, made on first start and kept in the data folder.
pub struct StationKey(SigningKey);

impl StationKey {
    /// Loads the key at `path`, creating it (mode 0600) if absent.
    pub fn load_or_create(path: &Path) -> Result<Self, Error> {
        match std::fs::read(path) {
            Ok(bytes) => {
                let seed: [u8; 32] = bytes.as_slice().try_into().map_err(|_| {
                    Error::Key(format!(
                        "{}: expected 32 bytes, found {}",
                        path.display(),
                        bytes.len()
                    ))
                })?;
                Ok(StationKey(SigningKey::from_bytes(&seed)))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = SigningKey::generate(&mut rand::rngs::OsRng);
                crate::fsutil::write_private(path, key.as_bytes())?;
                Ok(StationKey(key))
            }
            Err(e) => Err(Error::io(path, e)),
        }
    }

    /// A new random key (what `examctl enroll` gives a station).
    pub fn generate() -> Self {
        StationKey(SigningKey::generate(&mut rand::rngs::OsRng))
    }

    /// The key of a 32-byte seed written as 64 hex digits.
    pub fn from_seed_hex(hex_seed: &str) -> Result<Self, Error> {
        let bytes = hex::decode(hex_seed).map_err(|e| Error::Key(format!("signing seed: {e}")))?;
        let seed: [u8; 32] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| Error::Key(format!("signing seed: {} bytes, not 32", bytes.len())))?;
        Ok(StationKey(SigningKey::from_bytes(&seed)))
    }

    /// The 32-byte seed as 64 hex digits (secret: only the identity partition holds it).
    pub fn seed_hex(&self) -> String {
        hex::encode(self.0.as_bytes())
    }

    /// Signs `msg`.
    pub fn sign(&self, msg: &[u8]) -> [u8; 64] {
        self.0.sign(msg).to_bytes()
    }

    /// The public half, as hex (written into every manifest).
    pub fn public_hex(&self) -> String {
        hex::encode(self.0.verifying_key().as_bytes())
    }
}

/// Verifies an ed25519 signature given the public key and signature as hex.
pub fn verify_signature(public_hex: &str, msg: &[u8], sig_hex: &str) -> Result<(), String> {
    let pk: [u8; 32] = hex::decode(public_hex)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or("station_key is not 32 bytes of hex")?;
    let sig: [u8; 64] = hex::decode(sig_hex)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or("signature is not 64 bytes of hex")?;
    let vk = VerifyingKey::from_bytes(&pk).map_err(|e| format!("bad station key: {e}"))?;
    vk.verify_strict(msg, &ed25519_dalek::Signature::from_bytes(&sig))
        .map_err(|_| "signature does not match".to_string())
}
