//! Board files (`boards/<board>.toml`): the hardware of one station model and how to reach it.
//!
//! The types here only describe the shape; the rules between fields (a Linux camera needs a
//! device or a match rule, GPIO pins are distinct, ...) are checked by [`crate::load_board`].

use serde::{Deserialize, Serialize};

/// A board file: the hardware of one station model.
///
/// Example (the simulated board):
///
/// ```toml
/// [board]
/// name = "sim"
/// description = "Simulated station"
/// backend = "simulated"
/// arch = "x86_64"
///
/// [camera]
/// format = "YUYV"
/// width = 640
/// height = 480
/// framerate = 30
///
/// [microphone]
/// device = "sim"
/// channels = 1
/// rate = 48000
///
/// [display]
/// card = "sim"
/// connector = "auto"
/// mode = "1024x768"
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Board {
    /// `[board]`: name, description, device backend and CPU architecture.
    pub board: BoardInfo,
    /// `[camera]`: the video device filming the student.
    pub camera: Camera,
    /// `[microphone]`: the ALSA capture device.
    pub microphone: Microphone,
    /// `[input]`: which input devices the station grabs (optional section: defaults grab all).
    #[serde(default)]
    pub input: Input,
    /// `[display]`: the DRM card and connector the exam shell is shown on.
    pub display: Display,
    /// `[gpio]`: recording LED, call button and tamper switch; absent on boards without GPIO.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gpio: Option<Gpio>,
    /// `[encoders]`: how recordings are encoded (optional section: defaults to x264).
    #[serde(default)]
    pub encoders: Encoders,
}

/// `[board]`: what the board is.
///
/// ```toml
/// [board]
/// name = "rpi5"
/// description = "Raspberry Pi 5 with a USB webcam and microphone"
/// backend = "linux"
/// arch = "aarch64"
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BoardInfo {
    /// Short name, letters, digits, `-`, `_` and `.` (1 to 64), usually the file name, e.g. `"rpi5"`.
    pub name: String,
    /// One line for humans, e.g. `"Raspberry Pi 5 with a USB webcam"`.
    pub description: String,
    /// Which device backend drives the hardware: `"linux"` or `"simulated"`.
    pub backend: Backend,
    /// CPU architecture of the image: `"x86_64"` or `"aarch64"`.
    pub arch: Arch,
}

/// Device backend: real Linux devices or simulated ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    /// Real kernel devices: V4L2, ALSA, evdev, DRM, GPIO character device. TOML `"linux"`.
    Linux,
    /// Simulated devices, no hardware needed (demos, CI). TOML `"simulated"`.
    Simulated,
}

impl Backend {
    /// The TOML spelling, e.g. `"linux"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Linux => "linux",
            Backend::Simulated => "simulated",
        }
    }
}

impl std::fmt::Display for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// CPU architecture of a board.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Arch {
    /// 64-bit x86 (PCs, QEMU). TOML `"x86_64"`.
    #[serde(rename = "x86_64")]
    X86_64,
    /// 64-bit ARM (Raspberry Pi 5). TOML `"aarch64"`.
    Aarch64,
}

impl Arch {
    /// The TOML spelling, e.g. `"x86_64"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86_64",
            Arch::Aarch64 => "aarch64",
        }
    }
}

