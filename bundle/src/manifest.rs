//! `manifest.json`: what a sealed bundle holds, signed by the station.
//!
//! The manifest names no person: station id, exam id, times, whether the exam was interrupted,
//! every file with its size and SHA-256, the journal's head hash, the station's public key and an
//! ed25519 signature over the manifest with an empty `signature` field.

use std::io::Read;
use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::keys::{verify_signature, StationKey};
use crate::Error;

/// File name of the manifest in a bundle folder.
pub const FILE: &str = "manifest.json";
/// Manifest format version.
pub const FORMAT: u32 = 1;

/// One file of the bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileEntry {
    /// Path relative to the bundle folder (`/`-separated, no `..`).
    pub name: String,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256, lowercase hex.
    pub sha256: String,
}

/// The signed description of a bundle.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// [`FORMAT`].
    pub format: u32,
    /// Station id from the site config.
    pub station: String,
    /// Exam id (time-based, random suffix; no personal data).
    pub exam: String,
    /// Day the exam started (UTC, `YYYY-MM-DD`): the central layout's folder.
    pub exam_date: String,
    /// Start, RFC 3339 UTC.
    pub started_at: String,
    /// End (or seal time when interrupted), RFC 3339 UTC.
    pub ended_at: String,
    /// True when the exam was cut short by a crash or power loss and sealed on recovery.
    pub interrupted: bool,
    /// Chain hash of the journal's last record, hex.
    pub journal_head: String,
    /// Every file in the bundle but the manifest.
    pub files: Vec<FileEntry>,
    /// The image the station ran: its os-release `IMAGE_VERSION` (version and build hash,
    /// e.g. `0.1.0+3f2a9c1e`); empty off an image. Left out of the JSON when empty, so
    /// manifests written before it existed keep their signed bytes.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub image: String,
    /// The machine the stick ran on: a hash of its SMBIOS system UUID (16 hex digits), so that
    /// one station key seen on two machines shows a copied or moved stick; empty when unknown.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub machine: String,
    /// The station's ed25519 public key, hex.
    pub station_key: String,
    /// ed25519 signature over this manifest serialized with `signature` empty, hex.
    pub signature: String,
}

impl Manifest {
    fn signed_bytes(&self) -> Vec<u8> {
        let mut m = self.clone();
        m.signature.clear();
        serde_json::to_vec(&m).expect("manifest serializes")
    }

    /// Fills `station_key` and `signature`.
    pub fn sign(&mut self, key: &StationKey) {
        self.station_key = key.public_hex();
        self.signature = hex::encode(key.sign(&self.signed_bytes()));
    }

    /// The receipt the sealed screen showed for this bundle ([`receipt`]).
    pub fn receipt(&self) -> Option<String> {
        receipt(&self.journal_head)
    }

    /// Checks the signature against the embedded station key.
    pub fn verify_signature(&self) -> Result<(), String> {
        verify_signature(&self.station_key, &self.signed_bytes(), &self.signature)
    }

    /// Parses manifest JSON; errors name the line and column.
    pub fn parse(text: &[u8]) -> Result<Self, Error> {
        let m: Manifest = serde_json::from_slice(text)
            .map_err(|e| Error::Format(format!("{FILE}:{}:{}: {e}", e.line(), e.column())))?;
        if m.format != FORMAT {
            return Err(Error::Format(format!(
                "{FILE}: format {} is not {FORMAT}",
                m.format
            )));
        }
        for f in &m.files {
            if !safe_name(&f.name) {
                return Err(Error::Format(format!(
                    "{FILE}: unsafe file name {:?}",
                    f.name
                )));
            }
        }
        Ok(m)
    }

    /// Reads `dir/manifest.json`.
    pub fn load(dir: &Path) -> Result<Self, Error> {
        let p = dir.join(FILE);
        let bytes = std::fs::read(&p).map_err(|e| Error::io(&p, e))?;
        Self::parse(&bytes).map_err(|e| Error::Format(format!("{}: {e}", dir.display())))
    }

    /// Pretty JSON, as written to disk.
    pub fn to_json(&self) -> Vec<u8> {
        let mut v = serde_json::to_vec_pretty(self).expect("manifest serializes");
        v.push(b'\n');
        v
    }
}

/// A bundle file name: relative, no `..`, no empty parts, no backslashes.
pub fn safe_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('/')
        && !name.contains('\\')
        && name
            .split('/')
            .all(|p| !p.is_empty() && p != "." && p != "..")
}

