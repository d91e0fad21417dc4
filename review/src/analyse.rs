//! The analysis of one opened exam: camera, microphone, screen and journal into `flags.json`
//! and `evidence/`, next to the exam's `timeline.json`.

use std::path::{Path, PathBuf};

use crate::audio::{self, Audio};
use crate::camera::{self, Sample, SAMPLE_HZ};
use crate::flags::{analysed_by, Baseline, Clip, Coverage, DetectorInfo, Flag, Flags, SCHEMA};
use crate::hold::windows;
use crate::journal::{self, LaneEvent, CLIP_PAD_S};
use crate::timeline::Timeline;
use crate::Error;

/// Seconds "no face" or "more than one face" must hold before it is a hint.
pub const FACE_HOLD_S: f64 = 5.0;
/// Seconds a darkened camera must hold.
pub const DARK_HOLD_S: f64 = 5.0;
/// Seconds of sound that make a hint.
pub const SOUND_HOLD_S: f64 = 3.0;
/// A camera is dark when its luma falls under this share of the first minute's...
pub const DARK_SHARE: f64 = 0.35;
/// ... and under this luma.
pub const DARK_LUMA: f64 = 30.0;
/// Seconds of the baseline.
pub const BASELINE_S: f64 = 60.0;

/// What the analysis found, also written to disk.
#[derive(Debug)]
pub struct Analysis {
    /// The `flags.json` content.
    pub flags: Flags,
    /// The journal's events on the timeline's lanes.
    pub lanes: Vec<LaneEvent>,
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}

fn present(dir: &Path, name: &str) -> Option<PathBuf> {
    Some(dir.join(name)).filter(|p| p.is_file())
}

/// The seconds of `file` (a video stream) that hold a frame: the screen's presence.
fn seconds_with_frames(file: &Path) -> Result<Vec<f64>, Error> {
    let seen: std::collections::BTreeSet<i64> = crate::media::buffer_times(file)?
        .into_iter()
        .map(|t| t.floor() as i64)
        .collect();
    Ok(seen.into_iter().map(|s| s as f64).collect())
}

/// `[start, end]` ranges covering `times` (ascending, `period` apart when nothing is
/// missing); a gap longer than twice the period ends a range.
pub fn ranges(times: &[f64], period: f64) -> Vec<[f64; 2]> {
    let mut out: Vec<[f64; 2]> = Vec::new();
    for &t in times {
        match out.last_mut() {
            Some(r) if t - r[1] <= period * 2.0 => r[1] = round(t + period),
            _ => out.push([round(t), round(t + period)]),
        }
    }
    out
}

/// Analyses the opened exam in `dir` with `workers` detector threads; writes `flags.json` and
/// `evidence/` there.
pub fn analyse(dir: &Path, workers: usize) -> Result<Analysis, Error> {
    let timeline = Timeline::load(&dir.join("timeline.json"))?;
    let duration = timeline.duration_s().max(1.0);
    let samples = match present(dir, "camera.mkv") {
        Some(f) => camera::analyse(&f, workers)?,
        None => Vec::new(),
    };
    let audio = match present(dir, "microphone.mka") {
        Some(f) => audio::analyse(&f)?,
        None => Audio {
            seconds: Vec::new(),
            floor_db: -90.0,
        },
    };
    let screen_secs = match present(dir, "screen.mkv") {
        Some(f) => seconds_with_frames(&f)?,
        None => Vec::new(),
    };
    let period = 1.0 / f64::from(SAMPLE_HZ);
    let recorded = [
        (
            "camera",
            ranges(&samples.iter().map(|s| s.t).collect::<Vec<_>>(), period),
        ),
        (
            "microphone",
            ranges(&audio.seconds.iter().map(|s| s.t).collect::<Vec<_>>(), 1.0),
        ),
        ("screen", ranges(&screen_secs, 1.0)),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let stills_with_face = identity_faces(dir)?;
    let lanes = journal::lanes(&timeline);
    let mut found = journal::flags(&lanes, duration);

    let base: Vec<&Sample> = samples.iter().filter(|s| s.t < BASELINE_S).collect();
    let baseline = Baseline {
        camera_luma: median(base.iter().map(|s| f64::from(s.luma)).collect()),
        face_seen: stills_with_face || base.iter().any(|s| s.faces.unwrap_or(0) > 0),
        audio_floor_db: (audio.floor_db * 10.0).round() / 10.0,
    };
    found.extend(camera_flags(&samples, &baseline, duration));
    found.extend(sound_flags(&audio, duration));
    found.sort_by(|a, b| a.start_s.total_cmp(&b.start_s).then(a.kind.cmp(&b.kind)));
    number(&mut found);

    let evidence = dir.join("evidence");
    let _ = std::fs::remove_dir_all(&evidence);
    for f in &mut found {
        if let Some(s) = nearest(&samples, f.start_s) {
            std::fs::create_dir_all(&evidence).map_err(|e| Error::io(&evidence, e))?;
            let name = format!("evidence/{}.jpg", f.id);
            let path = dir.join(&name);
            std::fs::write(&path, &s.jpeg).map_err(|e| Error::io(&path, e))?;
            f.still = Some(name);
        }
    }
    let coverage = coverage(&samples, &audio, screen_secs.len(), duration, &baseline);
    let flags = Flags {
        schema: SCHEMA.into(),
        exam: timeline.exam.clone(),
        station: timeline.station.clone(),
        analysed_by: analysed_by(),
        duration_s: round(duration),
        coverage,
        baseline,
        recorded,
        detectors: detectors(),
        flags: found,
    };
    flags.save(&dir.join("flags.json"))?;
    Ok(Analysis { flags, lanes })
}

fn round(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

/// Whether the detector finds a face in any of the check-in's face stills.
fn identity_faces(dir: &Path) -> Result<bool, Error> {
    let Ok(list) = std::fs::read_dir(dir.join("identity")) else {
        return Ok(false);
    };
    let mut files: Vec<PathBuf> = list
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("face-") && n.ends_with(".jpg"))
        })
        .collect();
    files.sort();
    for f in files {
        if camera::faces_in_still(&f)?.unwrap_or(0) > 0 {
            return Ok(true);
        }
    }
    Ok(false)
}

