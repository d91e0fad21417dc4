//! `flags.json`: the hints of one exam with their evidence, the coverage of each detector, and
//! what made them (docs/REVIEW.md documents every field). The same analysis of the same exam
//! writes the same file: no run time, samples in exam order, ids numbered by kind.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::Error;

/// The schema name and version in every `flags.json`.
pub const SCHEMA: &str = "exam-station/flags/1";

/// A time range on the exam's clock.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Clip {
    /// Seconds since the exam started.
    pub start_s: f64,
    /// Seconds since the exam started.
    pub end_s: f64,
}

/// One review hint: where to look and why, never a verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Flag {
    /// Stable within the file: `<kind>-<n>`.
    pub id: String,
    /// `no_face`, `more_than_one_face`, `camera_dark`, `sound`, or a journal kind
    /// (`keys_blocked`, `host_blocked`, `input_attached`, `device_lost`, `storage_low`,
    /// `interruption`, `proctor_action`).
    pub kind: String,
    /// A short title for the kind.
    pub title: String,
    /// Start, seconds since the exam started.
    pub start_s: f64,
    /// End, seconds since the exam started.
    pub end_s: f64,
    /// What raised it (`seeta-frontal`, `luma`, `energy-vad`, `journal`).
    pub detector: String,
    /// The detector's version.
    pub detector_version: String,
    /// The threshold it used, in words.
    pub threshold: String,
    /// One plain sentence: what was seen.
    pub reason: String,
    /// A still of the moment, relative to the exam's folder (`evidence/<id>.jpg`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub still: Option<String>,
    /// The stretch of recording to watch: the window with a little before and after.
    pub clip: Clip,
}

/// How much of the exam each detector could judge, apart from what it found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Coverage {
    /// Share of the exam's seconds with a camera sample in which faces could be judged.
    pub faces: f64,
    /// Share of the exam's seconds with microphone audio.
    pub audio: f64,
    /// Share of the exam's seconds with a screen frame.
    pub screen: f64,
    /// Camera samples taken.
    pub camera_samples: u32,
    /// Of those, samples too dark or too flat to judge faces in.
    pub camera_unjudged: u32,
    /// One sentence a reviewer reads first.
    pub note: String,
}

/// The per-exam baseline the detectors compare with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    /// Median camera luma over the first minute.
    pub camera_luma: f64,
    /// Whether the detector found a face in the check-in stills or the first minute: when it
    /// did not, it is not trusted to say "no face" in this exam.
    pub face_seen: bool,
    /// The microphone's quiet level over the first minute (dBFS).
    pub audio_floor_db: f64,
}

/// A detector that ran, with its version and thresholds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DetectorInfo {
    /// Name, as in [`Flag::detector`].
    pub name: String,
    /// Version.
    pub version: String,
    /// Its thresholds, in words.
    pub thresholds: Vec<String>,
}

/// The whole `flags.json` of one exam.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Flags {
    /// [`SCHEMA`].
    pub schema: String,
    /// Exam id.
    pub exam: String,
    /// Station id.
    pub station: String,
    /// The program and version that analysed it (`review 0.1.0`).
    pub analysed_by: String,
    /// Length of the exam on its clock, seconds.
    pub duration_s: f64,
    /// Coverage.
    pub coverage: Coverage,
    /// Baseline.
    pub baseline: Baseline,
    /// Where each stream (`camera`, `microphone`, `screen`) has recording: `[start_s, end_s]`
    /// ranges of exam time (a lost camera leaves a gap).
    pub recorded: std::collections::BTreeMap<String, Vec<[f64; 2]>>,
    /// Detectors that ran.
    pub detectors: Vec<DetectorInfo>,
    /// The hints, by start time.
    pub flags: Vec<Flag>,
}

/// The analysis's own revision: raised whenever a rule changes what the same exam yields, so a
/// `flags.json` of an older revision is analysed again.
pub const REVISION: u32 = 2;

/// This crate's name and version and the analysis's revision, as `analysed_by` says.
pub fn analysed_by() -> String {
    format!("review {} (analysis {REVISION})", env!("CARGO_PKG_VERSION"))
}