/// Size and SHA-256 (hex) of a file.
pub fn hash_file(path: &Path) -> Result<(u64, String), Error> {
    let mut f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut n = 0u64;
    loop {
        let k = f.read(&mut buf).map_err(|e| Error::io(path, e))?;
        if k == 0 {
            break;
        }
        h.update(&buf[..k]);
        n += k as u64;
    }
    Ok((n, hex::encode(h.finalize())))
}

/// Checks a bundle folder: signature, then every listed file's presence, size and hash, then that
/// no unlisted file is present. The error names the first bad file.
pub fn verify_bundle(dir: &Path) -> Result<Manifest, Error> {
    let m = load_signed(dir)?;
    verify_files(dir, &m)?;
    Ok(m)
}

/// Loads the bundle's manifest and checks its signature (the files are not read).
pub fn load_signed(dir: &Path) -> Result<Manifest, Error> {
    let m = Manifest::load(dir)?;
    m.verify_signature().map_err(|e| Error::Bad {
        file: FILE.into(),
        why: e,
    })?;
    Ok(m)
}

/// Checks every file `m` lists (presence, size, SHA-256) and that no unlisted file is present;
/// the error names the first bad file.
pub fn verify_files(dir: &Path, m: &Manifest) -> Result<(), Error> {
    for f in &m.files {
        verify_file(dir, f)?;
    }
    for name in list_files(dir)? {
        if name != FILE && !m.files.iter().any(|f| f.name == name) {
            return Err(Error::Bad {
                file: name,
                why: "not listed in the manifest".into(),
            });
        }
    }
    Ok(())
}

/// Checks one listed file in `dir`: present, of its size and SHA-256; the error names it.
pub fn verify_file(dir: &Path, f: &FileEntry) -> Result<(), Error> {
    let (size, sha) = hash_file(&dir.join(&f.name)).map_err(|_| Error::Bad {
        file: f.name.clone(),
        why: "missing".into(),
    })?;
    if size != f.size {
        return Err(Error::Bad {
            file: f.name.clone(),
            why: format!("size {size}, manifest says {}", f.size),
        });
    }
    if sha != f.sha256 {
        return Err(Error::Bad {
            file: f.name.clone(),
            why: "SHA-256 differs from the manifest".into(),
        });
    }
    Ok(())
}

/// Relative names of all regular files below `dir`, sorted.
pub fn list_files(dir: &Path) -> Result<Vec<String>, Error> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<String>) -> Result<(), Error> {
        for e in std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))? {
            let e = e.map_err(|e| Error::io(dir, e))?;
            let p = e.path();
            if p.is_dir() {
                walk(base, &p, out)?;
            } else {
                let rel = p.strip_prefix(base).unwrap_or(&p);
                out.push(rel.to_string_lossy().replace('\\', "/"));
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out)?;
    out.sort();
    Ok(out)
}

/// The receipt of a sealed exam: the first 60 bits of its journal head (the manifest's
/// `journal_head`, hex) in Crockford base32, grouped by four (`7K2M-QX9D-AB3F`). The station
/// shows it on the sealed screen; the student can note it down and later ask for exactly that
/// recording, and `examctl open` prints it.
pub fn receipt(journal_head_hex: &str) -> Option<String> {
    const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let bits = u64::from_str_radix(journal_head_hex.get(..16)?, 16).ok()?;
    let code: String = (0..12)
        .map(|i| ALPHABET[((bits >> (59 - 5 * i)) & 31) as usize] as char)
        .collect();
    Some(format!("{}-{}-{}", &code[..4], &code[4..8], &code[8..]))
}

#[cfg(test)]
mod receipt_tests {
    use super::receipt;

    #[test]
    fn receipts_are_short_and_follow_the_head() {
        let a = receipt("ffffffffffffffff00").unwrap();
        assert_eq!(a, "ZZZZ-ZZZZ-ZZZZ");
        assert_eq!(receipt("0000000000000000").unwrap(), "0000-0000-0000");
        let b = receipt("0123456789abcdef0123").unwrap();
        assert_eq!(b.len(), 14);
        // The first 60 bits count; the 61st on does not.
        assert_ne!(b, receipt("0123456789abcdff0123").unwrap());
        assert_eq!(b, receipt("0123456789abcdee0123").unwrap());
        assert_eq!(receipt("12"), None);
        assert_eq!(receipt("zzzzzzzzzzzzzzzz"), None);
    }
}
