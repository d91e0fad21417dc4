//! The station's clients of the kiosk compositor against the real one: sway (the image's kiosk
//! compositor) with the image's own kiosk configuration, on wlroots' headless backend. A small
//! xdg-shell client here ([`window`]) stands in for the browser with a window of one known
//! colour.
//!
//! - `station::devices::linux::wayland::screencopy::grab` must read that colour back, as the station reads the
//!   kiosk's screen for the recording during an exam;
//! - `station::devices::linux::wayland::badge::Badge` must keep the station's recording badge over that
//!   fullscreen window, pixel for pixel, come back when the compositor restarts, and be gone
//!   when dropped.
//!
//! The compositor runs as `nobody` under root (the test reads its socket as root, as stationd
//! reads it through group exam-browser in the image).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use station::devices::linux::wayland::{badge::Badge, screencopy};
use station::devices::Frame;

#[path = "kiosk/window.rs"]
mod window;

/// The image's kiosk compositor configuration.
const CONFIG: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../systemd/usr/lib/station/kiosk/sway.conf"
);

/// wlroots' headless output size, unless told otherwise.
const SCREEN: (u32, u32) = (1280, 720);

/// A headless kiosk compositor with the image's configuration, until dropped.
struct Kiosk {
    child: Child,
}

impl Drop for Kiosk {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// A runtime directory the compositor's user owns.
fn runtime_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("runtime dir");
    if is_root() {
        let c = std::ffi::CString::new(dir.path().as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: a valid path; uid/gid 65534 is nobody/nogroup on Debian.
        assert_eq!(unsafe { libc::chown(c.as_ptr(), 65534, 65534) }, 0);
    }
    dir
}

/// Starts the compositor in `dir` and waits for its socket.
fn start_kiosk(dir: &Path) -> (Kiosk, PathBuf) {
    let mut cmd = if is_root() {
        let mut c = Command::new("setpriv");
        c.args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "--",
            "sway",
        ]);
        c
    } else {
        Command::new("sway")
    };
    let child = cmd
        .args(["--config", CONFIG])
        .env("XDG_RUNTIME_DIR", dir)
        .env("WLR_BACKENDS", "headless")
        .env("WLR_RENDERER", "pixman")
        .env("WLR_LIBINPUT_NO_DEVICES", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("sway (apt-get install sway; cargo xtask test installs it)");
    let kiosk = Kiosk { child };
    let socket = dir.join("wayland-1");
    // Connectable, not merely there: a killed compositor leaves its socket file behind.
    let t0 = Instant::now();
    while std::os::unix::net::UnixStream::connect(&socket).is_err() {
        assert!(
            t0.elapsed() < Duration::from_secs(20),
            "sway listens on no {} after 20 s",
            socket.display()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    (kiosk, socket)
}

/// The window's colour: distinct channels, so a swapped byte order shows.
const RGB: [u8; 3] = [0x2e, 0x8b, 0xd7];

/// Grabs until `want(frame)` holds, for at most 10 s; the last frame and error on failure.
fn grab_until(socket: &Path, what: &str, want: impl Fn(&Frame) -> bool) -> Frame {
    let t0 = Instant::now();
    loop {
        match screencopy::grab(socket) {
            Ok(f) if want(&f) => return f,
            Ok(f) if t0.elapsed() > Duration::from_secs(10) => {
                panic!("no {what} after 10 s; top left pixel {:?}", f.rgb.get(..3))
            }
            Err(e) if t0.elapsed() > Duration::from_secs(10) => panic!("screencopy: {e}"),
            _ => std::thread::sleep(Duration::from_millis(100)),
        }
    }
}

#[test]
fn grabs_the_kiosk_compositors_screen() {
    let dir = runtime_dir();
    let (_kiosk, socket) = start_kiosk(dir.path());
    let _window = window::Window::show(&socket, RGB).expect("a window in the kiosk");
    // The kiosk configuration makes every window fullscreen, with no border.
    let frame = grab_until(&socket, "window over the whole screen", |f| {
        f.rgb.chunks_exact(3).all(|p| p == RGB)
    });
    assert_eq!((frame.width, frame.height), SCREEN);
    assert_eq!(frame.rgb.len(), (SCREEN.0 * SCREEN.1 * 3) as usize);
    // Many grabs in a row (the recording grabs once a second for the whole exam).
    for _ in 0..20 {
        let f = screencopy::grab(&socket).expect("repeated grab");
        assert_eq!(f.rgb.get(..3), Some(&RGB[..]));
    }
}

/// Where the badge must be: its top left corner, `margin` from the top right of the screen.
fn badge_at(image: &Frame, margin: u32) -> (u32, u32) {
    (SCREEN.0 - margin - image.width, margin)
}

/// Whether `frame` shows `image` exactly at `at`.
fn shows(frame: &Frame, image: &Frame, at: (u32, u32)) -> bool {
    let row = image.width as usize * 3;
    (0..image.height).all(|y| {
        let from = (((at.1 + y) * frame.width + at.0) * 3) as usize;
        frame.rgb[from..from + row] == image.rgb[y as usize * row..][..row]
    })
}

#[test]
fn the_recording_badge_stays_over_the_kiosk_until_dropped() {
    let theme = station::ui::Theme::default();
    let scale = station::ui::scale(SCREEN.1);
    let image = station::ui::badge(scale, &theme);
    let margin = 2 * scale;
    let at = badge_at(&image, margin);
    let dir = runtime_dir();

    // Shown before the kiosk is there (the hand-over comes first): it waits for it.
    let badge = Badge::show(dir.path().join("wayland-1"), &image, margin).expect("badge");
    std::thread::sleep(3 * station::devices::linux::wayland::badge::RETRY);
    assert!(!badge.is_shown());
    let (kiosk, socket) = start_kiosk(dir.path());
    let _window = window::Window::show(&socket, RGB).expect("a window in the kiosk");
    let frame = grab_until(&socket, "badge over the window", |f| shows(f, &image, at));
    assert!(badge.is_shown());
    // Everywhere else the exam's window: the badge covers its own rectangle only.
    let coloured = frame.rgb.chunks_exact(3).filter(|p| *p == RGB).count();
    assert_eq!(
        coloured,
        (SCREEN.0 * SCREEN.1 - image.width * image.height) as usize
    );

    // The kiosk restarts mid-exam: the badge comes back by itself.
    drop(kiosk);
    let (_kiosk, socket) = start_kiosk(dir.path());
    let _window = window::Window::show(&socket, RGB).expect("a window in the new kiosk");
    grab_until(&socket, "badge over the restarted kiosk", |f| {
        shows(f, &image, at)
    });

    // The exam ends: the badge goes with it.
    drop(badge);
    let frame = grab_until(&socket, "screen without the badge", |f| {
        f.rgb.chunks_exact(3).all(|p| p == RGB)
    });
    assert!(!frame.rgb.chunks_exact(3).any(|p| p == theme.recording));
}

#[test]
fn a_hung_kiosk_costs_at_most_the_timeout() {
    // A compositor that hangs still accepts connections (the kernel queues them) and never
    // answers: here, a socket nobody reads.
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("wayland-1");
    let _listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
    let t0 = Instant::now();
    let err = screencopy::grab(&socket).unwrap_err();
    let took = t0.elapsed();
    assert_eq!(err.kind(), std::io::ErrorKind::TimedOut, "{err}");
    assert!(
        took < screencopy::TIMEOUT + Duration::from_secs(1),
        "grab gave up after {took:?}"
    );
    // The badge waits for it on its own thread; the exam's end (dropping it) does not.
    let theme = station::ui::Theme::default();
    let badge = Badge::show(socket, &station::ui::badge(1, &theme), 0).expect("badge");
    std::thread::sleep(Duration::from_millis(500));
    assert!(!badge.is_shown());
    let t0 = Instant::now();
    drop(badge);
    let took = t0.elapsed();
    assert!(
        took < screencopy::TIMEOUT + Duration::from_secs(1),
        "dropping the badge took {took:?}"
    );
}

#[test]
fn a_missing_kiosk_is_named_not_found() {
    let dir = tempfile::tempdir().unwrap();
    let err = screencopy::grab(&dir.path().join("wayland-1")).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::NotFound, "{err}");
}
