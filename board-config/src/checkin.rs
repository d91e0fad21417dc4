//! What the site says about exams at the station itself: how students identify, the proctor's
//! PIN (only its slow salted hash), the exams that may be sat, and the screens' language.

use serde::{Deserialize, Serialize};

/// `[checkin]`: how a student identifies at the station.
///
/// ```toml
/// [checkin]
/// student_pattern = "[0-9]{8}"
/// student_example = "20261234"
/// language = "en"
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckIn {
    /// A regular expression the whole student number must match (it is anchored at both
    /// ends), e.g. `"[0-9]{8}"`. Default `"[0-9]{6,12}"`.
    #[serde(default = "default_student_pattern")]
    pub student_pattern: String,
    /// A student number that matches, shown to a student whose number does not, e.g.
    /// `"20261234"`. Default `"20261234"`.
    #[serde(default = "default_student_example")]
    pub student_example: String,
    /// The station screens' language before a student picks one: `"en"` or `"fr"`. Default
    /// `"en"`.
    #[serde(default)]
    pub language: Language,
}

impl Default for CheckIn {
    fn default() -> Self {
        CheckIn {
            student_pattern: default_student_pattern(),
            student_example: default_student_example(),
            language: Language::default(),
        }
    }
}

/// A language of the station screens.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Language {
    /// English. TOML `"en"`.
    #[default]
    #[serde(rename = "en")]
    English,
    /// French. TOML `"fr"`.
    #[serde(rename = "fr")]
    French,
}

impl Language {
    /// Every language, in the order a student cycles through them.
    pub const ALL: [Language; 2] = [Language::English, Language::French];

    /// The next language in [`Language::ALL`] (the screens' language key cycles).
    pub fn next(self) -> Language {
        match self {
            Language::English => Language::French,
            Language::French => Language::English,
        }
    }

    /// ISO 639-1 code, as in the site file.
    pub fn code(self) -> &'static str {
        match self {
            Language::English => "en",
            Language::French => "fr",
        }
    }
}

/// `[proctor]`: what lets a proctor start, end and resume exams.
///
/// ```toml
/// [proctor]
/// pin_hash = "$argon2id$v=19$m=19456,t=2,p=1$...$..."
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Proctor {
    /// The proctor PIN's argon2id hash as a PHC string (salted and slow), from
    /// `stationctl pin hash`. The PIN itself is never written in the site file.
    pub pin_hash: String,
}

/// One `[[exams]]` entry: an exam students may sit at this station.
///
/// ```toml
/// [[exams]]
/// code = "MATH101"
/// title = "Calculus I, final"
/// duration_minutes = 120
/// opens = "2026-12-10T08:30:00-05:00"
/// closes = "2026-12-10T09:30:00-05:00"
/// warn_minutes = [30, 10, 5, 1]
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExamEntry {
    /// The exam's code as students know it: 1 to 32 of `A-Z`, `0-9`, `-`, `_`, e.g. `"MATH101"`.
    pub code: String,
    /// The exam's title, shown at check-in, e.g. `"Calculus I, final"`.
    pub title: String,
    /// How long the exam lasts once started, in minutes, 1 to 600.
    pub duration_minutes: u32,
    /// The first moment the exam may start, RFC 3339 with offset, e.g.
    /// `"2026-12-10T08:30:00-05:00"`. Default: any time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opens: Option<String>,
    /// The last moment the exam may start (not end), RFC 3339 with offset. Default: any time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closes: Option<String>,
    /// Minutes before the end at which the student is warned, each less than the duration,
    /// e.g. `[30, 10, 1]`. Default: 10 and 1, those of them shorter than the exam.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warn_minutes: Option<Vec<u32>>,
}

impl ExamEntry {
    /// Whether the exam may start at `now_ms` (ms since the Unix epoch): inside its window.
    /// Bounds that do not parse never hold (validation refuses such a site).
    pub fn open_at(&self, now_ms: i64) -> bool {
        let after = |bound: &Option<String>, inclusive_before: bool| match bound {
            None => true,
            Some(t) => match t.parse::<jiff::Timestamp>() {
                Ok(ts) => {
                    let at = ts.as_millisecond();
                    if inclusive_before {
                        now_ms >= at
                    } else {
                        now_ms <= at
                    }
                }
                Err(_) => false,
            },
        };
        after(&self.opens, true) && after(&self.closes, false)
    }

    /// The minutes before the end at which the student is warned, longest first.
    pub fn warnings(&self) -> Vec<u32> {
        let mut w = match &self.warn_minutes {
            Some(w) => w.clone(),
            None => DEFAULT_WARNINGS
                .iter()
                .copied()
                .filter(|m| *m < self.duration_minutes)
                .collect(),
        };
        w.sort_unstable_by(|a, b| b.cmp(a));
        w.dedup();
        w
    }

    /// The planned length in seconds.
    pub fn duration_secs(&self) -> u32 {
        self.duration_minutes.saturating_mul(60)
    }
}

fn default_student_pattern() -> String {
    "[0-9]{6,12}".into()
}

fn default_student_example() -> String {
    "20261234".into()
}

/// Warnings when the site names none: 10 and 1 minutes before the end.
const DEFAULT_WARNINGS: [u32; 2] = [10, 1];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_bounds_are_inclusive() {
        let e = ExamEntry {
            code: "A".into(),
            title: "A".into(),
            duration_minutes: 60,
            opens: Some("2026-12-10T08:30:00-05:00".into()),
            closes: Some("2026-12-10T09:30:00-05:00".into()),
            warn_minutes: None,
        };
        let opens: jiff::Timestamp = "2026-12-10T13:30:00Z".parse().unwrap();
        let at = opens.as_millisecond();
        assert!(!e.open_at(at - 1));
        assert!(e.open_at(at));
        assert!(e.open_at(at + 3_600_000));
        assert!(!e.open_at(at + 3_600_001));
        assert_eq!(e.duration_secs(), 3600);
        assert_eq!(e.warnings(), vec![10, 1]);
        let short = ExamEntry {
            duration_minutes: 5,
            ..e.clone()
        };
        assert_eq!(short.warnings(), vec![1]);
        let own = ExamEntry {
            warn_minutes: Some(vec![1, 30, 1]),
            ..e
        };
        assert_eq!(own.warnings(), vec![30, 1]);
    }

    #[test]
    fn languages_cycle() {
        assert_eq!(Language::English.next(), Language::French);
        assert_eq!(Language::French.next().code(), "en");
    }
}
