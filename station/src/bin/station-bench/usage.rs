//! What a process costs: CPU time (of a child once it has ended: `wait4`, so each child is
//! measured on its own) and resident memory (sampled from /proc while it runs, or this
//! process's now).

use std::process::Child;
use std::time::Duration;

/// CPU time of a finished child.
#[derive(Debug, Clone, Copy)]
pub struct Usage {
    /// User + system CPU time.
    pub cpu: Duration,
}

fn tv(t: libc::timeval) -> Duration {
    Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000)
}

/// Waits for `child` and returns its exit status and usage.
pub fn wait(child: Child) -> anyhow::Result<(i32, Usage)> {
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `status` and `ru` are properly sized out-parameters; `pid` is our own child,
    // not yet waited for (`child` is consumed here, so std never waits for it).
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut ru) };
    anyhow::ensure!(
        r == pid,
        "wait4({pid}): {}",
        std::io::Error::last_os_error()
    );
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        128 + libc::WTERMSIG(status)
    };
    Ok((
        code,
        Usage {
            cpu: tv(ru.ru_utime) + tv(ru.ru_stime),
        },
    ))
}

/// CPU time (user + system) of this process so far.
pub fn own_cpu() -> Duration {
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `ru` is a properly sized out-parameter.
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
    tv(ru.ru_utime) + tv(ru.ru_stime)
}

/// This process's resident memory (KiB), threads and open descriptors, from /proc.
#[derive(Debug, Clone, Copy, Default)]
pub struct Live {
    /// VmRSS, KiB.
    pub rss_kib: u64,
    /// Threads.
    pub threads: u64,
    /// Open file descriptors.
    pub fds: u64,
}

/// Reads [`Live`] for this process.
pub fn live() -> anyhow::Result<Live> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse::<u64>().ok())
            .ok_or_else(|| anyhow::anyhow!("/proc/self/status has no {name}"))
    };
    Ok(Live {
        rss_kib: field("VmRSS:")?,
        threads: field("Threads:")?,
        fds: std::fs::read_dir("/proc/self/fd")?.count() as u64,
    })
}

/// Samples the resident memory (KiB) of process `pid` every 250 ms until it ends; the thread
/// returns the samples.
pub fn watch(pid: u32) -> std::thread::JoinHandle<Vec<u64>> {
    std::thread::spawn(move || {
        let path = format!("/proc/{pid}/status");
        let mut out = Vec::new();
        loop {
            let rss = std::fs::read_to_string(&path).ok().and_then(|s| {
                s.lines()
                    .find_map(|l| l.strip_prefix("VmRSS:"))
                    .and_then(|v| v.split_whitespace().next()?.parse().ok())
            });
            match rss {
                Some(k) => out.push(k),
                // Gone, or a zombie (no memory left to report).
                None => return out,
            }
            std::thread::sleep(Duration::from_millis(250));
        }
    })
}

/// The median of the last half of `samples`: the process's steady resident memory.
pub fn steady(samples: &[u64]) -> u64 {
    let mut last: Vec<u64> = samples[samples.len() / 2..].to_vec();
    last.sort_unstable();
    last.get(last.len() / 2).copied().unwrap_or(0)
}
