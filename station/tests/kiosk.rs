//! The screen recording's kiosk path against the real kiosk compositor: cage (the one the
//! image runs) on wlroots' headless backend shows a window of one known colour, drawn by a
//! small xdg-shell client here ([`window`]), and `station::kiosk::screencopy::grab` must read
//! that colour back, as the station reads the kiosk during an exam.
//!
//! cage refuses to run as root, so under root it runs as `nobody` (the test reads its socket
//! as root, as stationd reads it through group exam-browser in the image).

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use station::kiosk::screencopy;

#[path = "screencopy/window.rs"]
mod window;

/// A headless cage showing no application window (its background only) until killed.
struct Cage {
    child: Child,
    dir: tempfile::TempDir,
}

impl Drop for Cage {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

fn start_cage() -> Cage {
    let dir = tempfile::tempdir().expect("runtime dir");
    let mut cmd = if is_root() {
        let c = std::ffi::CString::new(dir.path().as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: a valid path; uid/gid 65534 is nobody/nogroup on Debian.
        assert_eq!(unsafe { libc::chown(c.as_ptr(), 65534, 65534) }, 0);
        let mut c = Command::new("setpriv");
        c.args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "--",
            "cage",
        ]);
        c
    } else {
        Command::new("cage")
    };
    let child = cmd
        .args(["--", "sleep", "120"])
        .env("XDG_RUNTIME_DIR", dir.path())
        .env("WLR_BACKENDS", "headless")
        .env("WLR_RENDERER", "pixman")
        .env("WLR_LIBINPUT_NO_DEVICES", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("cage (apt-get install cage xwayland; cargo xtask test installs them)");
    Cage { child, dir }
}

fn wait_socket(path: &Path) {
    let t0 = Instant::now();
    while !path.exists() {
        assert!(
            t0.elapsed() < Duration::from_secs(20),
            "cage made no {} in 20 s",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The window's colour: distinct channels, so a swapped byte order shows.
const RGB: [u8; 3] = [0x2e, 0x8b, 0xd7];

#[test]
fn grabs_the_kiosk_compositors_screen() {
    let cage = start_cage();
    let socket = cage.dir.path().join("wayland-0");
    wait_socket(&socket);
    let window = window::Window::show(&socket, RGB).expect("a window in cage");
    let t0 = Instant::now();
    let frame = loop {
        match screencopy::grab(&socket) {
            Ok(f) if f.rgb.get(..3) == Some(&RGB[..]) => break f,
            Ok(f) if t0.elapsed() > Duration::from_secs(10) => {
                panic!(
                    "screen shows {:?}, want the window's {RGB:?}",
                    f.rgb.get(..3)
                )
            }
            Err(e) if t0.elapsed() > Duration::from_secs(10) => panic!("screencopy: {e}"),
            _ => std::thread::sleep(Duration::from_millis(100)),
        }
    };
    // wlroots' headless output is 1280x720 unless told otherwise; the window is at its top left.
    assert_eq!((frame.width, frame.height), (1280, 720));
    assert_eq!(frame.rgb.len(), 1280 * 720 * 3);
    let (w, h) = window.size;
    let coloured = frame.rgb.chunks_exact(3).filter(|p| *p == RGB).count();
    assert_eq!(
        coloured,
        (w * h) as usize,
        "pixels of the {w}x{h} window's colour"
    );
    let last_row = &frame.rgb[((h - 1) * 1280 * 3) as usize..][..(w * 3) as usize];
    assert!(
        last_row.chunks_exact(3).all(|p| p == RGB),
        "window's last row"
    );
    // Many grabs in a row (the recording grabs once a second for the whole exam).
    for _ in 0..20 {
        let f = screencopy::grab(&socket).expect("repeated grab");
        assert_eq!(f.rgb.get(..3), Some(&RGB[..]));
    }
}

#[test]
fn a_missing_kiosk_is_named_not_found() {
    let dir = tempfile::tempdir().unwrap();
    let err = screencopy::grab(&dir.path().join("wayland-0")).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::NotFound, "{err}");
}
