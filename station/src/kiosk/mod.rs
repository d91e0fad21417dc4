//! The exam shell's kiosk: a Wayland kiosk compositor (sway, configured as a kiosk) showing
//! Chromium on the site's allowlist, run by exam-kiosk.service as user `exam-browser` while the
//! exam runs.
//!
//! The station's part: the browser's managed policy and start page ([`policy`]), written by
//! `stationctl kiosk prepare` when the unit starts; reading the kiosk's screen for the screen
//! recording while it holds the display ([`screencopy`]); and the recording badge kept over the
//! kiosk's screen meanwhile ([`badge`]).

pub mod badge;
pub mod policy;
pub mod screencopy;
pub mod wire;
