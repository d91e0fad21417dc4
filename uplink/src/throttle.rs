//! Token-bucket bandwidth limit shared by every upload of the process.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A token bucket: `rate` bytes per second, bursts of up to `burst` bytes.
#[derive(Debug)]
pub struct Throttle {
    rate: f64,
    burst: f64,
    state: Mutex<(f64, Instant)>,
}

impl Throttle {
    /// A bucket for `kbps` kbit/s (1000 bit); `0` means unlimited.
    pub fn from_kbps(kbps: u32) -> Self {
        Self::new(u64::from(kbps) * 1000 / 8)
    }

    /// A bucket for `bytes_per_sec`; `0` means unlimited. The burst is a quarter second of rate
    /// (at least 16 KiB), so the limit holds on any window longer than that.
    pub fn new(bytes_per_sec: u64) -> Self {
        let rate = bytes_per_sec as f64;
        let burst = (rate / 4.0).max(16384.0);
        Throttle {
            rate,
            burst,
            state: Mutex::new((burst, Instant::now())),
        }
    }

    /// Whether there is no limit.
    pub fn unlimited(&self) -> bool {
        self.rate == 0.0
    }

    /// Blocks until `n` bytes may be sent.
    pub fn take(&self, n: usize) {
        if self.unlimited() {
            return;
        }
        let wait = {
            let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
            let now = Instant::now();
            let tokens = (s.0 + now.duration_since(s.1).as_secs_f64() * self.rate).min(self.burst);
            let after = tokens - n as f64;
            *s = (after, now);
            if after >= 0.0 {
                Duration::ZERO
            } else {
                Duration::from_secs_f64(-after / self.rate)
            }
        };
        if !wait.is_zero() {
            std::thread::sleep(wait);
        }
    }
}

/// A reader that takes tokens for every chunk it returns and reports the bytes read.
pub struct ThrottledReader<'a, R> {
    inner: R,
    throttle: &'a Throttle,
    on_bytes: &'a mut dyn FnMut(u64),
}

impl<'a, R: std::io::Read> ThrottledReader<'a, R> {
    /// Wraps `inner`.
    pub fn new(inner: R, throttle: &'a Throttle, on_bytes: &'a mut dyn FnMut(u64)) -> Self {
        Self {
            inner,
            throttle,
            on_bytes,
        }
    }
}

impl<R: std::io::Read> std::io::Read for ThrottledReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let max = buf.len().min(64 * 1024);
        let n = self.inner.read(&mut buf[..max])?;
        self.throttle.take(n);
        (self.on_bytes)(n as u64);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_rate() {
        let t = Throttle::new(1_000_000);
        let start = Instant::now();
        for _ in 0..50 {
            t.take(10_000);
        }
        // 500 kB at 1 MB/s with a 250 kB burst: at least ~0.25 s.
        assert!(start.elapsed() >= Duration::from_millis(200));
        assert!(Throttle::new(0).unlimited());
    }
}
