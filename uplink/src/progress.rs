//! Progress of one bundle on a terminal: bytes, rate and time left, redrawn in place on stderr.
//! Off when stderr is not a terminal (the uplink log has every step anyway).

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

/// Progress display of one bundle.
#[derive(Debug)]
pub struct Progress {
    exam: String,
    total: u64,
    sent: u64,
    start: Instant,
    last: Option<Instant>,
    enabled: bool,
}

const MIB: f64 = 1048576.0;

impl Progress {
    /// Progress of `exam` whose files add up to `total` bytes; `enabled` only draws on a terminal.
    pub fn new(exam: &str, total: u64, enabled: bool) -> Self {
        Progress {
            exam: exam.into(),
            total,
            sent: 0,
            start: Instant::now(),
            last: None,
            enabled: enabled && std::io::stderr().is_terminal(),
        }
    }

    /// Counts `n` more bytes sent (already-done bytes of a resumed upload too).
    pub fn add(&mut self, n: u64) {
        self.sent += n;
        if !self.enabled
            || self
                .last
                .is_some_and(|t| t.elapsed() < Duration::from_millis(250))
        {
            return;
        }
        self.last = Some(Instant::now());
        self.draw("");
    }

    /// Bytes per second so far.
    pub fn rate(&self) -> f64 {
        self.sent as f64 / self.start.elapsed().as_secs_f64().max(1e-3)
    }

    fn draw(&self, end: &str) {
        let rate = self.rate();
        let left = self.total.saturating_sub(self.sent) as f64 / rate.max(1.0);
        let line = format!(
            "\r{}  {:.1}/{:.1} MiB  {:.1} MiB/s  {}s left{end}",
            self.exam,
            self.sent as f64 / MIB,
            self.total as f64 / MIB,
            rate / MIB,
            left.round() as u64
        );
        let _ = std::io::stderr().write_all(line.as_bytes());
    }

    /// Final line.
    pub fn finish(&self, what: &str) {
        if self.enabled {
            self.draw(&format!("  {what}\n"));
        }
    }
}
