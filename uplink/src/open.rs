//! Opening a sealed bundle with the institution's identity: verify, decrypt, reassemble.
//!
//! Output folder: `timeline.json` (every journal event), `identity/*.jpg`, and one file per
//! stream (`camera.mkv`, `microphone.mka`, `screen.mkv`) that standard players open. An exam in
//! several parts (resumed after a power cut, [`crate::parts`]) opens as one exam: each part
//! must continue the one before it (its `Resumed` event names the previous part's id and
//! journal head), the timeline holds every part's events in order and the media run on from
//! part to part.

use std::collections::BTreeMap;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::remux::Run;
use bundle::event::{Event, Record};
use bundle::keys::Identity;
use bundle::manifest::{self, Manifest};
use bundle::{journal, seal};

/// Errors while opening a bundle.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// Verification or decryption failed (names the file).
    #[error("{0}")]
    Bundle(#[from] bundle::Error),
    /// Reassembling media failed.
    #[error("{0}")]
    Media(String),
    /// The parts of an exam do not chain, or there is no bundle.
    #[error("{0}")]
    Parts(String),
    /// The journal does not end where the manifest says.
    #[error(
        "journal head {found} differs from the manifest's {expected}: the journal was changed"
    )]
    JournalHead {
        /// From the manifest.
        expected: String,
        /// Found.
        found: String,
    },
}

pub use review::timeline::{Entry, Part, Timeline};

/// What [`open`] produced.
#[derive(Debug)]
pub struct Opened {
    /// The verified manifest (of the first part).
    pub manifest: Manifest,
    /// Every part's verified manifest, in order.
    pub parts: Vec<Manifest>,
    /// The timeline.
    pub timeline: Timeline,
    /// Media files written (stream file -> path).
    pub media: Vec<PathBuf>,
    /// Identity stills written.
    pub stills: Vec<PathBuf>,
}

fn entry(r: &Record) -> Entry {
    let v = serde_json::to_value(&r.event).unwrap_or(serde_json::Value::Null);
    let details = match v {
        serde_json::Value::Object(mut m) if m.len() == 1 => m
            .values_mut()
            .next()
            .map(std::mem::take)
            .unwrap_or_default(),
        _ => serde_json::Value::Null,
    };
    Entry {
        seq: r.seq,
        time: bundle::rfc3339(r.wall_ms),
        mono_ms: r.mono_ms,
        kind: r.event.kind().to_owned(),
        details,
    }
}

/// Verifies `bundle_dir` (a bundle, or a folder of an exam's parts as `examctl fetch` leaves
/// them), decrypts it with `identity` and writes the opened exam into `out`.
pub fn open(bundle_dir: &Path, identity: &Identity, out: &Path) -> Result<Opened, OpenError> {
    let dirs =
        crate::parts::bundles_in(bundle_dir).map_err(|e| bundle::Error::io(bundle_dir, e))?;
    if dirs.is_empty() {
        return Err(OpenError::Parts(format!(
            "{}: no {} here, nor in any folder in it: not a bundle",
            bundle_dir.display(),
            manifest::FILE
        )));
    }
    open_parts(&dirs, identity, out)
}

/// Reads the journal of the bundle in `dir` (its files checked against `manifest` already)
/// with `identity`, and checks that it ends where the manifest says.
pub fn journal_of(
    dir: &Path,
    manifest: &Manifest,
    identity: &Identity,
) -> Result<Vec<Record>, OpenError> {
    let (records, head) = journal::read_all(dir, identity)?;
    if hex::encode(head) != manifest.journal_head {
        return Err(OpenError::JournalHead {
            expected: manifest.journal_head.clone(),
            found: hex::encode(head),
        });
    }
    Ok(records)
}

