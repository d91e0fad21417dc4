//! Exponential backoff with full jitter and a cap, and the jittered start.

use std::time::Duration;

use rand::Rng;

/// Exponential backoff: attempt `n` waits a random time in `[0, min(cap, base * 2^n)]`.
#[derive(Debug, Clone)]
pub struct Backoff {
    /// First delay bound.
    pub base: Duration,
    /// Largest delay bound.
    pub cap: Duration,
    attempt: u32,
}

impl Backoff {
    /// A new backoff starting at `base`, never above `cap`.
    pub fn new(base: Duration, cap: Duration) -> Self {
        Self {
            base,
            cap,
            attempt: 0,
        }
    }

    /// Failures since the last [`reset`](Self::reset).
    pub fn attempts(&self) -> u32 {
        self.attempt
    }

    /// The next delay (full jitter), counting one more failure.
    pub fn next_delay(&mut self) -> Duration {
        let exp = self.base.saturating_mul(1u32 << self.attempt.min(20));
        self.attempt += 1;
        let bound = exp.min(self.cap);
        let ms = bound.as_millis() as u64;
        // Never zero: half the bound at least, so a flapping link is not hammered.
        Duration::from_millis(ms / 2 + rand::thread_rng().gen_range(0..=ms / 2))
    }

    /// Back to the first delay (after a success).
    pub fn reset(&mut self) {
        self.attempt = 0;
    }
}

/// A random start delay in `[0, max_seconds]`, so a hall of stations ending together spreads out.
pub fn start_jitter(max_seconds: u32) -> Duration {
    if max_seconds == 0 {
        return Duration::ZERO;
    }
    Duration::from_millis(rand::thread_rng().gen_range(0..=u64::from(max_seconds) * 1000))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_and_caps() {
        let mut b = Backoff::new(Duration::from_millis(100), Duration::from_secs(2));
        let d: Vec<_> = (0..10).map(|_| b.next_delay()).collect();
        assert!(d[0] <= Duration::from_millis(100));
        assert!(d.iter().all(|x| *x <= Duration::from_secs(2)));
        assert!(d[9] >= Duration::from_secs(1));
        b.reset();
        assert_eq!(b.attempts(), 0);
    }
}
