//! The exam shell's kiosk: a Wayland kiosk compositor (sway, configured as a kiosk) showing
//! Chromium on the site's allowlist, run by exam-kiosk.service as user `exam-browser` while the
//! exam runs.
//!
//! The station's part here: the browser's managed policy and start page ([`policy`]), written
//! by `stationctl kiosk prepare` when the unit starts. Reading the kiosk's screen and keeping
//! the recording badge over it belong to the display backend
//! ([`crate::devices::linux::wayland`]).

pub mod policy;