fn nearest(samples: &[Sample], t: f64) -> Option<&Sample> {
    samples
        .iter()
        .min_by(|a, b| (a.t - t).abs().total_cmp(&(b.t - t).abs()))
        .filter(|s| (s.t - t).abs() <= 2.0)
}

fn number(flags: &mut [Flag]) {
    let mut counts: std::collections::BTreeMap<String, u32> = Default::default();
    for f in flags {
        let n = counts.entry(f.kind.clone()).or_default();
        *n += 1;
        f.id = format!("{}-{n}", f.kind);
    }
}

fn seeta_version() -> String {
    "rustface 0.1.7, seeta_fd_frontal_v1.0".into()
}

fn flag(kind: &str, title: &str, start: f64, end: f64, duration: f64) -> Flag {
    Flag {
        id: String::new(),
        kind: kind.into(),
        title: title.into(),
        start_s: round(start),
        end_s: round(end),
        detector: String::new(),
        detector_version: String::new(),
        threshold: String::new(),
        reason: String::new(),
        still: None,
        clip: Clip {
            start_s: round((start - CLIP_PAD_S).max(0.0)),
            end_s: round((end + CLIP_PAD_S).min(duration.max(end))),
        },
    }
}

/// "No face", "more than one face" and "camera dark" windows.
pub fn camera_flags(samples: &[Sample], baseline: &Baseline, duration: f64) -> Vec<Flag> {
    let times: Vec<f64> = samples.iter().map(|s| s.t).collect();
    let period = 1.0 / f64::from(SAMPLE_HZ);
    let mut out = Vec::new();
    let face = |hit: &dyn Fn(u8) -> bool| -> Vec<bool> {
        samples.iter().map(|s| s.faces.is_some_and(hit)).collect()
    };
    let mut push = |kind: &str,
                    title: &str,
                    hit: Vec<bool>,
                    hold: f64,
                    detector: &str,
                    version: String,
                    threshold: String,
                    why: &dyn Fn(f64) -> String| {
        for w in windows(&times, &hit, period, period, hold) {
            let mut f = flag(kind, title, w.start, w.end, duration);
            f.detector = detector.into();
            f.detector_version = version.clone();
            f.threshold = threshold.clone();
            f.reason = why(w.end - w.start);
            out.push(f);
        }
    };
    if baseline.face_seen {
        push(
            "no_face",
            "No face",
            face(&|n| n == 0),
            FACE_HOLD_S,
            "seeta-frontal",
            seeta_version(),
            format!("no face in every judged sample for {FACE_HOLD_S} s"),
            &|s| format!("The face detector found no face in the camera picture for {s:.0} s."),
        );
    }
    push(
        "more_than_one_face",
        "More than one face",
        face(&|n| n >= 2),
        FACE_HOLD_S,
        "seeta-frontal",
        seeta_version(),
        format!("two or more faces in every judged sample for {FACE_HOLD_S} s"),
        &|s| {
            format!(
                "The face detector found more than one face in the camera picture for {s:.0} s."
            )
        },
    );
    let dark = (baseline.camera_luma * DARK_SHARE).min(DARK_LUMA);
    push(
        "camera_dark",
        "Camera dark or covered",
        samples.iter().map(|s| f64::from(s.luma) < dark).collect(),
        DARK_HOLD_S,
        "luma",
        "mean luma of the sample".into(),
        format!(
            "mean luma under {dark:.0} ({DARK_SHARE} of the first minute's {:.0}, at most {DARK_LUMA}) for {DARK_HOLD_S} s",
            baseline.camera_luma
        ),
        &|s| format!("The camera picture went dark for {s:.0} s (covered, or the light went out)."),
    );
    out
}

