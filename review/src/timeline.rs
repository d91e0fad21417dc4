//! An opened exam's `timeline.json`: written by `examctl open` (`uplink::open`), read here, and
//! its events placed on the exam's clock: seconds since the first part started recording, the
//! clock the opened media files use too. One set of types for both sides of the contract.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::Error;

/// One journal event as the timeline holds it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Entry {
    /// Record number within its part.
    pub seq: u32,
    /// Wall-clock time, RFC 3339.
    pub time: String,
    /// Monotonic station time, ms.
    pub mono_ms: u64,
    /// Event kind (`KeyBlocked`, `DeviceLost`, ...).
    pub kind: String,
    /// The event's fields.
    #[serde(default)]
    pub details: serde_json::Value,
}

/// One part of the exam.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Part {
    /// The part's exam id.
    pub exam: String,
    /// Started, RFC 3339.
    pub started_at: String,
    /// Ended (or cut), RFC 3339.
    pub ended_at: String,
    /// Cut short by a crash or power cut.
    pub interrupted: bool,
    /// The receipt the station showed for it (absent in timelines opened before receipts
    /// were written there).
    #[serde(default)]
    pub receipt: String,
}

/// An opened exam's timeline.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Timeline {
    /// Exam id.
    pub exam: String,
    /// Station id.
    pub station: String,
    /// Started, RFC 3339.
    pub started_at: String,
    /// Ended, RFC 3339.
    pub ended_at: String,
    /// The last part was sealed on recovery.
    pub interrupted: bool,
    /// Its parts, in order.
    pub parts: Vec<Part>,
    /// Every journal event, in order.
    pub events: Vec<Entry>,
}

/// Milliseconds since the Unix epoch of an RFC 3339 time.
pub fn epoch_ms(time: &str) -> Option<i64> {
    let ts: jiff::Timestamp = time.parse().ok()?;
    Some(ts.as_millisecond())
}

impl Timeline {
    /// Reads `path`; errors name the file, line, column and field.
    pub fn load(path: &Path) -> Result<Timeline, Error> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        Self::parse(&text, path)
    }

    /// Parses the text of a timeline; `origin` names it in errors.
    pub fn parse(text: &str, origin: &Path) -> Result<Timeline, Error> {
        let de = &mut serde_json::Deserializer::from_str(text);
        let t: Timeline = serde_path_to_error::deserialize(de)
            .map_err(|e| Error::json(origin, e.path().to_string(), e.inner()))?;
        if t.parts.is_empty() {
            return Err(Error::Invalid {
                file: origin.display().to_string(),
                field: "parts".into(),
                message: "an exam has at least one part".into(),
            });
        }
        Ok(t)
    }

    /// Wall-clock ms of the exam's zero: the first `ExamStarted` (the media's zero), else the
    /// start of the first part.
    pub fn zero_ms(&self) -> i64 {
        self.events
            .iter()
            .find(|e| e.kind == "ExamStarted")
            .and_then(|e| epoch_ms(&e.time))
            .or_else(|| epoch_ms(&self.started_at))
            .unwrap_or(0)
    }

    /// Seconds on the exam's clock of an RFC 3339 time (negative before the exam started).
    pub fn at(&self, time: &str) -> f64 {
        epoch_ms(time).map_or(0.0, |ms| (ms - self.zero_ms()) as f64 / 1000.0)
    }

    /// The exam's length on its clock: to the last part's end.
    pub fn duration_s(&self) -> f64 {
        self.at(&self.ended_at).max(0.0)
    }

    /// The time lost between parts (the station was off), in seconds, and how many times the
    /// exam was interrupted.
    pub fn interruptions(&self) -> (u32, f64) {
        let cut = self.parts.iter().filter(|p| p.interrupted).count() as u32;
        let lost = self
            .events
            .iter()
            .filter(|e| e.kind == "Resumed")
            .filter_map(|e| e.details["lost_secs"].as_f64())
            .sum();
        (cut, lost)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: &str = r#"{"exam":"e1","station":"s1","started_at":"2026-12-01T10:00:00.000Z",
      "ended_at":"2026-12-01T10:01:00.000Z","interrupted":false,
      "parts":[{"exam":"e1","started_at":"2026-12-01T10:00:00.000Z","ended_at":"2026-12-01T10:01:00.000Z","interrupted":false}],
      "events":[{"seq":0,"time":"2026-12-01T10:00:02.000Z","mono_ms":0,"kind":"ExamStarted","details":{"planned_secs":58}},
                {"seq":1,"time":"2026-12-01T10:00:12.500Z","mono_ms":10500,"kind":"KeyBlocked","details":{"combo":"Alt+F4"}}]}"#;

    #[test]
    fn events_on_the_exam_clock() {
        let t = Timeline::parse(T, Path::new("timeline.json")).unwrap();
        assert_eq!(t.at(&t.events[1].time), 10.5);
        assert_eq!(t.duration_s(), 58.0);
        assert_eq!(t.interruptions(), (0, 0.0));
    }

    #[test]
    fn errors_name_file_line_and_field() {
        let bad = T.replace(r#""mono_ms":10500"#, r#""mono_ms":"soon""#);
        let e = Timeline::parse(&bad, Path::new("x/timeline.json")).unwrap_err();
        let s = e.to_string();
        assert!(s.contains("x/timeline.json:"), "{s}");
        assert!(s.contains("events[1].mono_ms"), "{s}");
        let none = T.replace(
            r#""parts":[{"exam":"e1","started_at":"2026-12-01T10:00:00.000Z","ended_at":"2026-12-01T10:01:00.000Z","interrupted":false}]"#,
            r#""parts":[]"#,
        );
        let e = Timeline::parse(&none, Path::new("t.json")).unwrap_err();
        assert!(e.to_string().contains("parts"), "{e}");
    }
}
