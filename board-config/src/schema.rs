//! What each field looks like, for hints: an example line and the valid values in words.
//!
//! The serde types are the source of truth for which fields exist; a test checks that this
//! table lists exactly those fields.

/// One field of a board or site file.
pub(crate) struct FieldDoc {
    /// Dotted path without indices, e.g. `"camera.width"`, `"input.match.bus"`.
    pub(crate) path: &'static str,
    /// An example line as it would be written in its section, e.g. `"width = 640"`.
    pub(crate) example: &'static str,
    /// The valid values in words, e.g. `"a whole number of pixels, 16 to 7680"`.
    pub(crate) valid: &'static str,
    /// Whether the field must be present (sections: whether the section must be present).
    pub(crate) required: bool,
}

const fn f(
    path: &'static str,
    example: &'static str,
    valid: &'static str,
    required: bool,
) -> FieldDoc {
    FieldDoc {
        path,
        example,
        valid,
        required,
    }
}

const REQ: bool = true;
const OPT: bool = false;

/// Every section and field of board and site files.
pub(crate) const FIELDS: &[FieldDoc] = &[
    // Board files.
    f("board", "[board]", "a table", REQ),
    f(
        "board.name",
        r#"name = "rpi5""#,
        "letters, digits, `-`, `_`, `.` (1 to 64)",
        REQ,
    ),
    f(
        "board.description",
        r#"description = "Raspberry Pi 5 with a USB webcam""#,
        "a string",
        REQ,
    ),
    f(
        "board.backend",
        r#"backend = "linux""#,
        "\"linux\" or \"simulated\"",
        REQ,
    ),
    f(
        "board.arch",
        r#"arch = "x86_64""#,
        "\"x86_64\" or \"aarch64\"",
        REQ,
    ),
    f("camera", "[camera]", "a table", REQ),
    f(
        "camera.device",
        r#"device = "/dev/video0""#,
        "a device node under /dev/",
        OPT,
    ),
    f(
        "camera.match",
        "[camera.match]",
        "a table with driver and/or card",
        OPT,
    ),
    f(
        "camera.match.driver",
        r#"driver = "uvcvideo""#,
        "a V4L2 driver name",
        OPT,
    ),
    f(
        "camera.match.card",
        r#"card = "HD Pro Webcam C920""#,
        "part of the V4L2 card name",
        OPT,
    ),
    f(
        "camera.format",
        r#"format = "YUYV""#,
        "a four-character code such as \"YUYV\", \"MJPG\", \"NV12\"",
        REQ,
    ),
    f(
        "camera.width",
        "width = 640",
        "a whole number of pixels, 16 to 7680",
        REQ,
    ),
    f(
        "camera.height",
        "height = 480",
        "a whole number of pixels, 16 to 4320",
        REQ,
    ),
    f(
        "camera.framerate",
        "framerate = 30",
        "frames per second, 1 to 120",
        REQ,
    ),
    f(
        "camera.scene",
        r#"scene = "scene/%04d.jpg""#,
        "simulated backend only: numbered JPEG pictures the camera shows, one a second",
        OPT,
    ),
    f("microphone", "[microphone]", "a table", REQ),
    f(
        "microphone.device",
        r#"device = "hw:Loopback,1,0""#,
        "an ALSA PCM name such as \"default\" or \"plughw:CARD=Device,DEV=0\"",
        REQ,
    ),
    f(
        "microphone.mixer_control",
        r#"mixer_control = "Mic""#,
        "an ALSA mixer control name",
        OPT,
    ),
    f("microphone.channels", "channels = 1", "1 to 8", REQ),
    f(
        "microphone.rate",
        "rate = 48000",
        "sample rate in Hz, 8000 to 192000",
        REQ,
    ),
    f("input", "[input]", "a table", OPT),
    f("input.grab_all", "grab_all = true", "true or false", OPT),
    f(
        "input.match",
        "[[input.match]]",
        "tables with name_contains, phys_contains and/or bus",
        OPT,
    ),
    f(
        "input.match.name_contains",
        r#"name_contains = "Keyboard""#,
        "part of the device name",
        OPT,
    ),
    f(
        "input.match.phys_contains",
        r#"phys_contains = "usb-0000:00:14.0""#,
        "part of the physical path",
        OPT,
    ),
    f(
        "input.match.bus",
        r#"bus = "usb""#,
        "\"usb\", \"bluetooth\", \"i8042\" or \"virtual\"",
        OPT,
    ),
    f("display", "[display]", "a table", REQ),
    f(
        "display.card",
        r#"card = "/dev/dri/card0""#,
        "a DRM card under /dev/dri/, or \"sim\"",
        REQ,
    ),
    f(
        "display.connector",
        r#"connector = "auto""#,
        "\"auto\" or a connector name such as \"HDMI-A-1\"",
        REQ,
    ),
    f(
        "display.mode",
        r#"mode = "1024x768""#,
        "WIDTHxHEIGHT, e.g. \"1920x1080\"",
        OPT,
    ),
    f("display.screen_fps", "screen_fps = 1", "1 to 5", OPT),
    f("gpio", "[gpio]", "a table", OPT),
    f(
        "gpio.chip",
        r#"chip = "/dev/gpiochip4""#,
        "a GPIO chip under /dev/, or \"sim\"",
        REQ,
    ),
    f(
        "gpio.recording_led",
        "recording_led = 17",
        "a BCM pin, 0 to 27",
        REQ,
    ),
    f(
        "gpio.call_button",
        "call_button = 27",
        "a BCM pin, 0 to 27",
        REQ,
    ),
    f(
        "gpio.tamper_switch",
        "tamper_switch = 22",
        "a BCM pin, 0 to 27",
        REQ,
    ),
    f(
        "gpio.active_low_inputs",
        "active_low_inputs = true",
        "true or false",
        OPT,
    ),
    f("encoders", "[encoders]", "a table", OPT),
    f(
        "encoders.video",
        r#"video = "x264""#,
        "\"x264\", \"openh264\", \"vp8\" or \"hardware\"",
        OPT,
    ),
    f(
        "encoders.hardware_element",
        r#"hardware_element = "vaapih264enc""#,
        "a GStreamer encoder element name",
        OPT,
    ),
    f(
        "encoders.video_bitrate_kbps",
        "video_bitrate_kbps = 1000",
        "kbit/s, 100 to 20000",
        OPT,
    ),
    f(
        "encoders.audio_bitrate_kbps",
        "audio_bitrate_kbps = 32",
        "kbit/s, 16 to 256",
        OPT,
    ),
    // Site files.
    f("station", "[station]", "a table", REQ),
    f(
        "station.id",
        r#"id = "hall-b-07""#,
        "1 to 40 of a-z, 0-9 and `-`",
        REQ,
    ),
    f(
        "station.location",
        r#"location = "Hall B, seat 7""#,
        "a string",
        REQ,
    ),
    f("institution", "[institution]", "a table", REQ),
    f(
        "institution.name",
        r#"name = "Example University""#,
        "a string",
        REQ,
    ),
    f(
        "institution.recipient",
        r#"recipient = "age1...""#,
        "an age X25519 recipient (age1..., 62 characters)",
        REQ,
    ),
    f("exam", "[exam]", "a table", REQ),
    f(
        "exam.allowlist",
        r#"allowlist = ["exam.example.ca", "*.lms.example.ca"]"#,
        "a non-empty array of host patterns",
        REQ,
    ),
    f(
        "exam.start_url",
        r#"start_url = "https://exam.example.ca/""#,
        "an http(s) URL on an allowlisted host",
        OPT,
    ),
    f(
        "exam.blocked_combinations",
        r#"blocked_combinations = ["Ctrl+Shift+I"]"#,
        "an array of Mod+Key combinations",
        OPT,
    ),
    f(
        "exam.segment_seconds",
        "segment_seconds = 60",
        "10 to 600",
        OPT,
    ),
    f("exam.sync_seconds", "sync_seconds = 2", "1 to 10", OPT),
    f(
        "exam.ports",
        "ports = [443, 80]",
        "an array of ports, 1 to 65535",
        OPT,
    ),
    f(
        "exam.private_networks",
        r#"private_networks = ["10.20.0.0/16"]"#,
        "an array of networks in CIDR form",
        OPT,
    ),
    f("uplink", "[uplink]", "a table", REQ),
    f(
        "uplink.backend",
        r#"backend = "s3""#,
        "\"s3\" or \"folder\"",
        REQ,
    ),
    f(
        "uplink.endpoint",
        r#"endpoint = "https://s3.ca-central-1.amazonaws.com""#,
        "an https:// URL (http:// only to loopback)",
        OPT,
    ),
    f(
        "uplink.region",
        r#"region = "ca-central-1""#,
        "\"ca-central-1\" or \"ca-west-1\" (any with on_premises = true)",
        OPT,
    ),
    f("uplink.residency", r#"residency = "CA""#, "\"CA\"", REQ),
    f(
        "uplink.on_premises",
        "on_premises = false",
        "true or false",
        OPT,
    ),
    f(
        "uplink.bucket",
        r#"bucket = "example-exam-recordings""#,
        "an S3 bucket name",
        OPT,
    ),
    f(
        "uplink.prefix",
        r#"prefix = "stations/hall-b-07""#,
        "a key prefix without leading / or ..",
        OPT,
    ),
    f(
        "uplink.credentials_file",
        r#"credentials_file = "/data/credentials/uplink.toml""#,
        "an absolute path",
        OPT,
    ),
    f(
        "uplink.ca_file",
        r#"ca_file = "/etc/station/store-ca.pem""#,
        "an absolute path of a PEM file",
        OPT,
    ),
    f("uplink.part_size_mib", "part_size_mib = 8", "5 to 512", OPT),
    f(
        "uplink.parts_in_flight",
        "parts_in_flight = 4",
        "1 to 16",
        OPT,
    ),
    f(
        "uplink.bandwidth_limit_kbps",
        "bandwidth_limit_kbps = 0",
        "kbit/s, 0 = unlimited",
        OPT,
    ),
    f(
        "uplink.start_jitter_seconds",
        "start_jitter_seconds = 30",
        "0 to 3600",
        OPT,
    ),
    f(
        "uplink.folder",
        r#"folder = "/mnt/exam-archive""#,
        "an absolute path",
        OPT,
    ),
    f("storage", "[storage]", "a table", OPT),
    f("storage.min_free_mib", "min_free_mib = 512", "MiB", OPT),
    f("checkin", "[checkin]", "a table", OPT),
    f(
        "checkin.student_pattern",
        r#"student_pattern = "[0-9]{8}""#,
        "a regular expression for the whole student number",
        OPT,
    ),
    f(
        "checkin.student_example",
        r#"student_example = "20261234""#,
        "a student number the pattern accepts",
        OPT,
    ),
    f(
        "checkin.language",
        r#"language = "en""#,
        "\"en\" or \"fr\"",
        OPT,
    ),
    f("proctor", "[proctor]", "a table", OPT),
    f(
        "proctor.pin_hash",
        r#"pin_hash = "$argon2id$v=19$m=19456,t=2,p=1$...""#,
        "an argon2id PHC string from `stationctl pin hash`",
        REQ,
    ),
    f("exams", "[[exams]]", "an array of tables", OPT),
    f(
        "exams.code",
        r#"code = "MATH101""#,
        "1 to 32 of A-Z, 0-9, `-`, `_`",
        REQ,
    ),
    f(
        "exams.title",
        r#"title = "Calculus I, final""#,
        "a string",
        REQ,
    ),
    f(
        "exams.duration_minutes",
        "duration_minutes = 120",
        "1 to 600",
        REQ,
    ),
    f(
        "exams.opens",
        r#"opens = "2026-12-10T08:30:00-05:00""#,
        "an RFC 3339 time with offset",
        OPT,
    ),
    f(
        "exams.closes",
        r#"closes = "2026-12-10T09:30:00-05:00""#,
        "an RFC 3339 time with offset, after opens",
        OPT,
    ),
    f(
        "exams.warn_minutes",
        "warn_minutes = [10, 1]",
        "minutes before the end, each less than the duration",
        OPT,
    ),
];

/// Extra advice for a missing section, beyond its required fields.
const SECTION_NOTES: &[(&str, &str)] = &[(
    "camera",
    "and, for backend linux, device = \"/dev/video0\" or a [camera.match] with driver = \"uvcvideo\"",
)];

/// The documentation of a field, by indexless dotted path.
pub(crate) fn field(path: &str) -> Option<&'static FieldDoc> {
    FIELDS.iter().find(|d| d.path == path)
}

/// The direct fields of a section (`""` for the top level), in order.
pub(crate) fn children(section: &str) -> impl Iterator<Item = &'static FieldDoc> + '_ {
    FIELDS
        .iter()
        .filter(move |d| match d.path.rsplit_once('.') {
            Some((parent, _)) => parent == section,
            None => section.is_empty(),
        })
}

/// How to fix a missing section: "add a `[camera]` section with format = ..., width = ...".
pub(crate) fn section_hint(section: &str) -> String {
    let required: Vec<&str> = children(section)
        .filter(|d| d.required)
        .map(|d| d.example)
        .collect();
    let mut hint = format!("add a `[{section}]` section");
    if !required.is_empty() {
        hint.push_str(" with ");
        hint.push_str(&required.join(", "));
    }
    if let Some((_, note)) = SECTION_NOTES.iter().find(|(s, _)| *s == section) {
        hint.push(' ');
        hint.push_str(note);
    }
    hint
}
