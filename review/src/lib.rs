//! The institution's review of an opened exam (`examctl review`): automated hints with their
//! evidence, never a score or a verdict, and a static page to review each exam.
//!
//! - [`analyse`]: camera ([`camera`]: faces with the SeetaFace detector, sampled once a second,
//!   or "could not tell"), microphone ([`audio`]: a voice-activity detector), screen presence
//!   and the journal ([`journal`]) into `flags.json` ([`flags`]) with coverage figures and
//!   evidence stills; something must hold for several seconds ([`hold`]) to be a hint.
//! - [`state`]: the reviewers' dismiss / note / escalate, in `review.json` next to the page.
//! - [`page`]: the static folder (roster and one page per exam) that opens from disk in
//!   Chromium and Firefox; [`serve`] serves it on 127.0.0.1 and saves review state.

pub mod analyse;
pub mod audio;
pub mod camera;
mod error;
pub mod flags;
pub mod hold;
pub mod journal;
pub mod media;
pub mod page;
pub mod serve;
pub mod state;
pub mod timeline;

pub use analyse::{analyse, Analysis};
pub use error::Error;

use std::path::{Path, PathBuf};

/// The fuzz entry point (cargo-fuzz target `review_files`): arbitrary bytes read as each file
/// the review takes from outside (`flags.json`, `review.json`, `timeline.json`) and as an
/// HTTP request head for `--serve`. Errors are fine; a panic is a bug.
pub fn fuzz_files(data: &[u8]) {
    let origin = Path::new("fuzz");
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(f) = flags::Flags::parse(text, origin) {
            let again = serde_json::to_string(&f).expect("a parsed flags.json serialises");
            assert_eq!(flags::Flags::parse(&again, origin).ok(), Some(f));
        }
        if let Ok(mut r) = state::Review::parse(text, origin) {
            r.merge(r.clone());
        }
        if let Ok(t) = timeline::Timeline::parse(text, origin) {
            let lanes = journal::lanes(&t);
            journal::flags(&lanes, t.duration_s());
            t.interruptions();
        }
        let lines: Vec<String> = text.lines().map(str::to_owned).collect();
        if let Some(head) = serve::parse_head(&lines) {
            serve::resolve(Path::new("/srv"), &head.path);
        }
    }
}

/// Writes `bytes` to `path` through a temporary file renamed into place.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes).map_err(|e| Error::io(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| Error::io(path, e))
}

/// Detector threads: `workers` if given, else one per core.
pub fn workers_or_cores(workers: Option<usize>) -> usize {
    workers.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// The kind of an identity still by its file name (`photo-id*.jpg` is the photo ID, the others
/// are face-scan frames), as the station names them.
pub fn still_kind(name: &str) -> &'static str {
    if name.starts_with("photo-id") {
        "PhotoId"
    } else {
        "Face"
    }
}

/// The opened exams among `paths`: each path that holds a `timeline.json`, or the folders
/// directly in it that do (sorted). A path with neither is an error naming it.
pub fn exams_in(paths: &[PathBuf]) -> Result<Vec<PathBuf>, Error> {
    let mut out = Vec::new();
    for p in paths {
        if p.join("timeline.json").is_file() {
            out.push(p.clone());
            continue;
        }
        let list = std::fs::read_dir(p).map_err(|e| Error::io(p, e))?;
        let mut found: Vec<PathBuf> = list
            .flatten()
            .map(|e| e.path())
            .filter(|d| d.join("timeline.json").is_file())
            .collect();
        if found.is_empty() {
            return Err(Error::Io {
                file: p.display().to_string(),
                message: "no opened exam here (no timeline.json in it nor in a folder in it): open bundles with `examctl open` first".into(),
            });
        }
        found.sort();
        out.extend(found);
    }
    Ok(out)
}

/// A few lines on what the analysis of `dir` found.
pub fn summary(dir: &Path, f: &flags::Flags) -> String {
    let mut kinds: std::collections::BTreeMap<&str, usize> = Default::default();
    for flag in &f.flags {
        *kinds.entry(flag.kind.as_str()).or_default() += 1;
    }
    let kinds: Vec<String> = kinds.iter().map(|(k, n)| format!("{k} {n}")).collect();
    let c = &f.coverage;
    format!(
        "{}: exam {} ({:.0} s): {}\n  coverage: faces {:.0}%, audio {:.0}%, screen {:.0}%: {}\n  hints are for a person to check, not findings: {}",
        dir.display(),
        f.exam,
        f.duration_s,
        if kinds.is_empty() { "no flags".to_string() } else { format!("flags: {}", kinds.join(", ")) },
        c.faces * 100.0,
        c.audio * 100.0,
        c.screen * 100.0,
        c.note,
        dir.join("flags.json").display()
    )
}
