//! The exam shell's kiosk: a Wayland kiosk compositor (cage) showing Chromium on the site's
//! allowlist, run by exam-kiosk.service as user `exam-browser` while the exam runs.
//!
//! The station's part: the browser's managed policy and start page ([`policy`]), written by
//! `stationctl kiosk prepare` when the unit starts, and reading the kiosk's screen for the
//! screen recording while it holds the display ([`screencopy`]).

pub mod policy;
pub mod screencopy;
