//! The exam shell's forward proxy.
//!
//! During an exam the browser (user `exam-browser`) may reach only this proxy on loopback; the
//! station's nftables ruleset lets only the proxy's user out. The proxy allows `CONNECT` and
//! plain-HTTP requests to hosts of the site's `exam.allowlist` ([`allow`]) and refuses the rest
//! with 403, reporting each as a `HostVisited` / `HostBlocked` journal event ([`proxy`]).
//!
//! It is its own crate because the `station` crate has no network code (promise P5) and
//! `stationd` runs without network.

/// The site's host allowlist (shared with the station's kiosk policy and site validation).
pub mod allow {
    pub use board_config::Allowlist;
}
pub mod proxy;
pub mod report;
pub mod request;
