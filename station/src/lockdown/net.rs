//! The exam's network lockdown, station side. stationd has no network (P5), so it only signals
//! and listens on the local file system:
//!
//! - the marker `RUNTIME_DIR/exam-running` exists exactly while the exam runs; the image's
//!   `exam-network.path` sees it and `exam-network.service` (root, CAP_NET_ADMIN only) holds
//!   the exam's nftables ruleset for as long as it exists: only DNS and the forward proxy's
//!   traffic leave the machine, the uplink included;
//! - `RUNTIME_DIR/proxy.sock` takes the forward proxy's reports (one JSON event a line,
//!   `HostVisited` / `HostBlocked` only) and journals them. Only the proxy's user
//!   (`exam-proxy`, [`crate::station::Station::reporters`]) may report: the peer's uid is
//!   checked with `SO_PEERCRED`, so neither the browser nor a station service (uplinkd shares
//!   the station's uid) can forge the exam's history.

use std::io::{BufRead, BufReader, Read};
use std::os::fd::AsRawFd;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use bundle::event::Event;

/// Longest report line accepted (bytes).
pub const LINE_MAX: usize = 1024;

/// The marker file's name in the runtime folder.
pub const MARKER: &str = bundle::spool::EXAM_MARKER;
/// The report socket's name in the runtime folder.
pub const SOCKET: &str = "proxy.sock";

/// Parses one report line: a JSON `Event`, which must be `HostVisited` or `HostBlocked`.
pub fn parse_report(line: &[u8]) -> Result<Event, String> {
    if line.len() > LINE_MAX {
        return Err(format!("report of {} bytes (most {LINE_MAX})", line.len()));
    }
    let event: Event =
        serde_json::from_slice(line).map_err(|e| format!("not a JSON event: {e}"))?;
    match event {
        Event::HostVisited { .. } | Event::HostBlocked { .. } => Ok(event),
        other => Err(format!(
            "a proxy may report HostVisited or HostBlocked, not {}",
            other.kind()
        )),
    }
}

/// The uid of a connected Unix socket's peer.
fn peer_uid(s: &UnixStream) -> std::io::Result<u32> {
    let mut cred = libc::ucred {
        pid: 0,
        uid: 0,
        gid: 0,
    };
    let mut len = std::mem::size_of::<libc::ucred>() as libc::socklen_t;
    // SAFETY: `cred` and `len` are valid for writes of the sizes given, for the call only.
    let rc = unsafe {
        libc::getsockopt(
            s.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_PEERCRED,
            (&mut cred as *mut libc::ucred).cast(),
            &mut len,
        )
    };
    if rc == 0 {
        Ok(cred.uid)
    } else {
        Err(std::io::Error::last_os_error())
    }
}

pub use crate::station::user_uid;

