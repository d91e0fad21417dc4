//! The journal's events as review hints and as the timeline's lanes: blocked keys and hosts,
//! input devices plugged in, devices lost, storage low, interruptions and time lost, proctor
//! actions. Bursts (ten blocked keys in a row) are one hint.

use serde::Serialize;

use crate::flags::{Clip, Flag};
use crate::timeline::{Entry, Timeline};

/// Events of one kind closer than this (seconds) are one hint.
pub const BURST_S: f64 = 10.0;
/// Seconds of recording shown before and after a hint.
pub const CLIP_PAD_S: f64 = 5.0;

/// An event placed on the page's timeline.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LaneEvent {
    /// Exam time, seconds.
    pub t: f64,
    /// End, for an event that lasts (a device lost until restored).
    pub end_t: Option<f64>,
    /// The lane.
    pub lane: &'static str,
    /// The journal's kind.
    pub kind: String,
    /// In words.
    pub text: String,
}

/// Hosts the exam browser (Chromium) contacts on its own (sign-in, component and extension
/// updates, safe browsing, field trials): the booted image's proxy blocks some of them in every
/// exam although the browser's policy and flags turn those services off. A student cannot open
/// them as a page (the browser itself refuses a URL outside the allowlist, before any request),
/// so they stay on the timeline, on a lane of the browser's own, and raise no hint.
pub const BROWSER_SERVICE_HOSTS: &[&str] = &[
    "accounts.google.com",
    "clients1.google.com",
    "clients2.google.com",
    "clients4.google.com",
    "clientservices.googleapis.com",
    "update.googleapis.com",
    "safebrowsing.googleapis.com",
    "optimizationguide-pa.googleapis.com",
    "content-autofill.googleapis.com",
    "redirector.gvt1.com",
];

fn s(v: &serde_json::Value) -> String {
    v.as_str()
        .map(str::to_owned)
        .unwrap_or_else(|| v.to_string())
}

/// Lane and words of an event, or `None` for bookkeeping (segments, states, stills).
fn lane(e: &Entry) -> Option<(&'static str, String)> {
    let d = &e.details;
    Some(match e.kind.as_str() {
        "KeyBlocked" => ("keys", format!("{} blocked", s(&d["combo"]))),
        "HostVisited" => ("web", format!("visited {}", s(&d["host"]))),
        "HostBlocked" if BROWSER_SERVICE_HOSTS.contains(&s(&d["host"]).as_str()) => (
            "browser",
            format!("the browser's own request to {} (blocked)", s(&d["host"])),
        ),
        "HostBlocked" => ("web", format!("blocked {}", s(&d["host"]))),
        "InputAttached" => ("devices", format!("plugged in: {}", s(&d["name"]))),
        "DeviceLost" => (
            "devices",
            format!(
                "{} lost: {}",
                s(&d["device"]).to_lowercase(),
                s(&d["reason"])
            ),
        ),
        "DeviceRestored" => (
            "devices",
            format!("{} back", s(&d["device"]).to_lowercase()),
        ),
        "StorageLow" => (
            "station",
            format!("storage low: {} MiB free", d["free_mib"]),
        ),
        "TimeWarning" => ("station", format!("{} min left", d["minutes_left"])),
        "KioskGone" => ("station", "exam browser closed".into()),
        "KioskBack" => ("station", "exam browser back".into()),
        "KioskBlank" => (
            "station",
            format!("exam page blank {} s, reloaded", d["secs"]),
        ),
        "Resumed" => (
            "station",
            format!("resumed, {} s lost", d["lost_secs"].as_u64().unwrap_or(0)),
        ),
        "ExamStarted" => ("station", "exam started".into()),
        "ExamEnded" => ("station", format!("exam ended: {}", s(&d["reason"]))),
        "Tamper" => ("station", "case opened (tamper switch)".into()),
        "CallButton" => ("proctor", "call button pressed".into()),
        "PinRejected" => ("proctor", "wrong proctor PIN".into()),
        "ProctorApproved" => ("proctor", "proctor PIN accepted".into()),
        _ => return None,
    })
}

/// The events from the exam's start on, in lanes. `DeviceLost` lasts until its device is back.
pub fn lanes(t: &Timeline) -> Vec<LaneEvent> {
    let end = t.duration_s();
    let mut out: Vec<LaneEvent> = Vec::new();
    for e in &t.events {
        let at = t.at(&e.time);
        if at < -0.5 {
            continue;
        }
        let Some((lane, text)) = lane(e) else {
            continue;
        };
        if e.kind == "DeviceRestored" {
            let device = &e.details["device"];
            if let Some(lost) = out.iter_mut().rev().find(|l| {
                l.kind == "DeviceLost"
                    && l.end_t.is_none()
                    && l.text.starts_with(&s(device).to_lowercase())
            }) {
                lost.end_t = Some(at);
            }
        }
        out.push(LaneEvent {
            t: at.max(0.0),
            end_t: None,
            lane,
            kind: e.kind.clone(),
            text,
        });
    }
    for l in &mut out {
        if l.kind == "DeviceLost" && l.end_t.is_none() {
            l.end_t = Some(end);
        }
    }
    out.sort_by(|a, b| a.t.total_cmp(&b.t));
    out
}

