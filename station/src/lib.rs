//! The exam station: the session state machine, the devices it drives, recording, recovery.
//!
//! Binaries: `stationd` (the daemon systemd runs, without network) and `stationctl` (proctors
//! and IT). Formats shared with the uplink and reviewers live in the `bundle` crate; board and
//! site files in `board-config`. This crate holds no network code at all (promise P5).

pub mod cli;
pub mod devices;
pub mod enrolment;
pub mod exam;
pub mod face;
pub mod flow;
pub mod health;
pub mod identity;
pub mod kiosk;
pub mod lockdown;
pub mod platform;
pub mod record;
pub mod recover;
pub mod resume;
pub mod selftest;
pub mod session;
pub mod simulate;
pub mod station;
pub mod storage;
pub mod tpm;
pub mod ui;
