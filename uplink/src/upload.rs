//! One bundle: check it locally, send every file (several at once, manifest.json last), verify
//! each central object, and only then delete the local copy.
//!
//! Central layout: `[<prefix>/]recordings/<exam-date>/<station>/<exam>/<file>`. A central bundle
//! that has its `manifest.json` is complete: the manifest goes up only after every other file was
//! verified.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use bundle::manifest::{self, Manifest};
use serde_json::json;

use crate::backoff::Backoff;
use crate::error::UplinkError;
use crate::log::Log;
use crate::progress::Progress;
use crate::state::{BundleState, FileState, StateDir};
use crate::store::{CentralStore, Expect, FileJob};
use crate::throttle::Throttle;

/// Retry pacing of one bundle.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// First backoff bound.
    pub base: Duration,
    /// Backoff cap.
    pub cap: Duration,
    /// Give up after this many consecutive failures (`None`: never, the daemon's way).
    pub max_attempts: Option<u32>,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            base: Duration::from_millis(500),
            cap: Duration::from_secs(60),
            max_attempts: None,
        }
    }
}

/// Everything a bundle upload needs.
pub struct Ctx<'a> {
    /// The central store.
    pub store: &'a dyn CentralStore,
    /// The station's data folder.
    pub data_dir: &'a Path,
    /// Persisted states.
    pub states: StateDir,
    /// The uplink log.
    pub log: &'a Log,
    /// Bandwidth limit.
    pub throttle: &'a Throttle,
    /// The site's key prefix (may be empty).
    pub prefix: &'a str,
    /// Retry pacing.
    pub retry: RetryPolicy,
    /// Draw progress on a terminal.
    pub progress: bool,
}

/// The key prefix of a bundle: `[<prefix>/]recordings/<date>/<station>/<exam>`.
pub fn bundle_key(prefix: &str, m: &Manifest) -> String {
    crate::store::key_under(
        prefix,
        &format!("recordings/{}/{}/{}", m.exam_date, m.station, m.exam),
    )
}

fn valid_date(d: &str) -> bool {
    let b = d.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

/// Loads the local bundle's manifest and checks its signature; its fields must be usable as key
/// parts. The files themselves are checked by [`manifest::verify_files`], beside the sending.
fn check_manifest(dir: &Path, exam: &str) -> Result<Manifest, UplinkError> {
    let bad = |source| UplinkError::Bundle {
        exam: exam.into(),
        source,
    };
    let m = manifest::load_signed(dir).map_err(bad)?;
    let component = |s: &str| manifest::safe_name(s) && !s.contains('/');
    if m.exam != exam || !component(&m.station) || !valid_date(&m.exam_date) {
        return Err(bad(bundle::Error::Bad {
            file: manifest::FILE.into(),
            why: format!(
                "exam {:?} (folder {exam:?}), station {:?}, exam_date {:?} cannot name a central folder",
                m.exam, m.station, m.exam_date
            ),
        }));
    }
    Ok(m)
}

/// What one finished bundle upload did.
#[derive(Debug, Clone)]
pub struct Uploaded {
    /// Exam id.
    pub exam: String,
    /// Where the central bundle is (URL or path).
    pub location: String,
    /// Bytes in the bundle.
    pub bytes: u64,
    /// Bytes sent (including resends after faults).
    pub sent: u64,
}

/// What the threads sending one bundle's files share.
struct Shared {
    state: BundleState,
    progress: Progress,
    sent: u64,
}

/// One bundle being sent: where from, where to, and the shared progress.
struct Sending<'a> {
    ctx: &'a Ctx<'a>,
    shared: Mutex<Shared>,
    exam: &'a str,
    base: &'a str,
    dir: &'a Path,
}

/// One file of the bundle: name, size, SHA-256.
type Listed = (String, u64, String);