/// Which hint an event raises: (kind, title), or `None`.
fn hint_kind(e: &LaneEvent) -> Option<(&'static str, &'static str)> {
    Some(match e.kind.as_str() {
        "KeyBlocked" => ("keys_blocked", "Blocked keys"),
        "HostBlocked" if e.lane == "web" => ("host_blocked", "Blocked website"),
        "InputAttached" => ("input_attached", "Input device plugged in"),
        "DeviceLost" => ("device_lost", "Device lost"),
        "StorageLow" => ("storage_low", "Storage low"),
        "KioskGone" | "KioskBlank" | "Resumed" => ("interruption", "Interruption"),
        "ExamEnded" if e.text.ends_with("Interrupted") => ("interruption", "Interruption"),
        "ExamEnded" if e.text.ends_with("Proctor") => ("proctor_action", "Proctor action"),
        "PinRejected" | "CallButton" | "Tamper" => ("proctor_action", "Proctor action"),
        _ => return None,
    })
}

/// The journal's hints: one per burst of a kind.
pub fn flags(events: &[LaneEvent], duration_s: f64) -> Vec<Flag> {
    let mut out: Vec<(Flag, Vec<String>)> = Vec::new();
    for e in events {
        let Some((kind, title)) = hint_kind(e) else {
            continue;
        };
        let end = e.end_t.unwrap_or(e.t);
        if let Some((f, texts)) = out
            .iter_mut()
            .rev()
            .find(|(f, _)| f.kind == kind && e.t - f.end_s <= BURST_S && kind != "device_lost")
        {
            f.end_s = f.end_s.max(end);
            texts.push(e.text.clone());
            continue;
        }
        out.push((
            Flag {
                id: String::new(),
                kind: kind.into(),
                title: title.into(),
                start_s: e.t,
                end_s: end,
                detector: "journal".into(),
                detector_version: "bundle journal".into(),
                threshold: format!(
                    "every event; events of a kind less than {BURST_S} s apart are one hint"
                ),
                reason: String::new(),
                still: None,
                clip: Clip {
                    start_s: 0.0,
                    end_s: 0.0,
                },
            },
            vec![e.text.clone()],
        ));
    }
    out.into_iter()
        .map(|(mut f, texts)| {
            f.reason = reason(&texts, f.end_s - f.start_s);
            f.clip = Clip {
                start_s: (f.start_s - CLIP_PAD_S).max(0.0),
                end_s: (f.end_s + CLIP_PAD_S).min(duration_s.max(f.end_s)),
            };
            f
        })
        .collect()
}

fn reason(texts: &[String], secs: f64) -> String {
    let mut shown: Vec<&str> = Vec::new();
    for t in texts {
        if !shown.contains(&t.as_str()) {
            shown.push(t);
        }
    }
    let list = if shown.len() > 4 {
        format!("{} and {} more", shown[..4].join("; "), shown.len() - 4)
    } else {
        shown.join("; ")
    };
    let mut r = if texts.len() == 1 {
        format!("The station's journal says: {list}.")
    } else {
        format!("The station's journal has {} events: {list}.", texts.len())
    };
    if secs >= 1.0 {
        r.push_str(&format!(" It lasted {secs:.0} s."));
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn timeline(events: &str) -> Timeline {
        Timeline::parse(
            &format!(
                r#"{{"exam":"e","station":"s","started_at":"2026-12-01T10:00:00Z","ended_at":"2026-12-01T10:02:00Z","interrupted":false,
                "parts":[{{"exam":"e","started_at":"2026-12-01T10:00:00Z","ended_at":"2026-12-01T10:02:00Z","interrupted":false}}],
                "events":[{{"seq":0,"time":"2026-12-01T10:00:00Z","mono_ms":0,"kind":"ExamStarted","details":{{"planned_secs":120}}}},{events}]}}"#
            ),
            Path::new("t"),
        )
        .unwrap()
    }

    fn ev(sec: u32, kind: &str, details: &str) -> String {
        format!(
            r#"{{"seq":1,"time":"2026-12-01T10:00:{sec:02}Z","mono_ms":0,"kind":"{kind}","details":{details}}}"#
        )
    }

    #[test]
    fn bursts_are_one_hint_and_a_lost_device_lasts_until_back() {
        let t = timeline(
            &[
                ev(5, "KeyBlocked", r#"{"combo":"Alt+F4"}"#),
                ev(7, "KeyBlocked", r#"{"combo":"Alt+Tab"}"#),
                ev(9, "KeyBlocked", r#"{"combo":"Alt+F4"}"#),
                ev(40, "KeyBlocked", r#"{"combo":"Super"}"#),
                ev(
                    20,
                    "DeviceLost",
                    r#"{"device":"Camera","reason":"unplugged"}"#,
                ),
                ev(32, "DeviceRestored", r#"{"device":"Camera"}"#),
                ev(50, "HostVisited", r#"{"host":"exam.example.org"}"#),
                ev(52, "HostBlocked", r#"{"host":"update.googleapis.com"}"#),
            ]
            .join(","),
        );
        let lanes = lanes(&t);
        let lost = lanes.iter().find(|l| l.kind == "DeviceLost").unwrap();
        assert_eq!(lost.end_t, Some(32.0));
        let flags = flags(&lanes, t.duration_s());
        let kinds: Vec<(&str, f64, f64)> = flags
            .iter()
            .map(|f| (f.kind.as_str(), f.start_s, f.end_s))
            .collect();
        assert_eq!(
            kinds,
            [
                ("keys_blocked", 5.0, 9.0),
                ("device_lost", 20.0, 32.0),
                ("keys_blocked", 40.0, 40.0)
            ]
        );
        let browser = lanes.iter().find(|l| l.lane == "browser").unwrap();
        assert!(
            browser.text.contains("update.googleapis.com"),
            "{browser:?}"
        );
        assert!(
            flags[0]
                .reason
                .contains("3 events: Alt+F4 blocked; Alt+Tab blocked"),
            "{}",
            flags[0].reason
        );
        assert_eq!((flags[1].clip.start_s, flags[1].clip.end_s), (15.0, 37.0));
    }
}
