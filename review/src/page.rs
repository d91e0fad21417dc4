//! The reviewer's static folder: a roster of the exams and one page per exam, that opens from
//! disk in Chromium and Firefox (no server, nothing fetched from outside) or through
//! [`crate::serve`]. The page's code is in `review/assets/` and compiled into `examctl`.
//!
//! ```text
//! OUT/index.html, roster-data.js        the roster (window.ROSTER)
//! OUT/assets/                           review.css, player.js, exam.js, roster.js
//! OUT/exams/<exam>/index.html, data.js  the exam's page (window.EXAM)
//! OUT/exams/<exam>/camera.mp4, screen.mp4, microphone.webm   media both browsers play
//!                                       (a VP8 board's video: camera.webm, screen.webm)
//! OUT/exams/<exam>/identity/, evidence/ the check-in stills and the hints' stills
//! OUT/exams/<exam>/profile/             the student's identity profile stills (when kept)
//! OUT/exams/<exam>/review.json          the reviewers' decisions (crate::state)
//! ```

use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use crate::flags::{analysed_by, Flags};
use crate::media::quote;
use crate::state::{self, Decision, Review};
use crate::timeline::Timeline;
use crate::Error;

/// The page's files, compiled in.
const ASSETS: [(&str, &str); 6] = [
    ("exam.html", include_str!("../assets/exam.html")),
    ("roster.html", include_str!("../assets/roster.html")),
    ("review.css", include_str!("../assets/review.css")),
    ("player.js", include_str!("../assets/player.js")),
    ("exam.js", include_str!("../assets/exam.js")),
    ("roster.js", include_str!("../assets/roster.js")),
];

/// The opened streams the page plays.
const MEDIA: [(&str, &str); 3] = [
    ("camera", "camera.mkv"),
    ("screen", "screen.mkv"),
    ("microphone", "microphone.mka"),
];

/// The container both browsers play for a stream of `codec`, and the GStreamer remux into it
/// (no re-encoding: H.264 into MP4, VP8 and Opus into WebM).
fn target(codec: &str) -> Option<(&'static str, &'static str)> {
    match codec {
        "video/x-h264" => Some(("mp4", "h264parse ! mp4mux faststart=true")),
        "video/x-vp8" => Some(("webm", "webmmux")),
        "audio/x-opus" => Some(("webm", "opusparse ! webmmux")),
        _ => None,
    }
}

/// What [`build`] made.
#[derive(Debug)]
pub struct Built {
    /// The roster page.
    pub index: PathBuf,
    /// Each exam's page.
    pub exams: Vec<PathBuf>,
    /// What each exam's analysis found, in a few lines ([`crate::summary`]).
    pub summaries: Vec<String>,
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    if let Some(p) = path.parent() {
        std::fs::create_dir_all(p).map_err(|e| Error::io(p, e))?;
    }
    std::fs::write(path, bytes).map_err(|e| Error::io(path, e))
}

/// `window.NAME = <json>;` with `<` escaped, so no text from a journal can end a script.
fn script(name: &str, value: &Value) -> String {
    let json = serde_json::to_string_pretty(value)
        .unwrap_or_else(|_| "null".into())
        .replace('<', "\\u003c");
    format!("window.{name} = {json};\n")
}

/// The exam's hints: its `flags.json` when this version wrote it, else a fresh analysis.
fn flags_of(dir: &Path, workers: usize) -> Result<Flags, Error> {
    let path = dir.join("flags.json");
    if path.is_file() {
        if let Ok(f) = Flags::load(&path) {
            if f.analysed_by == analysed_by() {
                return Ok(f);
            }
        }
    }
    Ok(crate::analyse(dir, workers)?.flags)
}

/// Remuxes `from` into `to` unless `to` is newer.
fn remux(from: &Path, to: &Path, chain: &str) -> Result<(), Error> {
    let newer = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    if newer(to).is_some() && newer(to) >= newer(from) {
        return Ok(());
    }
    let tmp = to.with_extension("part");
    let desc = format!(
        "filesrc location={} ! matroskademux ! {chain} ! filesink location={}",
        quote(from),
        quote(&tmp)
    );
    crate::media::run_to_end(&desc).map_err(|e| Error::media(from, e))?;
    std::fs::rename(&tmp, to).map_err(|e| Error::io(to, e))
}

/// Copies the `.jpg` files of `from` into `to`.
fn copy_jpegs(from: &Path, to: &Path) -> Result<Vec<String>, Error> {
    let Ok(list) = std::fs::read_dir(from) else {
        return Ok(Vec::new());
    };
    let mut names: Vec<String> = list
        .flatten()
        .filter_map(|e| e.file_name().to_str().map(str::to_owned))
        .filter(|n| n.ends_with(".jpg"))
        .collect();
    names.sort();
    std::fs::create_dir_all(to).map_err(|e| Error::io(to, e))?;
    for n in &names {
        let (a, b) = (from.join(n), to.join(n));
        std::fs::copy(&a, &b).map_err(|e| Error::io(&a, e))?;
    }
    Ok(names)
}

/// The student's identity profile that `examctl open --site` copied beside the exam
/// (`profile/profile.json` and its stills), for the page to show beside the exam's own
/// check-in stills; `null` when there is none.
fn profile_of(dir: &Path, page: &Path) -> Result<Value, Error> {
    let path = dir.join("profile").join("profile.json");
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Value::Null),
        Err(e) => return Err(Error::io(&path, e)),
    };
    let card: Value =
        serde_json::from_str(&text).map_err(|e| Error::json(&path, String::new(), &e))?;
    let copied = copy_jpegs(&dir.join("profile"), &page.join("profile"))?;
    let stills: Vec<Value> = card["stills"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| Some((s.get(0)?.as_str()?, s.get(1)?.as_str()?)))
        .filter(|(_, file)| copied.iter().any(|c| c == file))
        .map(|(kind, file)| json!({"kind": kind, "file": format!("profile/{file}")}))
        .collect();
    Ok(json!({
        "created_at": card["created_at"],
        "exam": card["exam"],
        "station": card["station"],
        "stills": stills,
    }))
}

