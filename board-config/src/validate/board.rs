//! Rules of board files.

use super::{in_range, invalid, is_name, missing, not_empty, shown, Check};
use crate::board::{
    Backend, Board, Camera, Display, Encoders, Gpio, Input, Microphone, VideoEncoder,
};
use crate::path::FieldPath;

/// Checks every rule of a board file; the first problem found is returned.
pub(crate) fn board(b: &Board) -> Check {
    let linux = b.board.backend == Backend::Linux;
    let name = &b.board.name;
    if !is_name(name, 64, |c| c.is_ascii_alphanumeric() || "-_.".contains(c)) {
        return Err(invalid(
            FieldPath::of("board.name"),
            format!("board name {} is not a valid name", shown(name)),
            "valid: 1 to 64 of letters, digits, `-`, `_`, `.`, e.g. \"rpi5\"",
        ));
    }
    camera(&b.camera, linux)?;
    microphone(&b.microphone, linux)?;
    input(&b.input)?;
    display(&b.display, linux)?;
    if let Some(gpio) = &b.gpio {
        self::gpio(gpio, linux)?;
    }
    encoders(&b.encoders)
}

/// A value meant for the simulated backend used on a Linux board.
fn sim_on_linux(path: &str, example: &str) -> Check {
    Err(invalid(
        FieldPath::of(path),
        format!("`{path}` = \"sim\" needs `backend = \"simulated\"`"),
        format!("with backend linux, give a real device, e.g. {example}"),
    ))
}

fn camera(c: &Camera, linux: bool) -> Check {
    match (&c.device, &c.r#match, linux) {
        (None, None, true) => {
            return Err(missing(
                FieldPath::of("camera.device"),
                "a linux camera needs `device` or `[camera.match]`",
                "add `device = \"/dev/video0\"`, or a `[camera.match]` with `driver = \"uvcvideo\"` (exactly one of them)",
            ))
        }
        (Some(_), Some(_), true) => {
            return Err(invalid(
                FieldPath::of("camera.match"),
                "a linux camera takes `device` or `[camera.match]`, not both",
                "remove one: `device` names a fixed node, `[camera.match]` finds the camera by driver or card name",
            ))
        }
        _ => {}
    }
    if let Some(device) = &c.device {
        let path = FieldPath::of("camera.device");
        not_empty(&path, device, "\"/dev/video0\"")?;
        if linux && !device.starts_with("/dev/") {
            return Err(invalid(
                path,
                format!("camera device {} is not a device node", shown(device)),
                "valid: a path under /dev/, e.g. \"/dev/video0\" or \"/dev/v4l/by-id/usb-...-video-index0\"",
            ));
        }
    }
    if let Some(m) = &c.r#match {
        let path = FieldPath::of("camera.match");
        if m.driver.is_none() && m.card.is_none() {
            return Err(missing(
                path.key("driver"),
                "`[camera.match]` has nothing to match on",
                "add `driver = \"uvcvideo\"` and/or `card = \"...\"` (part of the card name)",
            ));
        }
        if let Some(driver) = &m.driver {
            not_empty(&path.key("driver"), driver, "\"uvcvideo\"")?;
        }
        if let Some(card) = &m.card {
            not_empty(&path.key("card"), card, "\"HD Pro Webcam C920\"")?;
        }
    }
    let format_ok = c.format.len() == 4
        && c.format
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || ch == ' ')
        && !c.format.starts_with(' ');
    if !format_ok {
        return Err(invalid(
            FieldPath::of("camera.format"),
            format!("camera format {} is not a four-character code", shown(&c.format)),
            "valid: a V4L2 fourcc of 4 letters or digits, e.g. \"YUYV\", \"MJPG\", \"NV12\", \"H264\"",
        ));
    }
    in_range("camera.width", c.width, 16, 7680, "pixels")?;
    in_range("camera.height", c.height, 16, 4320, "pixels")?;
    in_range("camera.framerate", c.framerate, 1, 120, "frames per second")?;
    match &c.scene {
        Some(_) if linux => Err(invalid(
            FieldPath::of("camera.scene"),
            "`camera.scene` needs `backend = \"simulated\"`",
            "a real camera shows what is in front of it: remove `scene`",
        )),
        Some(scene) if !is_scene(scene) => Err(invalid(
            FieldPath::of("camera.scene"),
            format!("camera scene {} is not a numbered JPEG sequence", shown(scene)),
            "valid: a path with one `%d` or `%0Nd` (N 1 to 9) ending in .jpg or .jpeg, e.g. \"scene/%04d.jpg\"",
        )),
        _ => Ok(()),
    }
}