/// Uploads, verifies and deletes the sealed bundle `dir`.
///
/// The files go up to [`CentralStore::in_flight`] at once, manifest.json last. The local files
/// are checked against the signed manifest in a thread of their own while the first files go
/// up; the manifest is sent (and anything deleted) only after that check passed, so a bundle
/// that fails it never becomes a central bundle (a folder without its manifest is none).
pub fn upload_bundle(ctx: &Ctx<'_>, dir: &Path) -> Result<Uploaded, UplinkError> {
    let exam = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let m = check_manifest(dir, &exam)?;
    let base = bundle_key(ctx.prefix, &m);
    let bad = |source| UplinkError::Bundle {
        exam: exam.clone(),
        source,
    };
    let (msize, msha) = manifest::hash_file(&dir.join(manifest::FILE)).map_err(bad)?;
    let data: Vec<Listed> = m
        .files
        .iter()
        .map(|f| (f.name.clone(), f.size, f.sha256.clone()))
        .collect();
    let last: Listed = (manifest::FILE.into(), msize, msha);
    let total: u64 = data.iter().map(|f| f.1).sum::<u64>() + msize;

    let mut state = ctx.states.load(&exam)?;
    state
        .files
        .retain(|name, _| name == manifest::FILE || data.iter().any(|f| &f.0 == name));
    ctx.log.event(
        "bundle_start",
        &exam,
        json!({"files": data.len() + 1, "bytes": total, "to": ctx.store.locate(&base),
               "ended_at": m.ended_at}),
        false,
    );
    let b = Sending {
        ctx,
        shared: Mutex::new(Shared {
            state,
            progress: Progress::new(&exam, total, ctx.progress),
            sent: 0,
        }),
        exam: &exam,
        base: &base,
        dir,
    };
    let (checked, sent) = std::thread::scope(|sc| {
        let check = sc.spawn(|| manifest::verify_files(dir, &m));
        let sent = b.send_all(&data);
        let checked = check.join().unwrap_or_else(|_| {
            Err(bundle::Error::Bad {
                file: manifest::FILE.into(),
                why: "the local check stopped".into(),
            })
        });
        (checked, sent)
    });
    let failed = |e: UplinkError| {
        b.lock().progress.finish("failed");
        e
    };
    checked.map_err(bad).map_err(failed)?;
    sent.map_err(failed)?;
    b.send_file(&last).map_err(failed)?;
    let Shared { progress, sent, .. } = b.shared.into_inner().unwrap_or_else(|p| p.into_inner());
    ctx.log.event(
        "verified",
        &exam,
        json!({"files": data.len() + 1, "bytes": total, "sent": sent}),
        true,
    );
    crate::spool::delete_bundle(ctx.data_dir, dir, &exam)?;
    ctx.log.event(
        "deleted",
        &exam,
        json!({"local": dir.display().to_string()}),
        true,
    );
    ctx.states.remove(&exam)?;
    progress.finish("verified, local copy deleted");
    Ok(Uploaded {
        exam,
        location: ctx.store.locate(&base),
        bytes: total,
        sent,
    })
}

/// Sleeps before the next attempt, or gives up when the policy says so.
fn retry_or_give_up(
    ctx: &Ctx<'_>,
    exam: &str,
    name: &str,
    b: &mut Backoff,
    e: UplinkError,
) -> Result<(), UplinkError> {
    if ctx
        .retry
        .max_attempts
        .is_some_and(|m| b.attempts() + 1 >= m)
    {
        ctx.log.event(
            "gave_up",
            exam,
            json!({"file": name, "attempts": b.attempts() + 1, "error": e.to_string()}),
            true,
        );
        return Err(e);
    }
    let d = b.next_delay();
    ctx.log.event(
        "retry",
        exam,
        json!({"file": name, "after_ms": d.as_millis() as u64, "error": e.to_string()}),
        false,
    );
    std::thread::sleep(d);
    Ok(())
}