/// Opens the parts of one exam, in order, as one exam.
pub fn open_parts(dirs: &[PathBuf], identity: &Identity, out: &Path) -> Result<Opened, OpenError> {
    let mut parts: Vec<Manifest> = Vec::new();
    let mut events = Vec::new();
    let mut starts = Vec::new();
    for dir in dirs {
        let manifest = manifest::verify_bundle(dir)?;
        let records = journal_of(dir, &manifest, identity)?;
        if let Some(before) = parts.last() {
            check_continues(&manifest, &records, before)?;
        }
        events.extend(records.iter().map(entry));
        starts.push(records.iter().find_map(|r| match r.event {
            Event::ExamStarted { .. } => Some(r.wall_ms),
            _ => None,
        }));
        parts.push(manifest);
    }
    let (first, last) = (&parts[0], &parts[parts.len() - 1]);
    std::fs::create_dir_all(out).map_err(|e| bundle::Error::io(out, e))?;
    let timeline = Timeline {
        exam: first.exam.clone(),
        station: first.station.clone(),
        started_at: first.started_at.clone(),
        ended_at: last.ended_at.clone(),
        interrupted: last.interrupted,
        parts: parts
            .iter()
            .map(|m| Part {
                exam: m.exam.clone(),
                started_at: m.started_at.clone(),
                ended_at: m.ended_at.clone(),
                interrupted: m.interrupted,
                receipt: m.receipt().unwrap_or_default(),
            })
            .collect(),
        events,
    };
    let tl_path = out.join("timeline.json");
    let json = serde_json::to_vec_pretty(&timeline).map_err(|e| OpenError::Media(e.to_string()))?;
    std::fs::write(&tl_path, json).map_err(|e| bundle::Error::io(&tl_path, e))?;

    let offsets = part_offsets(&starts);
    let mut stills = Vec::new();
    let mut streams: BTreeMap<String, Vec<(PathBuf, u64)>> = BTreeMap::new();
    for ((dir, m), &offset) in dirs.iter().zip(&parts).zip(&offsets) {
        let mut segs: BTreeMap<String, Vec<&str>> = BTreeMap::new();
        for f in &m.files {
            let Some(plain) = f.name.strip_suffix(".sealed") else {
                continue;
            };
            if let Some(still) = plain.strip_prefix("identity/") {
                // A later part's stills keep its id, so the parts' names never collide.
                let name = if std::ptr::eq(m, first) {
                    plain.to_owned()
                } else {
                    format!("identity/{}-{still}", m.exam)
                };
                let dest = out.join(name);
                decrypt_to(&dir.join(&f.name), identity, &dest, false)?;
                stills.push(dest);
            } else if let Some((stream, rest)) = plain.split_once('-') {
                let ext = rest.rsplit('.').next().unwrap_or("mkv");
                segs.entry(format!("{stream}.{ext}"))
                    .or_default()
                    .push(&f.name);
            }
        }
        for (file, mut names) in segs {
            names.sort();
            streams
                .entry(file)
                .or_default()
                .extend(names.into_iter().map(|n| (dir.join(n), offset)));
        }
    }
    let mut media = Vec::new();
    for (file, segs) in streams {
        let runs = reassemble(identity, &segs, out, &file)?;
        let dest = out.join(&file);
        crate::remux::remux(&runs, &dest).map_err(|e| OpenError::Media(format!("{file}: {e}")))?;
        for r in runs {
            let _ = std::fs::remove_file(r.path);
        }
        media.push(dest);
    }
    Ok(Opened {
        manifest: first.clone(),
        parts,
        timeline,
        media,
        stills,
    })
}

/// Nanoseconds from the first part's recording start to each part's (from their
/// `ExamStarted` wall-clock times): where each part's media go on the exam's clock. A part
/// that never started recording has no media, so its offset does not matter.
fn part_offsets(starts: &[Option<u64>]) -> Vec<u64> {
    let first = starts.iter().flatten().next().copied().unwrap_or(0);
    starts
        .iter()
        .map(|s| s.map_or(0, |ms| ms.saturating_sub(first) * 1_000_000))
        .collect()
}

/// Part `m` must begin by naming the part `before` it: its id and journal head.
fn check_continues(m: &Manifest, records: &[Record], before: &Manifest) -> Result<(), OpenError> {
    let named = records.iter().find_map(|r| match &r.event {
        Event::Resumed {
            previous,
            previous_head,
            ..
        } => Some((
            previous.as_str().to_owned(),
            previous_head.as_str().to_owned(),
        )),
        _ => None,
    });
    match named {
        Some((id, head)) if id == before.exam && head == before.journal_head => Ok(()),
        Some((id, head)) => Err(OpenError::Parts(format!(
            "exam part {} does not continue {} (journal head {}): it names {id} (journal head {head})",
            m.exam, before.exam, before.journal_head
        ))),
        None => Err(OpenError::Parts(format!(
            "exam part {} does not continue {}: its journal has no Resumed event",
            m.exam, before.exam
        ))),
    }
}