impl std::fmt::Display for Arch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `[camera]`: the V4L2 camera and the format it is captured in.
///
/// With the Linux backend exactly one of `device` and `[camera.match]` is given; the simulated
/// backend needs neither.
///
/// ```toml
/// [camera]
/// format = "MJPG"
/// width = 1280
/// height = 720
/// framerate = 30
///
/// [camera.match]
/// driver = "uvcvideo"
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Camera {
    /// A fixed device node under `/dev/`, e.g. `"/dev/video0"` or a `/dev/v4l/by-id/...` link.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
    /// `[camera.match]`: pick the first capture device whose driver and/or card name match.
    #[serde(rename = "match", default, skip_serializing_if = "Option::is_none")]
    pub r#match: Option<CameraMatch>,
    /// Pixel format as a V4L2 four-character code, e.g. `"YUYV"`, `"MJPG"`, `"NV12"`.
    pub format: String,
    /// Frame width in pixels, 16 to 7680, e.g. `640`.
    pub width: u32,
    /// Frame height in pixels, 16 to 4320, e.g. `480`.
    pub height: u32,
    /// Frames per second, 1 to 120, e.g. `30`.
    pub framerate: u32,
    /// Simulated backend only: what the camera shows instead of a test pattern, a numbered
    /// sequence of JPEG pictures (`scene/%04d.jpg`: from 0 up, one picture a second, again
    /// from the first after the last), relative to the board file's folder. The recording
    /// plays it from its first picture when the exam starts; the check-in's stills from when
    /// the camera was opened.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scene: Option<String>,
}

/// `[camera.match]`: how to find the camera among `/dev/video*` (at least one field).
///
/// ```toml
/// [camera.match]
/// driver = "uvcvideo"      # V4L2 driver name (VIDIOC_QUERYCAP driver)
/// card = "HD Pro Webcam"   # substring of the card name
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CameraMatch {
    /// Exact V4L2 driver name, e.g. `"uvcvideo"` (USB webcams) or `"vivid"` (virtual test driver).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub driver: Option<String>,
    /// Substring of the V4L2 card name, e.g. `"HD Pro Webcam C920"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card: Option<String>,
}

/// `[microphone]`: the ALSA capture device.
///
/// ```toml
/// [microphone]
/// device = "hw:Loopback,1,0"
/// channels = 1
/// rate = 48000
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Microphone {
    /// ALSA PCM name, e.g. `"hw:Loopback,1,0"`, `"plughw:CARD=Device,DEV=0"`, `"default"`;
    /// `"sim"` for the simulated backend.
    pub device: String,
    /// ALSA mixer control to set the capture level with, e.g. `"Mic"`; absent: leave levels alone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mixer_control: Option<String>,
    /// Number of channels, 1 to 8 (1 = mono).
    pub channels: u32,
    /// Sample rate in Hz, 8000 to 192000, e.g. `48000`.
    pub rate: u32,
}

/// `[input]`: which input devices the station grabs during an exam (nothing else sees them).
///
/// ```toml
/// [input]
/// grab_all = true
///
/// [[input.match]]
/// bus = "usb"
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// Grab every keyboard and pointer, not only the matched ones. Default `true`.
    #[serde(default = "default_true")]
    pub grab_all: bool,
    /// `[[input.match]]` rules naming the expected exam keyboard/mouse; default none.
    #[serde(rename = "match", default)]
    pub r#match: Vec<InputMatch>,
}

impl Default for Input {
    fn default() -> Self {
        Self {
            grab_all: true,
            r#match: Vec::new(),
        }
    }
}

/// One `[[input.match]]` rule: an evdev device matches if every given field matches (at least one).
///
/// ```toml
/// [[input.match]]
/// name_contains = "Keyboard"
/// bus = "usb"
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputMatch {
    /// Substring of the evdev device name, e.g. `"Keyboard"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_contains: Option<String>,
    /// Substring of the evdev physical path, e.g. `"usb-0000:00:14.0"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phys_contains: Option<String>,
    /// The bus the device is on: `"usb"`, `"bluetooth"`, `"i8042"` (PS/2, laptop keyboards), `"virtual"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bus: Option<InputBus>,
}

/// Bus of an input device (evdev `BUS_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InputBus {
    /// USB (`BUS_USB`). TOML `"usb"`.
    Usb,
    /// Bluetooth (`BUS_BLUETOOTH`). TOML `"bluetooth"`.
    Bluetooth,
    /// PS/2 controller, built-in laptop keyboards and QEMU's default keyboard (`BUS_I8042`). TOML `"i8042"`.
    #[serde(rename = "i8042")]
    I8042,
    /// Virtual devices such as uinput or virtio-input (`BUS_VIRTUAL`). TOML `"virtual"`.
    Virtual,
}

