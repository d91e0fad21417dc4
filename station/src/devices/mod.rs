//! Devices the station drives: one small trait per family, a Linux backend and a simulated one.
//!
//! Like embedded-hal, each trait has a handful of methods and every failure maps to a shared
//! [`ErrorKind`], so the session reacts to "device gone" or "busy" without knowing the backend.
//! Anything that yields pixels or samples takes a [`Permit`]: the session's capture grant
//! (`session::Capture`), which only the session states allowed to capture hand out (privacy
//! promise P1). The trait is sealed, so nothing outside the station makes one; devices import
//! nothing above them.

pub mod convert;
pub mod level;
pub mod linux;
pub mod sim;
mod status;

pub use status::{indicator_state, status, Status};

use std::fmt;

/// Permission to capture pixels or samples. The session's capture grant is the one permit:
/// it exists only in the states allowed to capture and borrows the session, so no device
/// yields a pixel or a sample outside them (privacy promise P1).
pub trait Permit: sealed::Sealed {}

/// Seals [`Permit`]: only the station (its session) implements it.
pub(crate) mod sealed {
    /// Implemented by the session's capture grant only.
    pub trait Sealed {}
}

/// What went wrong, independent of the backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// No such device on this machine.
    NotFound,
    /// Another process holds the device (EBUSY).
    Busy,
    /// Not allowed to open it; the hint names the group that grants access.
    PermissionDenied,
    /// The device went away while in use.
    Removed,
    /// The device cannot do what was asked (format, mode, control).
    Unsupported,
    /// Anything else; the detail says what.
    Other,
}

/// A device error naming the device, the kind and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceError {
    /// The device (node path, ALSA name, connector...).
    pub device: String,
    /// Backend-independent kind.
    pub kind: ErrorKind,
    /// What happened.
    pub detail: String,
}

impl DeviceError {
    /// A new error.
    pub fn new(device: impl Into<String>, kind: ErrorKind, detail: impl Into<String>) -> Self {
        DeviceError {
            device: device.into(),
            kind,
            detail: detail.into(),
        }
    }

    /// Maps an OS error on `device` to its kind; `group` names the group that grants access.
    pub fn from_io(device: &str, e: &std::io::Error, group: &str) -> Self {
        let kind = match e.raw_os_error() {
            Some(libc::ENOENT) | Some(libc::ENXIO) => ErrorKind::NotFound,
            Some(libc::EBUSY) => ErrorKind::Busy,
            Some(libc::EACCES) | Some(libc::EPERM) => ErrorKind::PermissionDenied,
            Some(libc::ENODEV) => ErrorKind::Removed,
            Some(libc::EINVAL) | Some(libc::ENOTTY) => ErrorKind::Unsupported,
            _ => ErrorKind::Other,
        };
        let detail = match kind {
            ErrorKind::PermissionDenied => format!("{e} (add the user to group `{group}`)"),
            ErrorKind::Busy => format!("{e} (another process holds it)"),
            _ => e.to_string(),
        };
        DeviceError::new(device, kind, detail)
    }
}

impl fmt::Display for DeviceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {:?}: {}", self.device, self.kind, self.detail)
    }
}

impl std::error::Error for DeviceError {}

/// Result of device operations.
pub type Result<T> = std::result::Result<T, DeviceError>;

/// An RGB image, 3 bytes a pixel, rows packed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// `width * height * 3` bytes.
    pub rgb: Vec<u8>,
}