fn decrypt_to(
    src: &Path,
    identity: &Identity,
    dest: &Path,
    append: bool,
) -> Result<u64, OpenError> {
    if let Some(p) = dest.parent() {
        std::fs::create_dir_all(p).map_err(|e| bundle::Error::io(p, e))?;
    }
    let f = std::fs::OpenOptions::new()
        .create(true)
        .write(true)
        .append(append)
        .truncate(!append)
        .open(dest)
        .map_err(|e| bundle::Error::io(dest, e))?;
    let mut w = BufWriter::new(f);
    let n = seal::Reader::open(src, identity)?.copy_to(&mut w)?;
    w.flush().map_err(|e| bundle::Error::io(dest, e))?;
    Ok(n)
}

/// EBML magic: a segment starting with it begins a new run of the muxer (a source restarted).
const EBML: [u8; 4] = [0x1a, 0x45, 0xdf, 0xa3];

/// Decrypts a stream's segments (in order, each with its part's offset on the exam's clock)
/// into one file per run (`.runN.<file>` in `out`).
fn reassemble(
    identity: &Identity,
    segs: &[(PathBuf, u64)],
    out: &Path,
    file: &str,
) -> Result<Vec<Run>, OpenError> {
    let mut runs: Vec<Run> = Vec::new();
    for (seg, offset_ns) in segs {
        let mut r = seal::Reader::open(seg, identity)?;
        let first = r.next_frame()?;
        let Some(first) = first else { continue };
        if first.starts_with(&EBML) || runs.is_empty() {
            runs.push(Run {
                path: out.join(format!(".run{}.{file}", runs.len())),
                offset_ns: *offset_ns,
            });
        }
        let path = &runs.last().expect("a run exists").path;
        let f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| bundle::Error::io(path, e))?;
        let mut w = BufWriter::new(f);
        w.write_all(&first)
            .map_err(|e| bundle::Error::io(path, e))?;
        r.copy_to(&mut w)?;
        w.flush().map_err(|e| bundle::Error::io(path, e))?;
    }
    Ok(runs)
}

/// A short human summary: states passed, events by kind, files and sizes.
pub fn summary(o: &Opened) -> String {
    use std::fmt::Write as _;
    let t = &o.timeline;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "exam {} from station {} ({}), {} .. {}",
        t.exam,
        t.station,
        if t.interrupted {
            "INTERRUPTED"
        } else {
            "completed"
        },
        t.started_at,
        t.ended_at
    );
    let receipt = |m: &Manifest| m.receipt().unwrap_or_else(|| "?".into());
    if t.parts.len() > 1 {
        for (i, (p, m)) in t.parts.iter().zip(&o.parts).enumerate() {
            let _ = writeln!(
                s,
                "part {}: {} {} .. {}{}, receipt: {}",
                i + 1,
                p.exam,
                p.started_at,
                p.ended_at,
                if p.interrupted { " (cut)" } else { "" },
                receipt(m)
            );
        }
    } else {
        let _ = writeln!(s, "receipt: {}", receipt(&o.manifest));
    }
    let mut states = Vec::new();
    let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
    for e in &o.timeline.events {
        *kinds.entry(e.kind.as_str()).or_default() += 1;
        if e.kind == "StateChanged" {
            if states.is_empty() {
                states.push(e.details["from"].as_str().unwrap_or("?").to_string());
            }
            states.push(e.details["to"].as_str().unwrap_or("?").to_string());
        }
    }
    let _ = writeln!(s, "states: {}", states.join(" -> "));
    let kinds: Vec<String> = kinds.iter().map(|(k, n)| format!("{k} {n}")).collect();
    let _ = writeln!(
        s,
        "events: {} ({})",
        o.timeline.events.len(),
        kinds.join(", ")
    );
    let _ = writeln!(s, "files:");
    for p in o.media.iter().chain(&o.stills) {
        let size = std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
        let _ = writeln!(s, "  {:>10} bytes  {}", size, p.display());
    }
    s
}
