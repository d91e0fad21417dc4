//! One bundle: check it locally, send every file (manifest.json last), verify each central
//! object, and only then delete the local copy.
//!
//! Central layout: `[<prefix>/]recordings/<exam-date>/<station>/<exam>/<file>`. A central bundle
//! that has its `manifest.json` is complete: the manifest goes up only after every other file was
//! verified.

use std::path::{Path, PathBuf};
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

/// Loads and verifies the local bundle; its fields must be usable as key parts.
fn check_local(dir: &Path, exam: &str) -> Result<Manifest, UplinkError> {
    let bad = |source| UplinkError::Bundle {
        exam: exam.into(),
        source,
    };
    let m = manifest::verify_bundle(dir).map_err(bad)?;
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

/// Uploads, verifies and deletes the sealed bundle `dir`.
pub fn upload_bundle(ctx: &Ctx<'_>, dir: &Path) -> Result<Uploaded, UplinkError> {
    let exam = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let m = check_local(dir, &exam)?;
    let base = bundle_key(ctx.prefix, &m);
    let (msize, msha) =
        manifest::hash_file(&dir.join(manifest::FILE)).map_err(|source| UplinkError::Bundle {
            exam: exam.clone(),
            source,
        })?;
    // Every listed file, then the manifest.
    let mut files: Vec<(String, u64, String)> = m
        .files
        .iter()
        .map(|f| (f.name.clone(), f.size, f.sha256.clone()))
        .collect();
    files.push((manifest::FILE.into(), msize, msha));
    let total: u64 = files.iter().map(|f| f.1).sum();

    let mut state = ctx.states.load(&exam)?;
    state
        .files
        .retain(|name, _| files.iter().any(|f| &f.0 == name));
    ctx.log.event(
        "bundle_start",
        &exam,
        json!({"files": files.len(), "bytes": total, "to": ctx.store.locate(&base)}),
        false,
    );
    let mut progress = Progress::new(&exam, total, ctx.progress);
    let mut sent = 0u64;
    for (name, size, sha) in &files {
        let key = format!("{base}/{name}");
        let fresh = FileState {
            key: key.clone(),
            size: *size,
            ..Default::default()
        };
        let mut fs = match state.files.get(name) {
            Some(f) if f.key == key && f.size == *size => f.clone(),
            _ => fresh.clone(),
        };
        progress.add(fs.done_bytes());
        let local = dir.join(name);
        let mut backoff = Backoff::new(ctx.retry.base, ctx.retry.cap);
        let mut mismatches = 0;
        while !fs.verified {
            let r = send_and_verify(
                ctx,
                &exam,
                name,
                &local,
                &mut fs,
                &mut state,
                &mut progress,
                &mut sent,
                &Expect {
                    size: *size,
                    sha256: sha,
                },
            );
            match r {
                Ok(()) => {}
                Err(e @ UplinkError::Mismatch { .. }) => {
                    ctx.log.event(
                        "mismatch",
                        &exam,
                        json!({"file": name, "error": e.to_string()}),
                        true,
                    );
                    fs = fresh.clone();
                    mismatches += 1;
                    if mismatches >= 3 {
                        progress.finish("failed");
                        return Err(e);
                    }
                    retry_or_give_up(ctx, &exam, name, &mut backoff, e)?;
                }
                Err(e) if e.is_retryable() => retry_or_give_up(ctx, &exam, name, &mut backoff, e)?,
                Err(e) => {
                    ctx.log.event(
                        "error",
                        &exam,
                        json!({"file": name, "error": e.to_string()}),
                        true,
                    );
                    progress.finish("failed");
                    return Err(e);
                }
            }
        }
        state.files.insert(name.clone(), fs);
    }
    ctx.log.event(
        "verified",
        &exam,
        json!({"files": files.len(), "bytes": total, "sent": sent}),
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

/// One attempt at sending (or resuming) a file and verifying its central copy.
#[allow(clippy::too_many_arguments)]
fn send_and_verify(
    ctx: &Ctx<'_>,
    exam: &str,
    name: &str,
    local: &Path,
    fs: &mut FileState,
    state: &mut BundleState,
    progress: &mut Progress,
    sent: &mut u64,
    expect: &Expect<'_>,
) -> Result<(), UplinkError> {
    if !fs.completed {
        let states = &ctx.states;
        let log = ctx.log;
        let mut on_bytes = |n: u64| {
            *sent += n;
            progress.add(n);
        };
        let mut on_step = |f: &FileState, event: &str, fields: serde_json::Value| {
            state.files.insert(name.to_owned(), f.clone());
            states.save(state)?;
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
    state.files.insert(name.to_owned(), fs.clone());
    ctx.states.save(state)?;
    ctx.log.event(
        "file_verified",
        exam,
        json!({"file": name, "key": fs.key, "bytes": fs.size}),
        false,
    );
    Ok(())
}

/// Paths of the uplink's own files in a data folder.
pub fn uplink_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("uplink")
}