/// `[display]`: where the exam shell is shown and the screen recorded from.
///
/// ```toml
/// [display]
/// card = "/dev/dri/card0"
/// connector = "HDMI-A-1"
/// mode = "1920x1080"
/// screen_fps = 1
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Display {
    /// DRM card node, e.g. `"/dev/dri/card0"`; `"sim"` for the simulated backend.
    pub card: String,
    /// DRM connector name, e.g. `"HDMI-A-1"`, `"Virtual-1"`, `"eDP-1"`, or `"auto"` (first connected).
    pub connector: String,
    /// Display mode `WIDTHxHEIGHT`, e.g. `"1024x768"`; absent: the connector's preferred mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    /// Screen recording frames per second, 1 to 5. Default `1`.
    #[serde(default = "default_screen_fps")]
    pub screen_fps: u32,
}

/// `[gpio]`: the station's indicator and switches on a GPIO chip (BCM pin numbers 0 to 27, distinct).
///
/// ```toml
/// [gpio]
/// chip = "/dev/gpiochip4"
/// recording_led = 17
/// call_button = 27
/// tamper_switch = 22
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Gpio {
    /// GPIO character device, e.g. `"/dev/gpiochip4"`, or the chip's label as `gpiodetect`
    /// shows it (e.g. `"pinctrl-rp1"` on a Raspberry Pi 5); `"sim"` for the simulated backend.
    pub chip: String,
    /// Output pin of the "recording" LED, 0 to 27.
    pub recording_led: u8,
    /// Input pin of the button a student presses to call a proctor, 0 to 27.
    pub call_button: u8,
    /// Input pin of the case tamper switch, 0 to 27.
    pub tamper_switch: u8,
    /// Inputs read low when active (pull-up wiring). Default `true`.
    #[serde(default = "default_true")]
    pub active_low_inputs: bool,
}

/// `[encoders]`: how the recordings are encoded (optional section).
///
/// ```toml
/// [encoders]
/// video = "hardware"
/// hardware_element = "v4l2h264enc"
/// video_bitrate_kbps = 1500
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Encoders {
    /// Video encoder: `"x264"`, `"openh264"`, `"vp8"` or `"hardware"`. Default `"x264"`.
    #[serde(default)]
    pub video: VideoEncoder,
    /// GStreamer element of the hardware encoder, e.g. `"vaapih264enc"`; required iff `video = "hardware"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hardware_element: Option<String>,
    /// Video bitrate in kbit/s, 100 to 20000. Default `1000`.
    #[serde(default = "default_video_bitrate")]
    pub video_bitrate_kbps: u32,
    /// Audio (Opus) bitrate in kbit/s, 16 to 256. Default `32`.
    #[serde(default = "default_audio_bitrate")]
    pub audio_bitrate_kbps: u32,
}

impl Default for Encoders {
    fn default() -> Self {
        Self {
            video: VideoEncoder::default(),
            hardware_element: None,
            video_bitrate_kbps: default_video_bitrate(),
            audio_bitrate_kbps: default_audio_bitrate(),
        }
    }
}

/// Video encoder choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VideoEncoder {
    /// Software H.264 with `x264enc`. TOML `"x264"`. The default.
    #[default]
    X264,
    /// Software H.264 with `openh264enc` (lighter than x264 on ARM). TOML `"openh264"`.
    Openh264,
    /// Software VP8 with `vp8enc`. TOML `"vp8"`.
    Vp8,
    /// A hardware encoder element named by `hardware_element`. TOML `"hardware"`.
    Hardware,
}

fn default_true() -> bool {
    true
}

fn default_screen_fps() -> u32 {
    1
}

fn default_video_bitrate() -> u32 {
    1000
}

fn default_audio_bitrate() -> u32 {
    32
}
