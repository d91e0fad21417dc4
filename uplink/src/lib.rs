//! Everything between a station's spool and the institution: the station-side uplink daemon
//! and the institution-side `examctl` (keys, opening bundles, fetching, retention).
//!
//! This crate links no device code: the uplink only ever reads sealed bundles (promise P5).
//!
//! Uplink modules: [`spool`] (which bundles are pending), [`upload`] (one bundle: send, verify,
//! delete), [`store`] (the [`store::CentralStore`] trait, S3 and folder backends), [`state`]
//! (persisted multipart progress), [`residency`] (the Canada-only rules, re-checked at connect),
//! [`throttle`], [`backoff`], [`progress`], [`log`] (the uplink log), [`health`] (the station's
//! health report: facts and push), [`daemon`] (the uplinkd loop); institution side: [`retention`], [`fetch`], [`registry`] (the stations' pinned keys).

pub mod backoff;
pub mod creds;
pub mod daemon;
pub mod enroll;
pub mod error;
pub mod fetch;
pub mod fleet;
pub mod health;
pub mod log;
pub mod open;
pub mod parts;
pub mod profile;
pub mod progress;
pub mod registry;
pub mod remux;
pub mod residency;
pub mod retention;
pub mod sightings;
pub mod slots;
pub mod spool;
pub mod state;
pub mod store;
pub mod throttle;
pub mod upload;
pub mod wake;
pub mod xml;

pub use error::UplinkError;

/// Fuzz entry point: arbitrary bytes into the S3 XML readers (error codes) and the lifecycle
/// rules reader must never panic.
pub fn fuzz_xml(data: &[u8]) {
    let s = String::from_utf8_lossy(data);
    for b in xml::blocks(&s, "Rule") {
        let _ = xml::text(b, "Prefix").map(xml::unescape);
        let _ = xml::text(b, "Days");
    }
    let _ = xml::text(&s, "Code");
    let _ = retention::parse_rules(&s);
}