/// The network side of a running exam: the marker and the report listener.
pub struct NetLock {
    dir: PathBuf,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl NetLock {
    /// Creates the marker and starts listening for reports in `dir` from the peers whose uid
    /// is in `reporters` (the forward proxy's user); each accepted report goes to `sink`. Fails (naming the path) if `dir` is not writable.
    pub fn start(
        dir: &Path,
        reporters: Vec<u32>,
        sink: Arc<dyn Fn(Event) + Send + Sync>,
    ) -> std::io::Result<NetLock> {
        let named = |p: &Path, e: std::io::Error| {
            std::io::Error::new(e.kind(), format!("{}: {e}", p.display()))
        };
        let sock = dir.join(SOCKET);
        let _ = std::fs::remove_file(&sock);
        let listener = UnixListener::bind(&sock).map_err(|e| named(&sock, e))?;
        // Anyone may connect; only the allowed uids are heard (checked per connection).
        std::fs::set_permissions(&sock, std::fs::Permissions::from_mode(0o666))
            .map_err(|e| named(&sock, e))?;
        listener.set_nonblocking(true)?;
        let marker = dir.join(MARKER);
        std::fs::write(&marker, b"").map_err(|e| named(&marker, e))?;
        let allowed = reporters;
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name("proxy-reports".into())
            .spawn(move || serve(listener, &allowed, &flag, sink))?;
        Ok(NetLock {
            dir: dir.to_owned(),
            stop,
            thread: Some(thread),
        })
    }

    /// Removes the marker (the ruleset goes) and stops listening.
    pub fn stop(mut self) -> std::io::Result<()> {
        self.shutdown()
    }

    fn shutdown(&mut self) -> std::io::Result<()> {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        let _ = std::fs::remove_file(self.dir.join(SOCKET));
        match std::fs::remove_file(self.dir.join(MARKER)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }
}

impl Drop for NetLock {
    fn drop(&mut self) {
        if let Err(e) = self.shutdown() {
            tracing::error!("network lockdown: {e}");
        }
    }
}

/// Accepts connections until `stop`; each is read on its own thread.
fn serve(
    listener: UnixListener,
    allowed: &[u32],
    stop: &AtomicBool,
    sink: Arc<dyn Fn(Event) + Send + Sync>,
) {
    while !stop.load(Ordering::SeqCst) {
        match listener.accept() {
            Ok((s, _)) => match peer_uid(&s) {
                Ok(uid) if allowed.contains(&uid) => {
                    let sink = sink.clone();
                    let _ = std::thread::Builder::new()
                        .name("proxy-report".into())
                        .spawn(move || read_reports(s, sink.as_ref()));
                }
                Ok(uid) => tracing::warn!("proxy reports: uid {uid} may not report; ignored"),
                Err(e) => tracing::warn!("proxy reports: peer: {e}"),
            },
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_millis(50));
            }
            Err(e) => {
                tracing::error!("proxy reports: accept: {e}");
                std::thread::sleep(Duration::from_millis(500));
            }
        }
    }
}

/// Reads report lines from one connection until it closes.
fn read_reports(s: UnixStream, sink: &(dyn Fn(Event) + Send + Sync)) {
    let _ = s.set_nonblocking(false);
    let mut r = BufReader::new(s);
    let mut line = Vec::new();
    loop {
        line.clear();
        match r
            .by_ref()
            .take(LINE_MAX as u64 + 1)
            .read_until(b'\n', &mut line)
        {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let Some(body) = line.strip_suffix(b"\n") else {
            tracing::warn!("proxy report over {LINE_MAX} bytes or cut short; connection closed");
            return;
        };
        match parse_report(body) {
            Ok(event) => sink(event),
            Err(e) => tracing::warn!("proxy report refused: {e}"),
        }
    }
}

/// Fuzz entry point (cargo-fuzz target `proxy_report`): any bytes, never a panic; what is
/// accepted is a host event.
pub fn fuzz_report(data: &[u8]) {
    if let Ok(e) = parse_report(data) {
        assert!(matches!(
            e,
            Event::HostVisited { .. } | Event::HostBlocked { .. }
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::sync::Mutex;

    /// Reports sent over the socket by this process, heard when its uid is among `reporters`.
    fn heard(reporters: Vec<u32>) -> Vec<Event> {
        let dir = tempfile::tempdir().unwrap();
        let got = Arc::new(Mutex::new(Vec::new()));
        let g = got.clone();
        let lock = NetLock::start(
            dir.path(),
            reporters,
            Arc::new(move |e| g.lock().unwrap().push(e)),
        )
        .unwrap();
        let mut s = UnixStream::connect(dir.path().join(SOCKET)).unwrap();
        s.write_all(b"{\"HostVisited\":{\"host\":\"exam.example.ca\"}}\n")
            .unwrap();
        drop(s);
        std::thread::sleep(Duration::from_millis(300));
        lock.stop().unwrap();
        let out = got.lock().unwrap().clone();
        out
    }

    #[test]
    fn only_the_proxys_uid_is_heard() {
        // SAFETY: geteuid has no preconditions and cannot fail.
        let me = unsafe { libc::geteuid() };
        assert_eq!(heard(vec![me]).len(), 1);
        assert!(heard(Vec::new()).is_empty(), "a uid not listed is ignored");
        assert!(heard(vec![me + 1]).is_empty());
    }
}
