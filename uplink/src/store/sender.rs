//! Reading, hashing and sending parts: each part is read once, its MD5 and SHA-256 computed in
//! the same pass, and sent with its `Content-MD5`; the parts of a file go up to the store's
//! slots at once (`uplink.parts_in_flight`), taken from the file in order and recorded as they
//! come back, in whatever order.

use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

use md5::Md5;
use rusty_s3::S3Action;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::s3::{answer_error, check_etag, lost, transport_error, S3Store, SIGN_FOR};
use super::FileJob;
use crate::error::UplinkError;
use crate::state::Part;
use crate::throttle::{Throttle, ThrottledReader};

/// A part of the local file in memory with its checksums.
pub(super) struct Chunk {
    pub(super) data: Vec<u8>,
    pub(super) md5: [u8; 16],
    pub(super) sha256: String,
}

impl Chunk {
    pub(super) fn md5_hex(&self) -> String {
        hex::encode(self.md5)
    }
}

/// Reads `len` bytes at `offset` of `path`, MD5 and SHA-256 computed in the same pass (1 MiB at
/// a time, each piece hashed while it is in cache).
pub(super) fn read_part(path: &Path, offset: u64, len: u64) -> Result<Chunk, UplinkError> {
    let f = std::fs::File::open(path).map_err(|e| UplinkError::io(path, e))?;
    let mut data = vec![0u8; len as usize];
    let (mut md5, mut sha) = (Md5::new(), Sha256::new());
    let mut at = offset;
    for piece in data.chunks_mut(1 << 20) {
        f.read_exact_at(piece, at)
            .map_err(|e| UplinkError::io(path, e))?;
        md5.update(&*piece);
        sha.update(&*piece);
        at += piece.len() as u64;
    }
    Ok(Chunk {
        data,
        md5: md5.finalize().into(),
        sha256: hex::encode(sha.finalize()),
    })
}

/// Where a request's body bytes are counted: every thread adds to `sent`, and the file's own
/// thread hands them on to the job's `on_bytes`.
pub(super) struct Counter {
    pub(super) sent: AtomicU64,
    passed: AtomicU64,
}

impl Counter {
    pub(super) fn new() -> Self {
        Counter {
            sent: AtomicU64::new(0),
            passed: AtomicU64::new(0),
        }
    }

    /// Hands the bytes counted since the last call to `on_bytes`.
    pub(super) fn pass_on(&self, on_bytes: &mut dyn FnMut(u64)) {
        let now = self.sent.load(Ordering::Relaxed);
        let before = self.passed.swap(now, Ordering::Relaxed);
        if now > before {
            on_bytes(now - before);
        }
    }
}

/// Sends `chunk` to a presigned PUT URL with its `Content-MD5`, throttled; returns the ETag, or
/// `None` when the server no longer has the multipart upload the URL names.
pub(super) fn put(
    s3: &S3Store,
    key: &str,
    url: &str,
    chunk: &Chunk,
    throttle: &Throttle,
    sent: &AtomicU64,
    what: &str,
) -> Result<Option<String>, UplinkError> {
    use base64::Engine;
    let md5 = base64::engine::general_purpose::STANDARD.encode(chunk.md5);
    let mut count = |n: u64| {
        sent.fetch_add(n, Ordering::Relaxed);
    };
    let mut reader = ThrottledReader::new(&chunk.data[..], throttle, &mut count);
    let a = s3.call(
        "PUT",
        url,
        &[("content-md5", md5)],
        Some((&mut reader, chunk.data.len() as u64)),
        key,
        what,
    )?;
    if lost(&a) {
        return Ok(None);
    }
    if !a.ok() {
        return Err(answer_error(key, what, &a));
    }
    a.etag
        .map(Some)
        .ok_or_else(|| transport_error(key, what, "answer without ETag"))
}

/// One multipart upload's parts, as every sending thread sees it.
struct Target<'a> {
    s3: &'a S3Store,
    key: &'a str,
    id: &'a str,
    path: &'a Path,
    part_size: u64,
    size: u64,
    throttle: &'a Throttle,
    counter: &'a Counter,
}

impl Target<'_> {
    /// Reads, hashes and sends part `n` in one of the store's slots; `None` when the server
    /// lost the upload.
    fn send(&self, n: u32) -> Result<Option<Part>, UplinkError> {
        let offset = u64::from(n - 1) * self.part_size;
        let len = (self.size - offset).min(self.part_size);
        let _slot = self.s3.slots.take();
        let chunk = read_part(self.path, offset, len)?;
        let url = self
            .s3
            .bucket
            .upload_part(Some(&self.s3.creds), self.key, n as u16, self.id)
            .sign(SIGN_FOR);
        let what = "UploadPart";
        let sent = &self.counter.sent;
        let Some(etag) = put(
            self.s3,
            self.key,
            url.as_str(),
            &chunk,
            self.throttle,
            sent,
            what,
        )?
        else {
            return Ok(None);
        };
        let md5 = chunk.md5_hex();
        check_etag(self.key, &format!("UploadPart {n}"), &etag, &md5)?;
        Ok(Some(Part {
            number: n,
            size: len,
            md5,
            sha256: chunk.sha256,
        }))
    }
}

/// Sends the parts of upload `id` the job's state lacks, as many at once as the store has
/// slots; each acknowledged part is recorded (`on_step` "part") as it comes back. After the
/// first failure no new part starts; the parts in flight finish and are recorded. Returns
/// whether the server lost the upload; else the first error, if any.
pub(super) fn send_parts(
    s3: &S3Store,
    job: &mut FileJob<'_>,
    id: &str,
) -> Result<bool, UplinkError> {
    let missing = job.state.missing_parts();
    let key = job.state.key.clone();
    let counter = Counter::new();
    let target = Target {
        s3,
        key: &key,
        id,
        path: job.local,
        part_size: job.state.part_size,
        size: job.state.size,
        throttle: job.throttle,
        counter: &counter,
    };
    let (next, stop) = (AtomicUsize::new(0), AtomicBool::new(false));
    let mut upload_lost = false;
    let mut first_error = None;
    std::thread::scope(|sc| {
        let (tx, rx) = mpsc::channel();
        for _ in 0..s3.slots.total().min(missing.len()) {
            let (tx, target, missing, next, stop) = (tx.clone(), &target, &missing, &next, &stop);
            sc.spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let Some(&n) = missing.get(next.fetch_add(1, Ordering::Relaxed)) else {
                        break;
                    };
                    let r = target.send(n);
                    if !matches!(r, Ok(Some(_))) {
                        stop.store(true, Ordering::Relaxed);
                    }
                    if tx.send((n, r)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        loop {
            let got = rx.recv_timeout(Duration::from_millis(250));
            counter.pass_on(job.on_bytes);
            let (n, r) = match got {
                Ok(x) => x,
                Err(RecvTimeoutError::Timeout) => continue,
                Err(RecvTimeoutError::Disconnected) => break,
            };
            match r {
                Ok(Some(part)) => {
                    let fields = json!({"file": job.name, "key": key, "part": n,
                                        "bytes": part.size, "sha256": part.sha256});
                    job.state.add_part(part);
                    if let Err(e) = (job.on_step)(job.state, "part", fields) {
                        stop.store(true, Ordering::Relaxed);
                        first_error.get_or_insert(e);
                    }
                }
                Ok(None) => upload_lost = true,
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
    });
    match first_error {
        Some(e) if !upload_lost => Err(e),
        _ => Ok(upload_lost),
    }
}
