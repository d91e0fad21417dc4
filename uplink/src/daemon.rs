//! The uplinkd loop: open the store (residency re-checked), wait the jittered start, then send
//! every pending sealed bundle; `once` stops after one pass and reports what failed.

use std::path::{Path, PathBuf};
use std::time::Duration;

use board_config::Site;
use serde_json::json;

use crate::error::UplinkError;
use crate::log::Log;
use crate::state::StateDir;
use crate::store::{CentralStore, Tuning};
use crate::throttle::Throttle;
use crate::upload::{uplink_dir, upload_bundle, Ctx, RetryPolicy, Uploaded};

/// How uplinkd runs.
#[derive(Debug, Clone)]
pub struct Options {
    /// The station's data folder (`spool/`, `uplink/`).
    pub data_dir: PathBuf,
    /// One pass, then stop.
    pub once: bool,
    /// Timeouts.
    pub tuning: Tuning,
    /// Retry pacing.
    pub retry: RetryPolicy,
    /// Overrides the site's `start_jitter_seconds`.
    pub start_jitter: Option<u32>,
    /// Draw progress on a terminal.
    pub progress: bool,
    /// Longest pause between passes of the daemon (a newly sealed bundle wakes it at once).
    pub poll: Duration,
    /// The station's runtime folder: no upload starts while its exam marker exists.
    pub runtime_dir: PathBuf,
}

impl Options {
    /// Defaults for `data_dir`: one pass if `once`, give up after 8 failures in a row then.
    pub fn new(data_dir: PathBuf, once: bool) -> Self {
        Options {
            data_dir,
            once,
            tuning: Tuning::default(),
            retry: RetryPolicy {
                max_attempts: once.then_some(8),
                ..RetryPolicy::default()
            },
            start_jitter: None,
            progress: true,
            poll: Duration::from_secs(15),
            runtime_dir: bundle::spool::runtime_dir(),
        }
    }
}

/// Result of one pass.
#[derive(Debug, Default)]
pub struct Pass {
    /// Bundles uploaded, verified and deleted locally.
    pub done: Vec<Uploaded>,
    /// Bundles that failed, with the reason.
    pub failed: Vec<(String, UplinkError)>,
}

/// One pass over the spool with an open store.
pub fn pass(
    site: &Site,
    store: &dyn CentralStore,
    throttle: &Throttle,
    log: &Log,
    opts: &Options,
) -> Result<Pass, UplinkError> {
    crate::spool::empty_trash(&opts.data_dir)?;
    let ctx = Ctx {
        store,
        data_dir: &opts.data_dir,
        states: StateDir::new(uplink_dir(&opts.data_dir).join("state")),
        log,
        throttle,
        prefix: &site.uplink.prefix,
        retry: opts.retry.clone(),
        progress: opts.progress,
    };
    let mut out = Pass::default();
    let mut facts = crate::health::Facts::load(&opts.data_dir);
    // The report first: it announces the exams sealed before their (larger) bundles go.
    let pushed = crate::health::push(
        store,
        &opts.data_dir,
        &site.uplink.prefix,
        &site.station.id,
        &mut facts,
        log,
    );
    if let Err(e) = pushed {
        log.event("health_failed", "", json!({"error": e.to_string()}), false);
    }
    for dir in crate::spool::pending(&opts.data_dir)? {
        let exam = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        facts.attempt(&exam);
        let r = upload_bundle(&ctx, &dir);
        match &r {
            Ok(_) => facts.verified(&exam),
            Err(e) => facts.failed(&exam, e),
        }
        // Saved after each bundle, so the station's next report says what happened so far.
        if let Err(e) = facts.save() {
            log.event(
                "health_failed",
                &exam,
                json!({"error": e.to_string()}),
                false,
            );
        }
        match r {
            Ok(u) => out.done.push(u),
            Err(e) => {
                log.event(
                    "bundle_failed",
                    &exam,
                    json!({"error": e.to_string()}),
                    true,
                );
                out.failed.push((exam, e));
            }
        }
    }
    Ok(out)
}

/// Runs uplinkd: in `once` mode returns after one pass, otherwise never returns but on a fatal
/// error. `on_done` is called for every bundle verified and deleted.
pub fn run(
    site: &Site,
    opts: &Options,
    on_done: &mut dyn FnMut(&Uploaded),
) -> Result<Pass, UplinkError> {
    let store = crate::store::open(site, None, &opts.tuning)?;
    let log = Log::open(&log_path(&opts.data_dir))?;
    log.event(
        "start",
        "",
        json!({"store": store.describe(), "once": opts.once}),
        false,
    );
    let jitter = crate::backoff::start_jitter(
        opts.start_jitter
            .unwrap_or(site.uplink.start_jitter_seconds),
    );
    if !jitter.is_zero() {
        tracing::info!("starting in {:.1}s (jittered start)", jitter.as_secs_f64());
        std::thread::sleep(jitter);
    }
    let throttle = Throttle::from_kbps(site.uplink.bandwidth_limit_kbps);
    let spool = crate::spool::spool_dir(&opts.data_dir);
    let mut watch = if opts.once {
        None
    } else {
        std::fs::create_dir_all(&spool).map_err(|e| UplinkError::io(&spool, e))?;
        match crate::wake::SpoolWatch::new(&spool) {
            Ok(mut w) => {
                // A new report from the station wakes the uplink to push it.
                let health = bundle::health::dir(&opts.data_dir);
                if let Err(e) = w.also(&health) {
                    tracing::info!(
                        "{}: not watched ({e}): its reports go at the next poll",
                        health.display()
                    );
                }
                Some(w)
            }
            Err(e) => {
                tracing::warn!("{}: not watched ({e}): polling only", spool.display());
                None
            }
        }
    };
    loop {
        wait_for_no_exam(opts, &log);
        let p = pass(site, store.as_ref(), &throttle, &log, opts)?;
        p.done.iter().for_each(&mut *on_done);
        if opts.once {
            return Ok(p);
        }
        match watch.as_mut() {
            Some(w) => {
                w.wait(opts.poll);
            }
            None => std::thread::sleep(opts.poll),
        }
    }
}

/// No upload starts while the station records an exam (its network is the exam's then; the
/// exam's ruleset drops the uplink's traffic anyway).
fn wait_for_no_exam(opts: &Options, log: &Log) {
    if !bundle::spool::exam_running(&opts.runtime_dir) {
        return;
    }
    log.event("waiting", "", json!({"why": "an exam is recording"}), false);
    // A tenth of a second: the exam's end is what starts its upload (one stat each time).
    while bundle::spool::exam_running(&opts.runtime_dir) {
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The uplink log of a data folder: `DATA_DIR/uplink/log`.
pub fn log_path(data_dir: &Path) -> PathBuf {
    uplink_dir(data_dir).join("log")
}