/// How GStreamer should read a device (the recorder builds its source from this).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// `v4l2src device=...` with caps.
    V4l2 {
        /// The node, e.g. `/dev/video0`.
        device: String,
        /// V4L2 fourcc the device was set to (`YUYV`, `MJPG`, `RGB3`).
        format: String,
        /// Width the device accepted.
        width: u32,
        /// Height the device accepted.
        height: u32,
        /// Frames per second the device accepted.
        framerate: u32,
    },
    /// `alsasrc device=...`.
    Alsa {
        /// ALSA PCM name, e.g. `hw:Loopback,1,0`.
        device: String,
        /// Channels.
        channels: u32,
        /// Sample rate in Hz.
        rate: u32,
    },
    /// A live test source (simulated board).
    Test {
        /// GStreamer test pattern name.
        pattern: String,
    },
    /// Frames pushed by the station (screen grabs through appsrc).
    Pushed,
    /// A simulated camera's scene: numbered JPEG pictures, one a second, in a loop
    /// (`multifilesrc`), from the first when the recording starts.
    Scene {
        /// The pattern (`scene/%04d.jpg`).
        pattern: String,
        /// How many pictures there are.
        count: usize,
    },
}

/// The camera (V4L2).
pub trait Camera: Send {
    /// Human-readable name (card and node).
    fn name(&self) -> String;
    /// Formats as `FOURCC WxH@fps` lines.
    fn formats(&mut self) -> Result<Vec<String>>;
    /// Reads a control (e.g. "brightness").
    fn control(&mut self, name: &str) -> Result<i64>;
    /// Sets a control; returns the value the device took.
    fn set_control(&mut self, name: &str, value: i64) -> Result<i64>;
    /// Whether the camera is still there (cheap; called while recording).
    fn present(&mut self) -> Result<()>;
    /// Captures one still.
    fn still(&mut self, grant: &dyn Permit) -> Result<Frame>;
    /// What the recorder reads.
    fn source(&self) -> Source;
}

/// Level of a microphone over a window.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Level {
    /// RMS in dBFS.
    pub rms_db: f32,
    /// Peak in dBFS.
    pub peak_db: f32,
    /// Samples at full scale.
    pub clipped: u32,
}

/// The microphone (ALSA).
pub trait Microphone: Send {
    /// The ALSA device name.
    fn name(&self) -> String;
    /// Whether the microphone is still there (cheap; called while recording).
    fn present(&mut self) -> Result<()>;
    /// Measures the level over `ms` milliseconds.
    fn level(&mut self, grant: &dyn Permit, ms: u32) -> Result<Level>;
    /// Sets the board's capture mixer control to `percent` and unmutes it; returns the
    /// capture volume read back (percent), or `None` if the control only has a capture switch.
    fn set_capture_volume(&mut self, percent: u8) -> Result<Option<u8>>;
    /// What the recorder reads.
    fn source(&self) -> Source;
}

/// The display (DRM/KMS).
pub trait Display: Send {
    /// Connector name and mode, e.g. `Virtual-1 1024x768`.
    fn name(&self) -> String;
    /// Modes of the connector (`WxH`).
    fn modes(&mut self) -> Result<Vec<String>>;
    /// Sets the configured mode and shows a blank screen.
    fn set_mode(&mut self) -> Result<(u32, u32)>;
    /// Shows `frame` (a station screen drawn by [`crate::ui`]).
    fn show(&mut self, frame: &Frame) -> Result<()>;
    /// Reads back what is on the screen (for screen recording).
    fn grab(&mut self, grant: &dyn Permit) -> Result<Frame>;
    /// Lets the exam shell's kiosk compositor take the screen for the exam, which records. Until
    /// [`take_back`](Self::take_back), [`grab`](Self::grab) reads the kiosk's screen and the
    /// station keeps `overlay` (the recording badge) over it in the top right corner, `margin`
    /// pixels from the edges. Displays without a kiosk (simulated, absent) keep showing the
    /// station's screens, whose title bar carries the badge.
    fn hand_over(&mut self, overlay: &Frame, margin: u32) -> Result<()> {
        let _ = (overlay, margin);
        Ok(())
    }
    /// Replaces what the station keeps over the kiosk (the time left, a warning, a question);
    /// nothing to do without a kiosk.
    fn overlay(&mut self, overlay: &Frame) -> Result<()> {
        let _ = overlay;
        Ok(())
    }
    /// Takes the screen back after the exam, once the kiosk has let go of it, and shows the
    /// station's last screen again.
    fn take_back(&mut self) -> Result<()> {
        Ok(())
    }
    /// While the kiosk has the screen: whether the last [`grab`](Self::grab) read the kiosk's
    /// own screen (`Some(true)`) or found its compositor gone (`Some(false)`: the browser ended
    /// and the unit restarts it). `None` while the station has the screen, or without a kiosk.
    fn kiosk_seen(&self) -> Option<bool> {
        None
    }
}