/// A path with exactly one `%d` / `%0Nd` and a JPEG extension.
fn is_scene(s: &str) -> bool {
    let Some((before, after)) = s.split_once('%') else {
        return false;
    };
    let after = after.strip_prefix('d').or_else(|| {
        let rest = after.strip_prefix('0')?;
        let mut chars = rest.chars();
        chars.next().filter(|c| ('1'..='9').contains(c))?;
        chars.as_str().strip_prefix('d')
    });
    let Some(after) = after else { return false };
    !before.contains('%')
        && !after.contains('%')
        && (after.ends_with(".jpg") || after.ends_with(".jpeg"))
}

fn microphone(m: &Microphone, linux: bool) -> Check {
    let path = FieldPath::of("microphone.device");
    not_empty(&path, &m.device, "\"default\"")?;
    if m.device.chars().any(char::is_whitespace) {
        return Err(invalid(
            path,
            format!("microphone device {} contains blanks", shown(&m.device)),
            "valid: an ALSA PCM name such as \"default\", \"hw:Loopback,1,0\", \"plughw:CARD=Device,DEV=0\"",
        ));
    }
    if linux && m.device == "sim" {
        return sim_on_linux(
            "microphone.device",
            "\"default\" or \"plughw:CARD=Device,DEV=0\"",
        );
    }
    if let Some(control) = &m.mixer_control {
        not_empty(
            &FieldPath::of("microphone.mixer_control"),
            control,
            "\"Mic\"",
        )?;
    }
    in_range("microphone.channels", m.channels, 1, 8, "channels")?;
    in_range("microphone.rate", m.rate, 8000, 192_000, "Hz")
}

fn input(i: &Input) -> Check {
    for (index, rule) in i.r#match.iter().enumerate() {
        let path = FieldPath::of("input.match").index(index);
        if rule.name_contains.is_none() && rule.phys_contains.is_none() && rule.bus.is_none() {
            return Err(missing(
                path.key("bus"),
                format!(
                    "`[[input.match]]` number {} has nothing to match on",
                    index + 1
                ),
                "add `bus = \"usb\"`, `name_contains = \"...\"` and/or `phys_contains = \"...\"`",
            ));
        }
        if let Some(name) = &rule.name_contains {
            not_empty(&path.key("name_contains"), name, "\"Keyboard\"")?;
        }
        if let Some(phys) = &rule.phys_contains {
            not_empty(&path.key("phys_contains"), phys, "\"usb-0000:00:14.0\"")?;
        }
    }
    Ok(())
}

/// Parses `"1024x768"` into width and height.
pub(crate) fn parse_mode(mode: &str) -> Option<(u32, u32)> {
    let (w, h) = mode.split_once('x')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(w) || !digits(h) {
        return None;
    }
    Some((w.parse().ok()?, h.parse().ok()?))
}