impl Flags {
    /// Reads `path`; errors name the file, line, column and field.
    pub fn load(path: &Path) -> Result<Flags, Error> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        Self::parse(&text, path)
    }

    /// Parses a `flags.json`; `origin` names it in errors.
    pub fn parse(text: &str, origin: &Path) -> Result<Flags, Error> {
        let de = &mut serde_json::Deserializer::from_str(text);
        let f: Flags = serde_path_to_error::deserialize(de)
            .map_err(|e| Error::json(origin, e.path().to_string(), e.inner()))?;
        let invalid = |field: String, message: String| Error::Invalid {
            file: origin.display().to_string(),
            field,
            message,
        };
        if f.schema != SCHEMA {
            return Err(invalid(
                "schema".into(),
                format!("{:?} is not {SCHEMA:?}", f.schema),
            ));
        }
        for (i, flag) in f.flags.iter().enumerate() {
            let ok = |v: f64| v.is_finite() && v >= 0.0;
            if !(ok(flag.start_s) && ok(flag.end_s) && flag.start_s <= flag.end_s) {
                return Err(invalid(
                    format!("flags[{i}].end_s"),
                    format!(
                        "the range {}..{} s is not a range of exam time",
                        flag.start_s, flag.end_s
                    ),
                ));
            }
            if let Some(still) = &flag.still {
                if !is_plain_relative(still) {
                    return Err(invalid(
                        format!("flags[{i}].still"),
                        format!("{still:?} is not a file in the exam's folder"),
                    ));
                }
            }
        }
        Ok(f)
    }

    /// Writes `path` (pretty JSON, then renamed into place).
    pub fn save(&self, path: &Path) -> Result<(), Error> {
        let json = serde_json::to_vec_pretty(self).map_err(|e| Error::Io {
            file: path.display().to_string(),
            message: e.to_string(),
        })?;
        crate::write_atomic(path, &json)
    }
}

/// A relative path inside a folder: no root, no `..`, no backslash.
pub fn is_plain_relative(p: &str) -> bool {
    !p.is_empty()
        && !p.starts_with('/')
        && !p.contains('\\')
        && p.split('/').all(|c| !c.is_empty() && c != ".." && c != ".")
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn sample() -> Flags {
        Flags {
            schema: SCHEMA.into(),
            exam: "e".into(),
            station: "s".into(),
            analysed_by: analysed_by(),
            duration_s: 60.0,
            coverage: Coverage {
                faces: 1.0,
                audio: 1.0,
                screen: 1.0,
                camera_samples: 60,
                camera_unjudged: 0,
                note: "n".into(),
            },
            baseline: Baseline {
                camera_luma: 100.0,
                face_seen: true,
                audio_floor_db: -60.0,
            },
            recorded: [("camera".to_string(), vec![[0.0, 60.0]])].into(),
            detectors: vec![],
            flags: vec![Flag {
                id: "no_face-1".into(),
                kind: "no_face".into(),
                title: "No face".into(),
                start_s: 10.0,
                end_s: 20.0,
                detector: "seeta-frontal".into(),
                detector_version: "v".into(),
                threshold: "t".into(),
                reason: "r".into(),
                still: Some("evidence/no_face-1.jpg".into()),
                clip: Clip {
                    start_s: 8.0,
                    end_s: 22.0,
                },
            }],
        }
    }

    #[test]
    fn round_trip_and_located_errors() {
        let f = sample();
        let text = serde_json::to_string_pretty(&f).unwrap();
        assert_eq!(Flags::parse(&text, Path::new("flags.json")).unwrap(), f);
        let bad = text.replace("\"end_s\": 20.0", "\"end_s\": 5.0");
        let e = Flags::parse(&bad, Path::new("flags.json")).unwrap_err();
        assert!(e.to_string().contains("flags[0].end_s"), "{e}");
        let bad = text.replace("evidence/no_face-1.jpg", "../../etc/passwd");
        let e = Flags::parse(&bad, Path::new("flags.json")).unwrap_err();
        assert!(e.to_string().contains("flags[0].still"), "{e}");
        let bad = text.replace("\"reason\"", "\"verdict\"");
        let e = Flags::parse(&bad, Path::new("a/flags.json")).unwrap_err();
        assert!(e.to_string().starts_with("a/flags.json:"), "{e}");
    }
}