/// Indicator inputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// The proctor call button was pressed.
    CallButton,
    /// The tamper switch opened.
    Tamper,
}

/// The recording LED, call button and tamper switch (GPIO).
pub trait Indicator: Send {
    /// What drives it (GPIO chip and pins, or none).
    fn name(&self) -> String;
    /// Turns the recording LED on or off.
    fn set_recording(&mut self, on: bool) -> Result<()>;
    /// Signals seen since the last call.
    fn poll(&mut self) -> Result<Vec<Signal>>;
    /// Whether the tamper switch reads open now (the case is open); `false` without a switch.
    fn case_open(&mut self) -> Result<bool>;
}

/// A keyboard or pointer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputDevice {
    /// Node (e.g. /dev/input/event3).
    pub node: String,
    /// Name reported by the driver.
    pub name: String,
    /// Whether it has keys (keyboard) and/or relative axes (pointer).
    pub keyboard: bool,
    /// Pointer.
    pub pointer: bool,
}

/// A keyboard or pointer came or went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hotplug {
    /// A selected device appeared.
    Added(InputDevice),
    /// A selected device went away.
    Removed(InputDevice),
}

/// One input event read from a grabbed device (and already re-emitted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputEvent {
    /// The device it came from.
    pub node: String,
    /// evdev event type (1 key, 2 relative axis).
    pub kind: u16,
    /// Key or axis code.
    pub code: u16,
    /// 1 press, 0 release, 2 repeat; or the axis delta.
    pub value: i32,
}

/// Keyboards and pointers (evdev, re-emitted through uinput).
pub trait Input: Send {
    /// Devices the board config selects.
    fn devices(&mut self) -> Result<Vec<InputDevice>>;
    /// Devices added or removed since the last call.
    fn changes(&mut self) -> Result<Vec<Hotplug>>;
    /// Grabs every selected device exclusively (now and as they appear) and starts re-emitting
    /// their events through the station's virtual device. A device that cannot be grabbed is
    /// left out without failing the others; `changes` retries it and returns its error.
    fn grab(&mut self) -> Result<()>;
    /// Waits up to `timeout_ms` for events from grabbed devices, re-emits and returns them.
    fn pump(&mut self, timeout_ms: u32) -> Result<Vec<InputEvent>> {
        self.pump_filtered(timeout_ms, &mut |_| true)
    }
    /// Like [`Input::pump`], but re-emits only the events `keep` accepts (it sees every key and
    /// relative-axis event, in order); returns the events re-emitted.
    fn pump_filtered(
        &mut self,
        timeout_ms: u32,
        keep: &mut dyn FnMut(&InputEvent) -> bool,
    ) -> Result<Vec<InputEvent>>;
    /// Releases the grab.
    fn release(&mut self) -> Result<()>;
    /// Types key `code` (press and release) on the station's own virtual device, as if from
    /// a keyboard: the station's keystroke into the exam shell (reloading a blank exam page).
    fn press(&mut self, code: u16) -> Result<()>;
}

/// All devices of a board.
pub struct Devices {
    /// Camera.
    pub camera: Box<dyn Camera>,
    /// Microphone.
    pub microphone: Box<dyn Microphone>,
    /// Display.
    pub display: Box<dyn Display>,
    /// Indicator (LED, buttons); a no-op one when the board has no GPIO.
    pub indicator: Box<dyn Indicator>,
    /// Input devices.
    pub input: Box<dyn Input>,
}

/// Opens the devices a board describes.
pub fn open(board: &board_config::Board) -> Result<Devices> {
    match board.board.backend {
        board_config::Backend::Simulated => Ok(sim::open(board)),
        board_config::Backend::Linux => Ok(linux::open(board)),
    }
}
