//! The reviewers' decisions on an exam's hints: per flag open / dismissed / escalated and a
//! note, in `review.json` next to the exam's page. The page saves it (served: straight into
//! the file; from disk: in the browser, and a "Save review file" download the reviewer puts
//! there); `examctl review` reads every `review*.json` in the exam's folder on its next run,
//! keeps each flag's newest decision and writes them back as one `review.json`, so reviewers
//! sharing a folder see each other's work.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::flags::is_plain_relative;
use crate::Error;

/// The longest note kept, in characters.
pub const MAX_NOTE: usize = 4000;
/// The largest review file read, in bytes.
pub const MAX_FILE: u64 = 1 << 20;

/// What a reviewer decided about one hint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    /// Not looked at yet, or cleared.
    Open,
    /// Looked at: nothing there.
    Dismissed,
    /// Looked at: someone must follow it up.
    Escalated,
}

/// One flag's review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlagReview {
    /// The decision.
    pub state: Decision,
    /// The reviewer's note.
    #[serde(default)]
    pub note: String,
    /// Who (free text, as the reviewer typed it).
    #[serde(default)]
    pub by: String,
    /// When, RFC 3339 (the newest wins when two files disagree).
    #[serde(default)]
    pub at: String,
}

/// An exam's `review.json`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Review {
    /// The exam id.
    pub exam: String,
    /// Flag id -> review.
    pub flags: BTreeMap<String, FlagReview>,
}

impl Review {
    /// Parses a review file; `origin` names it in errors.
    pub fn parse(text: &str, origin: &Path) -> Result<Review, Error> {
        let de = &mut serde_json::Deserializer::from_str(text);
        let r: Review = serde_path_to_error::deserialize(de)
            .map_err(|e| Error::json(origin, e.path().to_string(), e.inner()))?;
        let invalid = |field: String, message: String| Error::Invalid {
            file: origin.display().to_string(),
            field,
            message,
        };
        for (id, f) in &r.flags {
            if !is_plain_relative(id) || id.contains('/') || id.len() > 100 {
                return Err(invalid(
                    format!("flags.{id}"),
                    "not a flag id (letters, digits, `_`, `-`)".into(),
                ));
            }
            if f.note.chars().count() > MAX_NOTE {
                return Err(invalid(
                    format!("flags.{id}.note"),
                    format!("longer than {MAX_NOTE} characters"),
                ));
            }
            if !f.at.is_empty() && f.at.parse::<jiff::Timestamp>().is_err() {
                return Err(invalid(
                    format!("flags.{id}.at"),
                    format!("{:?} is not an RFC 3339 time", f.at),
                ));
            }
        }
        Ok(r)
    }

    /// Reads `path` (at most [`MAX_FILE`] bytes).
    pub fn load(path: &Path) -> Result<Review, Error> {
        let size = std::fs::metadata(path)
            .map_err(|e| Error::io(path, e))?
            .len();
        if size > MAX_FILE {
            return Err(Error::Invalid {
                file: path.display().to_string(),
                field: ".".into(),
                message: format!("{size} bytes: a review file is at most {MAX_FILE}"),
            });
        }
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        Self::parse(&text, path)
    }

    /// Takes each flag of `other` that is newer than ours (or that we lack).
    pub fn merge(&mut self, other: Review) {
        for (id, theirs) in other.flags {
            let newer = self.flags.get(&id).is_none_or(|ours| {
                let t = |s: &str| s.parse::<jiff::Timestamp>().ok();
                t(&theirs.at) > t(&ours.at)
            });
            if newer {
                self.flags.insert(id, theirs);
            }
        }
    }
}

/// Every `review*.json` in `dir`, sorted.
fn files(dir: &Path) -> Vec<PathBuf> {
    let Ok(list) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut v: Vec<PathBuf> = list
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("review") && n.ends_with(".json"))
        })
        .collect();
    v.sort();
    v
}

/// The review of `exam` in `dir`: every `review*.json` there merged (files of another exam are
/// an error naming them: a copy put in the wrong folder).
pub fn gather(dir: &Path, exam: &str) -> Result<Review, Error> {
    let mut review = Review {
        exam: exam.to_owned(),
        flags: BTreeMap::new(),
    };
    for f in files(dir) {
        let r = Review::load(&f)?;
        if r.exam != exam {
            return Err(Error::Invalid {
                file: f.display().to_string(),
                field: "exam".into(),
                message: format!(
                    "this is the review of exam {}, not of {exam}: it was put in the wrong folder",
                    r.exam
                ),
            });
        }
        review.merge(r);
    }
    Ok(review)
}

/// Writes `review` as `dir/review.json` and removes the other `review*.json` it merged.
pub fn settle(dir: &Path, review: &Review) -> Result<(), Error> {
    let path = dir.join("review.json");
    let json = serde_json::to_vec_pretty(review).map_err(|e| Error::Io {
        file: path.display().to_string(),
        message: e.to_string(),
    })?;
    crate::write_atomic(&path, &json)?;
    for f in files(dir) {
        if f != path {
            let _ = std::fs::remove_file(f);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(state: &str, note: &str, at: &str) -> String {
        format!(
            r#"{{"exam":"e1","flags":{{"no_face-1":{{"state":"{state}","note":"{note}","by":"","at":"{at}"}}}}}}"#
        )
    }

    #[test]
    fn newest_decision_wins_across_files_and_they_settle_into_one() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("review.json"),
            r("dismissed", "a pen", "2026-12-01T10:00:00Z"),
        )
        .unwrap();
        std::fs::write(
            dir.path().join("review (1).json"),
            r("escalated", "two people", "2026-12-01T11:00:00Z"),
        )
        .unwrap();
        let got = gather(dir.path(), "e1").unwrap();
        assert_eq!(got.flags["no_face-1"].state, Decision::Escalated);
        assert_eq!(got.flags["no_face-1"].note, "two people");
        settle(dir.path(), &got).unwrap();
        assert_eq!(files(dir.path()), vec![dir.path().join("review.json")]);
        assert_eq!(gather(dir.path(), "e1").unwrap(), got);
    }

    #[test]
    fn bad_files_are_named_with_their_field() {
        let e = Review::parse(&r("maybe", "", ""), Path::new("r.json")).unwrap_err();
        assert!(e.to_string().contains("flags.no_face-1.state"), "{e}");
        let e = Review::parse(&r("open", "", "yesterday"), Path::new("r.json")).unwrap_err();
        assert!(e.to_string().contains("flags.no_face-1.at"), "{e}");
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("review.json"),
            r("open", "", "").replace("e1", "e2"),
        )
        .unwrap();
        let e = gather(dir.path(), "e1").unwrap_err();
        assert!(e.to_string().contains("wrong folder"), "{e}");
    }
}