fn display(d: &Display, linux: bool) -> Check {
    let card = FieldPath::of("display.card");
    not_empty(&card, &d.card, "\"/dev/dri/card0\"")?;
    if linux && d.card == "sim" {
        return sim_on_linux("display.card", "\"/dev/dri/card0\"");
    }
    if linux && !d.card.starts_with("/dev/dri/") {
        return Err(invalid(
            card,
            format!("display card {} is not a DRM device", shown(&d.card)),
            "valid: a DRM card node, e.g. \"/dev/dri/card0\"",
        ));
    }
    let connector_ok = is_name(&d.connector, 32, |c| c.is_ascii_alphanumeric() || c == '-');
    if !connector_ok {
        return Err(invalid(
            FieldPath::of("display.connector"),
            format!("display connector {} is not a connector name", shown(&d.connector)),
            "valid: \"auto\" or a DRM connector name such as \"HDMI-A-1\", \"Virtual-1\", \"eDP-1\"",
        ));
    }
    if let Some(mode) = &d.mode {
        let ok = parse_mode(mode)
            .is_some_and(|(w, h)| (16..=7680).contains(&w) && (16..=4320).contains(&h));
        if !ok {
            return Err(invalid(
                FieldPath::of("display.mode"),
                format!("display mode {} is not WIDTHxHEIGHT", shown(mode)),
                "valid: WIDTHxHEIGHT in pixels (16..7680 x 16..4320), e.g. \"1024x768\", \"1920x1080\"; or leave it out for the preferred mode",
            ));
        }
    }
    in_range(
        "display.screen_fps",
        d.screen_fps,
        1,
        5,
        "screen frames per second",
    )
}

fn gpio(g: &Gpio, linux: bool) -> Check {
    let chip = FieldPath::of("gpio.chip");
    not_empty(&chip, &g.chip, "\"/dev/gpiochip0\"")?;
    if linux && g.chip == "sim" {
        return sim_on_linux("gpio.chip", "\"/dev/gpiochip4\"");
    }
    // A device node, or a chip label (no slash) looked up among the chips at run time.
    if linux && g.chip.contains('/') && !g.chip.starts_with("/dev/gpiochip") {
        return Err(invalid(
            chip,
            format!(
                "gpio chip {} is not a GPIO character device",
                shown(&g.chip)
            ),
            "valid: \"/dev/gpiochipN\" or the chip's label as `gpiodetect` shows it, e.g. \"pinctrl-rp1\" on a Raspberry Pi 5",
        ));
    }
    let pins = [
        ("recording_led", g.recording_led),
        ("call_button", g.call_button),
        ("tamper_switch", g.tamper_switch),
    ];
    for (i, (name, pin)) in pins.iter().enumerate() {
        in_range(&format!("gpio.{name}"), *pin, 0, 27, "BCM pin number")?;
        if let Some((other, _)) = pins[..i].iter().find(|(_, p)| p == pin) {
            return Err(invalid(
                FieldPath::of("gpio").key(name),
                format!("gpio pin {pin} is used by both `{other}` and `{name}`"),
                "each of recording_led, call_button, tamper_switch needs its own pin",
            ));
        }
    }
    Ok(())
}

fn encoders(e: &Encoders) -> Check {
    let element = FieldPath::of("encoders.hardware_element");
    match (e.video, &e.hardware_element) {
        (VideoEncoder::Hardware, None) => {
            return Err(missing(
                element,
                "`video = \"hardware\"` needs `hardware_element`",
                "add the GStreamer element, e.g. `hardware_element = \"vaapih264enc\"` or \"v4l2h264enc\"",
            ))
        }
        (VideoEncoder::Hardware, Some(name)) => {
            if !is_name(name, 64, |c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
                return Err(invalid(
                    element,
                    format!("{} is not a GStreamer element name", shown(name)),
                    "valid: an element name such as \"vaapih264enc\", \"v4l2h264enc\", \"qsvh264enc\"",
                ));
            }
        }
        (_, Some(_)) => {
            return Err(invalid(
                element,
                "`hardware_element` is only used with `video = \"hardware\"`",
                "remove it, or set `video = \"hardware\"`",
            ))
        }
        (_, None) => {}
    }
    in_range(
        "encoders.video_bitrate_kbps",
        e.video_bitrate_kbps,
        100,
        20_000,
        "kbit/s",
    )?;
    in_range(
        "encoders.audio_bitrate_kbps",
        e.audio_bitrate_kbps,
        16,
        256,
        "kbit/s",
    )
}

#[cfg(test)]
mod tests {
    use super::parse_mode;

    #[test]
    fn modes() {
        assert_eq!(parse_mode("1024x768"), Some((1024, 768)));
        assert_eq!(parse_mode("big"), None);
        assert_eq!(parse_mode("x768"), None);
        assert_eq!(parse_mode("+1x2"), None);
        assert_eq!(parse_mode("99999999999x1"), None);
    }
}
