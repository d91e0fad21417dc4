//! Sends the proxy's reports to the running exam: one JSON event a line over the station's
//! Unix socket (`/run/station/proxy.sock`, which exists only while an exam runs). Without an
//! exam there is nobody to tell: the report is only logged.

use std::io::Write;
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::sync::Mutex;

use bundle::event::Event;

/// A reconnecting writer to the station's report socket.
pub struct Reporter {
    path: PathBuf,
    conn: Mutex<Option<UnixStream>>,
}

impl Reporter {
    /// Reports go to the socket at `path`.
    pub fn new(path: PathBuf) -> Reporter {
        Reporter {
            path,
            conn: Mutex::new(None),
        }
    }

    /// Sends `event` (reconnecting once if the exam's socket was replaced). The host goes to
    /// the exam's sealed journal only: the system journal gets the event's kind, never the
    /// host.
    pub fn send(&self, event: &Event) {
        let line = match serde_json::to_string(event) {
            Ok(l) => l + "\n",
            Err(e) => return eprintln!("exam-proxy: a {} report: {e}", event.kind()),
        };
        let Ok(mut conn) = self.conn.lock() else {
            return;
        };
        for _ in 0..2 {
            if conn.is_none() {
                *conn = UnixStream::connect(&self.path).ok();
            }
            match conn.as_mut().map(|c| c.write_all(line.as_bytes())) {
                Some(Ok(())) => return,
                Some(Err(_)) => *conn = None,
                None => break,
            }
        }
        eprintln!(
            "exam-proxy: no exam listening on {}: a {} report dropped",
            self.path.display(),
            event.kind()
        );
    }
}
