//! Running QEMU with the serial console on stdout: every console line is collected (with the
//! time it arrived) and QEMU is killed if it outlives its timeout. Used by the hw-tests guest
//! ([`crate::vm`]) and the image test ([`crate::imagetest`]).

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// What a QEMU run printed and how it ended.
pub struct Watched {
    /// Every console line.
    pub console: Vec<String>,
    /// When each console line arrived, since QEMU was started.
    pub at: Vec<Duration>,
    /// QEMU's exit status; `None` if it was killed at the timeout.
    pub status: Option<ExitStatus>,
}

impl Watched {
    /// The first console line containing `needle`, with the time it arrived.
    pub fn find(&self, needle: &str) -> Option<(&str, Duration)> {
        self.console
            .iter()
            .zip(&self.at)
            .find(|(l, _)| l.contains(needle))
            .map(|(l, t)| (l.as_str(), *t))
    }
}

/// Starts `cmd` (stdout is taken over), collects its console lines, printing those `show`
/// accepts as they come, and kills it after `timeout`.
pub fn watch(
    mut cmd: Command,
    timeout: Duration,
    show: impl Fn(&str) -> bool,
) -> Result<Watched, String> {
    let started = Instant::now();
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("could not start qemu-system-x86_64: {e}"))?;
    let stdout = child.stdout.take().ok_or("qemu: no stdout")?;
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).split(b'\n').map_while(|l| l.ok()) {
            let s = String::from_utf8_lossy(&line).trim_end().to_string();
            if tx.send(s).is_err() {
                break;
            }
        }
    });
    let deadline = started + timeout;
    let mut w = Watched {
        console: Vec::new(),
        at: Vec::new(),
        status: None,
    };
    loop {
        match rx.recv_timeout(Duration::from_millis(200)) {
            Ok(line) => {
                if show(&line) {
                    println!("{line}");
                    let _ = std::io::stdout().flush();
                }
                w.console.push(line);
                w.at.push(started.elapsed());
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
            Err(mpsc::RecvTimeoutError::Timeout) => {}
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Ok(w);
        }
    }
    w.status = Some(child.wait().map_err(|e| format!("qemu: {e}"))?);
    Ok(w)
}
