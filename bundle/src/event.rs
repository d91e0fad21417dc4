//! The journal's vocabulary: every event a station records during an exam.
//!
//! Records are postcard-encoded with heapless-bounded text, so every record has a fixed maximum
//! size ([`RECORD_MAX`]) and encoding needs no heap.

use heapless::String as HString;
use serde::{Deserialize, Serialize};

/// Upper bound of one encoded record, in bytes.
pub const RECORD_MAX: usize = 512;

/// Short bounded text (names, files, reasons).
pub type Text = HString<96>;

/// Makes a bounded text from `s`, cut at a character boundary if too long.
pub fn text(s: &str) -> Text {
    let mut t = Text::new();
    for ch in s.chars() {
        if t.push(ch).is_err() {
            break;
        }
    }
    t
}

/// One journal record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// Position in the exam's journal, from 0, across segments.
    pub seq: u32,
    /// Wall-clock time, milliseconds since the Unix epoch.
    pub wall_ms: u64,
    /// Monotonic time since the station started, milliseconds.
    pub mono_ms: u64,
    /// What happened.
    pub event: Event,
}

/// The station's session states, as recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum State {
    /// Starting services.
    Booting,
    /// Exercising devices.
    SelfTest,
    /// Waiting for a student.
    Ready,
    /// Student identifies.
    CheckIn,
    /// Photo ID and face stills.
    Identity,
    /// The exam is running and recorded.
    ExamRunning,
    /// Streams ending, bundle being sealed.
    Finalizing,
}

/// A recorded stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Stream {
    /// Camera video.
    Camera,
    /// Microphone audio.
    Microphone,
    /// Screen capture.
    Screen,
}

impl Stream {
    /// All streams, in bundle order.
    pub const ALL: [Stream; 3] = [Stream::Camera, Stream::Microphone, Stream::Screen];

    /// File stem used in the bundle (`camera`, `microphone`, `screen`).
    pub fn name(self) -> &'static str {
        match self {
            Stream::Camera => "camera",
            Stream::Microphone => "microphone",
            Stream::Screen => "screen",
        }
    }
}

/// Kinds of identity stills.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Still {
    /// The student's photo ID held to the camera.
    PhotoId,
    /// A frame of the face scan.
    Face,
}

/// A device family, for fault events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Device {
    /// Camera.
    Camera,
    /// Microphone.
    Microphone,
    /// Keyboard or pointer.
    Input,
    /// Display.
    Display,
    /// LED, call button, tamper switch.
    Indicator,
}

/// Why an exam ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum EndReason {
    /// Planned duration reached.
    TimeUp,
    /// Student submitted.
    Submitted,
    /// A proctor ended it.
    Proctor,
    /// The station stopped (crash, power cut), found on recovery.
    Interrupted,
    /// Check-in was abandoned before the exam started (the proctor or the student went back):
    /// nothing was recorded but the check-in's own events.
    CheckInCancelled,
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Event {
    /// The session moved between states.
    StateChanged { from: State, to: State },
    /// A student checked in. The id exists only inside the encrypted journal.
    CheckedIn { student: Text },
    /// An identity still was captured and sealed into `file`.
    StillCaptured {
        kind: Still,
        file: Text,
        width: u32,
        height: u32,
    },
    /// Face check over several frames: how many faces were seen, and the verdict.
    FaceCheck {
        frames: u16,
        faces_min: u8,
        faces_max: u8,
        passed: bool,
    },
    /// Recording began; planned duration in seconds.
    ExamStarted { planned_secs: u32 },
    /// Recording ended.
    ExamEnded { reason: EndReason },
    /// A media segment file was opened; `pts_ms` is the stream time (since exam start) of its
    /// first byte, the record's own times give wall-clock and monotonic start.
    SegmentOpened {
        stream: Stream,
        index: u32,
        file: Text,
        pts_ms: u64,
    },
    /// A media segment file was closed after `bytes` bytes.
    SegmentClosed {
        stream: Stream,
        index: u32,
        bytes: u64,
    },
    /// A device failed; the other streams go on.
    DeviceLost { device: Device, reason: Text },
    /// A lost device works again.
    DeviceRestored { device: Device },
    /// Free space is low; nothing unsent is deleted.
    StorageLow { free_mib: u64 },
    /// The tamper switch opened.
    Tamper,
    /// The proctor call button was pressed.
    CallButton,
    /// A blocked key combination was pressed (and dropped).
    KeyBlocked { combo: Text },
    /// An input device appeared mid-exam and was grabbed.
    InputAttached { name: Text },
    /// The browser reached an allowlisted host.
    HostVisited { host: Text },
    /// The browser tried a host outside the allowlist.
    HostBlocked { host: Text },
    /// After a crash the station found this exam unfinished and sealed it as interrupted.
    Recovered { lost_segments: u16 },
    /// The bundle is being sealed with this many files.
    Sealing { files: u16 },
    /// The student chose the exam to sit (its code and title from the site file).
    ExamChosen { code: Text, title: Text },
    /// A wrong proctor PIN: how many wrong ones in a row, and how long the station now waits
    /// before it takes another (0 = none).
    PinRejected { attempts: u16, wait_secs: u32 },
    /// The proctor confirmed the student's identity with the PIN.
    ProctorApproved,
    /// The student acknowledged the privacy notice.
    NoticeAcknowledged,
    /// An input device present when the exam started (the inventory; those plugged in later
    /// are `InputAttached`).
    InputPresent { name: Text },
    /// The student was warned: this many minutes left.
    TimeWarning { minutes_left: u32 },
    /// The face check did not pass in `failed_tries` tries and the proctor went on with the
    /// PIN (a detector never locks a student out).
    FaceCheckOverridden { failed_tries: u16 },
    /// This part resumes an exam cut short: the previous part's exam id and journal head
    /// (hex, as in its manifest), this part's number, the recording time left and the time
    /// lost between the cut and the resume, in seconds. The proctor resumed it with the PIN.
    Resumed {
        previous: Text,
        previous_head: Text,
        part: u16,
        left_secs: u32,
        lost_secs: u32,
    },
    /// The exam shell's browser ended mid-exam (closed or crashed): its compositor is gone and
    /// the unit starts it again.
    KioskGone,
    /// The exam page is on screen again, `gone_ms` after the kiosk went.
    KioskBack { gone_ms: u32 },
    /// The exam page stayed blank white for `secs` seconds (a dead page in a live browser):
    /// the station reloaded it (F5 into the exam shell).
    KioskBlank { secs: u32 },
}

