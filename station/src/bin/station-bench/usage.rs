//! What a process costs: CPU time and resident memory, of this process now or of a child once it
//! has ended (`wait4`, so each child is measured on its own).

use std::process::Child;
use std::time::Duration;

/// CPU time and peak resident memory of a finished child.
#[derive(Debug, Clone, Copy)]
pub struct Usage {
    /// User + system CPU time.
    pub cpu: Duration,
    /// Peak resident set (`ru_maxrss`), KiB.
    pub max_rss_kib: u64,
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
            max_rss_kib: ru.ru_maxrss as u64,
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
