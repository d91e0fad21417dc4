//! Folder backend: the central store is a folder (a mounted campus file server, or
//! `target/demo/central` in the demo). Objects are files at `FOLDER/<key>`, written to a
//! temporary name, fsync'd, then renamed, so a present file is always whole.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use serde_json::json;

use super::{CentralStore, Expect, FileJob, Listed};
use crate::error::UplinkError;
use crate::state::{FileState, Part};
use crate::throttle::ThrottledReader;

/// A central store in a local folder.
#[derive(Debug, Clone)]
pub struct FolderStore {
    root: PathBuf,
}

impl FolderStore {
    /// A store rooted at `root` (created on first upload).
    pub fn new(root: PathBuf) -> Self {
        FolderStore { root }
    }

    fn path(&self, key: &str) -> PathBuf {
        self.root.join(key)
    }
}

impl CentralStore for FolderStore {
    fn describe(&self) -> String {
        format!("folder {}", self.root.display())
    }

    fn locate(&self, key: &str) -> String {
        self.path(key).display().to_string()
    }

    fn upload(&self, job: &mut FileJob<'_>) -> Result<(), UplinkError> {
        if job.state.completed {
            return Ok(());
        }
        let dest = self.path(&job.state.key);
        let dir = dest.parent().unwrap_or(&self.root).to_owned();
        std::fs::create_dir_all(&dir).map_err(|e| UplinkError::io(&dir, e))?;
        let tmp = dest.with_extension("uplink-part");
        let src = std::fs::File::open(job.local).map_err(|e| UplinkError::io(job.local, e))?;
        let mut out = std::fs::File::create(&tmp).map_err(|e| UplinkError::io(&tmp, e))?;
        let mut reader = ThrottledReader::new(src, job.throttle, &mut *job.on_bytes);
        let mut buf = vec![0u8; 256 * 1024];
        let mut hash = sha2::Sha256::default();
        let mut n = 0u64;
        loop {
            let k = reader
                .read(&mut buf)
                .map_err(|e| UplinkError::io(job.local, e))?;
            if k == 0 {
                break;
            }
            sha2::Digest::update(&mut hash, &buf[..k]);
            out.write_all(&buf[..k])
                .map_err(|e| UplinkError::io(&tmp, e))?;
            n += k as u64;
        }
        out.sync_all().map_err(|e| UplinkError::io(&tmp, e))?;
        drop(out);
        std::fs::rename(&tmp, &dest).map_err(|e| UplinkError::io(&dest, e))?;
        bundle::fsutil::sync_dir(&dest)?;
        let sha256 = hex::encode(sha2::Digest::finalize(hash));
        job.state.parts = vec![Part {
            number: 1,
            size: n,
            md5: String::new(),
            sha256: sha256.clone(),
        }];
        job.state.completed = true;
        let key = job.state.key.clone();
        (job.on_step)(
            job.state,
            "put",
            json!({"file": job.name, "key": key, "bytes": n, "sha256": sha256}),
        )
    }

    fn verify(&self, st: &FileState, expect: &Expect<'_>) -> Result<(), UplinkError> {
        let p = self.path(&st.key);
        let (size, sha) = bundle::manifest::hash_file(&p).map_err(|e| UplinkError::Mismatch {
            key: st.key.clone(),
            why: e.to_string(),
        })?;
        if size != expect.size || sha != expect.sha256 {
            return Err(UplinkError::Mismatch {
                key: st.key.clone(),
                why: format!(
                    "size {size} sha256 {sha}, expected {} {}",
                    expect.size, expect.sha256
                ),
            });
        }
        Ok(())
    }

    fn list(&self, prefix: &str) -> Result<Vec<Listed>, UplinkError> {
        // List the folder that holds `prefix` and keep the keys that start with it.
        let base = match prefix.rfind('/') {
            Some(i) => &prefix[..i],
            None => "",
        };
        let dir = self.path(base);
        if !dir.is_dir() {
            return Ok(Vec::new());
        }
        let names = bundle::manifest::list_files(&dir)?;
        let mut out = Vec::new();
        for n in names {
            let key = if base.is_empty() {
                n
            } else {
                format!("{base}/{n}")
            };
            if key.starts_with(prefix) && !key.ends_with(".uplink-part") {
                let size = std::fs::metadata(self.path(&key))
                    .map(|m| m.len())
                    .unwrap_or(0);
                out.push(Listed { key, size });
            }
        }
        Ok(out)
    }

    fn get(&self, key: &str, out: &Path) -> Result<u64, UplinkError> {
        let p = self.path(key);
        if let Some(d) = out.parent() {
            std::fs::create_dir_all(d).map_err(|e| UplinkError::io(d, e))?;
        }
        std::fs::copy(&p, out).map_err(|e| UplinkError::io(&p, e))
    }

    fn put(&self, key: &str, body: &[u8]) -> Result<Option<u64>, UplinkError> {
        let dest = self.path(key);
        if let Some(d) = dest.parent() {
            std::fs::create_dir_all(d).map_err(|e| UplinkError::io(d, e))?;
        }
        bundle::fsutil::write_atomic(&dest, body)?;
        Ok(None)
    }

    fn read(&self, key: &str) -> Result<Vec<u8>, UplinkError> {
        let p = self.path(key);
        std::fs::read(&p).map_err(|e| UplinkError::io(&p, e))
    }

    fn delete(&self, key: &str) -> Result<(), UplinkError> {
        let p = self.path(key);
        match std::fs::remove_file(&p) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(UplinkError::io(&p, e)),
            _ => Ok(()),
        }
    }
}