impl Sending<'_> {
    fn lock(&self) -> std::sync::MutexGuard<'_, Shared> {
        self.shared.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Sends `files`, up to the store's [`in_flight`](CentralStore::in_flight) at once, each to the
    /// end (retries included); after the first error no new file starts. Returns that error.
    fn send_all(&self, files: &[Listed]) -> Result<(), UplinkError> {
        let next = AtomicUsize::new(0);
        let failed: Mutex<Option<UplinkError>> = Mutex::new(None);
        let stopped = || failed.lock().map(|f| f.is_some()).unwrap_or(true);
        std::thread::scope(|sc| {
            for _ in 0..self.ctx.store.in_flight().clamp(1, files.len().max(1)) {
                sc.spawn(|| {
                    while !stopped() {
                        let Some(f) = files.get(next.fetch_add(1, Ordering::Relaxed)) else {
                            break;
                        };
                        if let Err(e) = self.send_file(f) {
                            if let Ok(mut first) = failed.lock() {
                                first.get_or_insert(e);
                            }
                            break;
                        }
                    }
                });
            }
        });
        match failed.into_inner() {
            Ok(Some(e)) => Err(e),
            _ => Ok(()),
        }
    }

    /// Sends one file until its central copy is verified: retries by the policy, a checksum
    /// mismatch starts the file again (three in a row fail it).
    fn send_file(&self, (name, size, sha): &Listed) -> Result<(), UplinkError> {
        let (ctx, exam) = (self.ctx, self.exam);
        let key = format!("{}/{name}", self.base);
        let fresh = FileState {
            key: key.clone(),
            size: *size,
            ..Default::default()
        };
        let mut fs = {
            let mut sh = self.lock();
            let fs = match sh.state.files.get(name) {
                Some(f) if f.key == key && f.size == *size => f.clone(),
                _ => fresh.clone(),
            };
            sh.progress.add(fs.done_bytes());
            fs
        };
        let local = self.dir.join(name);
        let mut backoff = Backoff::new(ctx.retry.base, ctx.retry.cap);
        let mut mismatches = 0;
        let expect = Expect {
            size: *size,
            sha256: sha,
        };
        while !fs.verified {
            match self.send_and_verify(name, &local, &mut fs, &expect) {
                Ok(()) => {}
                Err(e @ UplinkError::Mismatch { .. }) => {
                    ctx.log.event(
                        "mismatch",
                        exam,
                        json!({"file": name, "error": e.to_string()}),
                        true,
                    );
                    fs = fresh.clone();
                    mismatches += 1;
                    if mismatches >= 3 {
                        return Err(e);
                    }
                    retry_or_give_up(ctx, exam, name, &mut backoff, e)?;
                }
                Err(e) if e.is_retryable() => retry_or_give_up(ctx, exam, name, &mut backoff, e)?,
                Err(e) => {
                    ctx.log.event(
                        "error",
                        exam,
                        json!({"file": name, "error": e.to_string()}),
                        true,
                    );
                    return Err(e);
                }
            }
        }
        Ok(())
    }

    /// One attempt at sending (or resuming) a file and verifying its central copy. The state is
    /// saved after every step, fsynced only when a multipart upload is created or completed (see
    /// [`crate::state`]).
    fn send_and_verify(
        &self,
        name: &str,
        local: &Path,
        fs: &mut FileState,
        expect: &Expect<'_>,
    ) -> Result<(), UplinkError> {
        let (ctx, exam) = (self.ctx, self.exam);
        let save = |f: &FileState, durable: bool| {
            let mut sh = self.lock();
            sh.state.files.insert(name.to_owned(), f.clone());
            ctx.states.save_with(&sh.state, durable)
        };
        if !fs.completed {
            let log = ctx.log;
            let mut on_bytes = |n: u64| {
                let mut sh = self.lock();
                sh.sent += n;
                sh.progress.add(n);
            };
            let mut on_step = |f: &FileState, event: &str, fields: serde_json::Value| {
                save(f, matches!(event, "created" | "completed"))?;
                log.event(event, exam, fields, false);
                Ok(())
            };
            let mut job = FileJob {
                exam,
                name,
                local,
                state: fs,
                throttle: ctx.throttle,
                on_bytes: &mut on_bytes,
                on_step: &mut on_step,
            };
            ctx.store.upload(&mut job)?;
        }
        ctx.store.verify(fs, expect)?;
        fs.verified = true;
        save(fs, false)?;
        ctx.log.event(
            "file_verified",
            exam,
            json!({"file": name, "key": fs.key, "bytes": fs.size}),
            false,
        );
        Ok(())
    }
}

/// Paths of the uplink's own files in a data folder.
pub fn uplink_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("uplink")
}
