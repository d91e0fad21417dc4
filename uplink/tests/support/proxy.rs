//! A fault-injecting TCP proxy on loopback: connection resets, stalls and truncated responses at
//! random points, bounded in number; it also counts the bytes sent upstream.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// What to inject.
#[derive(Debug, Clone)]
pub struct Faults {
    /// Chance per connection (0..=1) of one fault.
    pub probability: f64,
    /// At most this many faults in all.
    pub max: u64,
    /// Longest stall.
    pub max_stall: Duration,
    /// Faults fire within this many bytes of a connection's start (keep-alive connections carry
    /// many requests, so this sets how often they fire).
    pub span: u64,
    /// Seed of the fault choices.
    pub seed: u64,
}

impl Faults {
    /// No faults: a counting proxy.
    pub fn none() -> Self {
        Faults {
            probability: 0.0,
            max: 0,
            max_stall: Duration::ZERO,
            span: 1,
            seed: 1,
        }
    }
}

/// Counters of a running proxy.
#[derive(Debug, Default)]
pub struct Stats {
    /// Bytes forwarded client -> server.
    pub up: AtomicU64,
    /// Connections accepted.
    pub conns: AtomicU64,
    /// Faults injected: resets, stalls, truncations.
    pub resets: AtomicU64,
    /// Stalls.
    pub stalls: AtomicU64,
    /// Truncated responses.
    pub truncations: AtomicU64,
    /// Connections open now.
    pub open: AtomicU64,
    /// Most connections open at once (a client opens another only while all are busy).
    pub max_open: AtomicU64,
}

/// A running proxy.
pub struct Proxy {
    /// `http://127.0.0.1:PORT`.
    pub endpoint: String,
    /// Counters.
    pub stats: Arc<Stats>,
}

#[derive(Clone, Copy, Debug)]
enum Fault {
    None,
    ResetUp(u64),
    StallUp(u64, Duration, u64),
    TruncateDown(u64),
}

fn rng(seed: &mut u64) -> u64 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    *seed
}

fn reset(s: &TcpStream) {
    // SO_LINGER 0: close sends RST, like a dropped Wi-Fi link seen by a middlebox.
    let l = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    unsafe {
        libc::setsockopt(
            s.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            &l as *const _ as *const libc::c_void,
            std::mem::size_of::<libc::linger>() as u32,
        );
    }
    let _ = s.shutdown(Shutdown::Both);
}

/// Copies `from` to `to` until EOF or the fault point.
fn pump(from: TcpStream, to: TcpStream, fault: Fault, up: bool, stats: Arc<Stats>) {
    if up {
        let now = stats.open.fetch_add(1, Ordering::Relaxed) + 1;
        stats.max_open.fetch_max(now, Ordering::Relaxed);
    }
    copy(from, to, fault, up, &stats);
    if up {
        stats.open.fetch_sub(1, Ordering::Relaxed);
    }
}

/// [`pump`]'s loop.
fn copy(mut from: TcpStream, mut to: TcpStream, fault: Fault, up: bool, stats: &Stats) {
    let mut buf = vec![0u8; 32 * 1024];
    let mut n = 0u64;
    let mut stalled = false;
    loop {
        let k = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(k) => k,
        };
        let mut k = k;
        match fault {
            Fault::ResetUp(at) if up && n + k as u64 >= at => {
                stats.resets.fetch_add(1, Ordering::Relaxed);
                reset(&from);
                reset(&to);
                return;
            }
            Fault::StallUp(at, d, _) if up && !stalled && n + k as u64 >= at => {
                stats.stalls.fetch_add(1, Ordering::Relaxed);
                stalled = true;
                std::thread::sleep(d);
            }
            // After a stall the connection goes on, and is reset later (else it would carry
            // everything that follows without a fault).
            Fault::StallUp(_, _, reset_at) if up && stalled && n + k as u64 >= reset_at => {
                stats.resets.fetch_add(1, Ordering::Relaxed);
                reset(&from);
                reset(&to);
                return;
            }
            Fault::TruncateDown(at) if !up && n + k as u64 >= at => {
                k = (at - n) as usize;
                let _ = to.write_all(&buf[..k]);
                stats.truncations.fetch_add(1, Ordering::Relaxed);
                reset(&from);
                reset(&to);
                return;
            }
            _ => {}
        }
        if to.write_all(&buf[..k]).is_err() {
            break;
        }
        n += k as u64;
        if up {
            stats.up.fetch_add(k as u64, Ordering::Relaxed);
        }
    }
    let _ = to.shutdown(Shutdown::Write);
}

/// Starts a proxy on 127.0.0.1 forwarding to `upstream` (`host:port`, loopback only).
pub fn start(upstream: &str, faults: Faults) -> Proxy {
    assert!(
        upstream.starts_with("127.0.0.1:") || upstream.starts_with("localhost:"),
        "loopback only"
    );
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let stats = Arc::new(Stats::default());
    let st = stats.clone();
    let upstream = upstream.to_owned();
    std::thread::spawn(move || {
        let mut seed = faults.seed | 1;
        let mut injected = 0u64;
        for client in listener.incoming() {
            let Ok(client) = client else { continue };
            st.conns.fetch_add(1, Ordering::Relaxed);
            let Ok(server) = TcpStream::connect(&upstream) else {
                continue;
            };
            let roll = (rng(&mut seed) % 10_000) as f64 / 10_000.0;
            let fault = if injected < faults.max && roll < faults.probability {
                injected += 1;
                let at = rng(&mut seed) % faults.span.max(1);
                match rng(&mut seed) % 3 {
                    0 => Fault::ResetUp(at),
                    1 => Fault::StallUp(
                        at,
                        Duration::from_millis(
                            rng(&mut seed) % (faults.max_stall.as_millis() as u64).max(1),
                        ),
                        at + rng(&mut seed) % faults.span.max(1),
                    ),
                    _ => Fault::TruncateDown(rng(&mut seed) % faults.span.clamp(1, 4096)),
                }
            } else {
                Fault::None
            };
            let (c2, s2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
            let (a, b) = (st.clone(), st.clone());
            std::thread::spawn(move || pump(client, server, fault, true, a));
            std::thread::spawn(move || pump(s2, c2, fault, false, b));
        }
    });
    Proxy { endpoint, stats }
}

impl Proxy {
    /// Bytes forwarded client -> server so far.
    pub fn up(&self) -> u64 {
        self.stats.up.load(Ordering::Relaxed)
    }

    /// Runs `restart` to its end (it must succeed) and returns the bytes it sent beyond
    /// `total`, all bytes through this proxy counted: what a cut made it send again.
    pub fn resent_after(&self, restart: &mut std::process::Command, total: u64) -> u64 {
        let out = restart.output().unwrap();
        assert!(
            out.status.success(),
            "restart failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        self.up().saturating_sub(total)
    }
}