fn review_counts(flags: &Flags, review: &Review) -> Value {
    let (mut open, mut dismissed, mut escalated) = (0, 0, 0);
    for f in &flags.flags {
        match review.flags.get(&f.id).map(|r| r.state) {
            Some(Decision::Dismissed) => dismissed += 1,
            Some(Decision::Escalated) => escalated += 1,
            _ => open += 1,
        }
    }
    json!({"open": open, "dismissed": dismissed, "escalated": escalated})
}

/// Builds one exam's page from the opened exam `dir` into `out/exams/<exam>/`; returns its
/// roster entry and summary.
fn exam_page(dir: &Path, out: &Path, workers: usize) -> Result<(PathBuf, Value, String), Error> {
    let timeline = Timeline::load(&dir.join("timeline.json"))?;
    let id = timeline.exam.clone();
    if !crate::flags::is_plain_relative(&id) || id.contains('/') {
        return Err(Error::Invalid {
            file: dir.join("timeline.json").display().to_string(),
            field: "exam".into(),
            message: format!("{id:?} is not an exam id"),
        });
    }
    let flags = flags_of(dir, workers)?;
    let page = out.join("exams").join(&id);
    std::fs::create_dir_all(&page).map_err(|e| Error::io(&page, e))?;
    let mut media = serde_json::Map::new();
    for (stream, from) in MEDIA {
        let src = dir.join(from);
        let value = if src.is_file() {
            let codec = crate::media::codec(&src)?;
            let (ext, chain) = target(&codec).ok_or_else(|| {
                Error::media(&src, format!("{codec}: no browser container for it"))
            })?;
            let to = format!("{stream}.{ext}");
            remux(&src, &page.join(&to), chain)?;
            Value::from(to)
        } else {
            Value::Null
        };
        media.insert(stream.into(), value);
    }
    let mut stills: Vec<Value> = copy_jpegs(&dir.join("identity"), &page.join("identity"))?
        .into_iter()
        .map(|n| json!({"kind": crate::still_kind(&n), "file": format!("identity/{n}")}))
        .collect();
    // The photo ID first, as the profile shows it: the two columns compare row by row.
    stills.sort_by_key(|s| s["kind"] != "PhotoId");
    copy_jpegs(&dir.join("evidence"), &page.join("evidence"))?;
    let profile = profile_of(dir, &page)?;
    let review = state::gather(&page, &id)?;
    state::settle(&page, &review)?;
    let (interruptions, lost) = timeline.interruptions();
    let exam = json!({
        "exam": id,
        "station": timeline.station,
        "started_at": timeline.started_at,
        "ended_at": timeline.ended_at,
        "duration_s": flags.duration_s,
        "interrupted": timeline.interrupted,
        "receipts": timeline.parts.iter().map(|p| p.receipt.clone()).filter(|r| !r.is_empty()).collect::<Vec<_>>(),
        "interruptions": interruptions,
        "time_lost_s": lost,
        "media": media,
        "media_ranges": flags.recorded,
        "stills": stills,
        "profile": profile,
        "coverage": flags.coverage,
        "analysis": {"version": flags.analysed_by, "generated_by": "examctl review"},
        "flags": flags.flags,
        "events": crate::journal::lanes(&timeline),
        "review": review.flags,
    });
    write(&page.join("data.js"), script("EXAM", &exam).as_bytes())?;
    write(&page.join("index.html"), ASSETS[0].1.as_bytes())?;
    let mut counts = serde_json::Map::new();
    for f in &flags.flags {
        let n = counts.entry(f.kind.clone()).or_insert(Value::from(0));
        *n = Value::from(n.as_u64().unwrap_or(0) + 1);
    }
    let entry = json!({
        "exam": exam["exam"], "station": exam["station"], "started_at": exam["started_at"],
        "ended_at": exam["ended_at"], "duration_s": exam["duration_s"],
        "interrupted": exam["interrupted"], "interruptions": interruptions, "time_lost_s": lost,
        "coverage": {"faces": flags.coverage.faces, "audio": flags.coverage.audio, "screen": flags.coverage.screen},
        "flags": counts,
        "review": review_counts(&flags, &review),
        "href": format!("exams/{id}/index.html"),
    });
    Ok((page.join("index.html"), entry, crate::summary(dir, &flags)))
}

/// Builds the review folder `out` for the opened exams `dirs` (analysing those without a
/// current `flags.json`).
pub fn build(dirs: &[PathBuf], out: &Path, workers: usize) -> Result<Built, Error> {
    let mut exams = Vec::new();
    let mut roster = Vec::new();
    let mut summaries = Vec::new();
    for dir in dirs {
        let (page, entry, summary) = exam_page(dir, out, workers)?;
        exams.push(page);
        roster.push(entry);
        summaries.push(summary);
    }
    roster.sort_by(|a, b| a["started_at"].as_str().cmp(&b["started_at"].as_str()));
    for (name, text) in &ASSETS[2..] {
        write(&out.join("assets").join(name), text.as_bytes())?;
    }
    let data =
        json!({"generated_by": format!("examctl review ({})", analysed_by()), "exams": roster});
    write(
        &out.join("roster-data.js"),
        script("ROSTER", &data).as_bytes(),
    )?;
    let index = out.join("index.html");
    write(&index, ASSETS[1].1.as_bytes())?;
    Ok(Built {
        index,
        exams,
        summaries,
    })
}
