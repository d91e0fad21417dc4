//! Everything between a station's spool and the institution: the station-side uplink daemon
//! and the institution-side `examctl` (keys, opening bundles, fetching, retention).
//!
//! This crate links no device code: the uplink only ever reads sealed bundles (promise P5).

pub mod open;
pub mod remux;