impl Event {
    /// The variant's name, as shown in timelines.
    pub fn kind(&self) -> &'static str {
        match self {
            Event::StateChanged { .. } => "StateChanged",
            Event::CheckedIn { .. } => "CheckedIn",
            Event::StillCaptured { .. } => "StillCaptured",
            Event::FaceCheck { .. } => "FaceCheck",
            Event::ExamStarted { .. } => "ExamStarted",
            Event::ExamEnded { .. } => "ExamEnded",
            Event::SegmentOpened { .. } => "SegmentOpened",
            Event::SegmentClosed { .. } => "SegmentClosed",
            Event::DeviceLost { .. } => "DeviceLost",
            Event::DeviceRestored { .. } => "DeviceRestored",
            Event::StorageLow { .. } => "StorageLow",
            Event::Tamper => "Tamper",
            Event::CallButton => "CallButton",
            Event::KeyBlocked { .. } => "KeyBlocked",
            Event::InputAttached { .. } => "InputAttached",
            Event::HostVisited { .. } => "HostVisited",
            Event::HostBlocked { .. } => "HostBlocked",
            Event::Recovered { .. } => "Recovered",
            Event::Sealing { .. } => "Sealing",
            Event::ExamChosen { .. } => "ExamChosen",
            Event::PinRejected { .. } => "PinRejected",
            Event::ProctorApproved => "ProctorApproved",
            Event::NoticeAcknowledged => "NoticeAcknowledged",
            Event::InputPresent { .. } => "InputPresent",
            Event::TimeWarning { .. } => "TimeWarning",
            Event::FaceCheckOverridden { .. } => "FaceCheckOverridden",
            Event::Resumed { .. } => "Resumed",
            Event::KioskGone => "KioskGone",
            Event::KioskBack { .. } => "KioskBack",
            Event::KioskBlank { .. } => "KioskBlank",
        }
    }
}

/// Encodes `record` into `buf` (no allocation); returns the used prefix.
pub fn encode<'a>(
    record: &Record,
    buf: &'a mut [u8; RECORD_MAX],
) -> Result<&'a mut [u8], crate::Error> {
    postcard::to_slice(record, buf)
        .map_err(|e| crate::Error::Format(format!("journal record: {e}")))
}

/// Decodes one record; trailing bytes are an error.
pub fn decode(bytes: &[u8]) -> Result<Record, crate::Error> {
    let (r, rest) = postcard::take_from_bytes::<Record>(bytes)
        .map_err(|e| crate::Error::Format(format!("journal record: {e}")))?;
    if !rest.is_empty() {
        return Err(crate::Error::Format(format!(
            "journal record: {} trailing bytes",
            rest.len()
        )));
    }
    Ok(r)
}