/// Sound above the room's quiet level, held.
pub fn sound_flags(audio: &Audio, duration: f64) -> Vec<Flag> {
    let times: Vec<f64> = audio.seconds.iter().map(|s| s.t).collect();
    let hit: Vec<bool> = audio
        .seconds
        .iter()
        .map(|s| s.active >= audio::ACTIVE_SHARE)
        .collect();
    windows(&times, &hit, 1.0, 2.0, SOUND_HOLD_S)
        .into_iter()
        .map(|w| {
            let inside: Vec<&audio::Second> = audio
                .seconds
                .iter()
                .filter(|s| s.t >= w.start && s.t < w.end && s.active >= audio::ACTIVE_SHARE)
                .collect();
            let swing = inside.iter().map(|s| s.swing_db).sum::<f64>() / inside.len().max(1) as f64;
            let how = if swing >= 4.0 {
                "its level rose and fell as speech does"
            } else {
                "its level held steady"
            };
            let mut f = flag("sound", "Speech or sound", w.start, w.end, duration);
            f.detector = "energy-vad".into();
            f.detector_version = format!("review {}", env!("CARGO_PKG_VERSION"));
            f.threshold = format!(
                "{}% of 20 ms frames {} dB over the quiet level ({:.0} dBFS) in each second, for {SOUND_HOLD_S} s",
                (audio::ACTIVE_SHARE * 100.0) as u32,
                audio::ABOVE_FLOOR_DB,
                audio.floor_db
            );
            f.reason = format!(
                "The microphone picked up sound above the room's quiet level for {:.0} s; {how}.",
                w.end - w.start
            );
            f
        })
        .collect()
}

fn coverage(
    samples: &[Sample],
    audio: &Audio,
    screen_secs: usize,
    duration: f64,
    baseline: &Baseline,
) -> Coverage {
    let expected = (duration * f64::from(SAMPLE_HZ)).max(1.0);
    let judged = samples.iter().filter(|s| s.faces.is_some()).count();
    let unjudged = samples.len() - judged;
    let share = |n: usize, of: f64| round2((n as f64 / of).min(1.0));
    let faces = if baseline.face_seen {
        share(judged, expected)
    } else {
        0.0
    };
    let judged_share = judged as f64 / expected;
    let note = if samples.is_empty() {
        "No camera recording: faces could not be judged at all.".to_string()
    } else if judged_share < 0.6 {
        format!(
            "Low coverage: faces could be judged in {:.0}% of the exam ({unjudged} of {} samples too dark or too flat). A missing face where it could not judge is not a hint.",
            (judged_share * 100.0).min(100.0),
            samples.len()
        )
    } else if !baseline.face_seen {
        "The face detector found no face at check-in nor in the first minute, so it is not trusted in this exam: no face hints.".to_string()
    } else {
        format!(
            "Faces could be judged in {:.0}% of the exam.",
            faces * 100.0
        )
    };
    Coverage {
        faces,
        audio: share(audio.seconds.len(), duration.ceil()),
        screen: share(screen_secs, duration.ceil()),
        camera_samples: samples.len() as u32,
        camera_unjudged: unjudged as u32,
        note,
    }
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

fn detectors() -> Vec<DetectorInfo> {
    vec![
        DetectorInfo {
            name: "seeta-frontal".into(),
            version: seeta_version(),
            thresholds: vec![
                format!("{SAMPLE_HZ} sample a second at {}x{}", camera::SAMPLE_W, camera::SAMPLE_H),
                format!(
                    "could not tell under mean luma {} or luma spread {}",
                    camera::JUDGE_MIN_LUMA,
                    camera::JUDGE_MIN_SPREAD
                ),
                format!("held {FACE_HOLD_S} s"),
            ],
        },
        DetectorInfo {
            name: "luma".into(),
            version: "mean luma of the sample".into(),
            thresholds: vec![format!(
                "under {DARK_SHARE} of the first minute's median and under {DARK_LUMA}, held {DARK_HOLD_S} s"
            )],
        },
        DetectorInfo {
            name: "energy-vad".into(),
            version: format!("review {}", env!("CARGO_PKG_VERSION")),
            thresholds: vec![
                format!("frames {} dB over the first minute's 10th percentile", audio::ABOVE_FLOOR_DB),
                format!("{}% of a second's frames", (audio::ACTIVE_SHARE * 100.0) as u32),
                format!("held {SOUND_HOLD_S} s"),
            ],
        },
        DetectorInfo {
            name: "journal".into(),
            version: "bundle journal".into(),
            thresholds: vec![format!("events of a kind within {} s are one hint", journal::BURST_S)],
        },
    ]
}
