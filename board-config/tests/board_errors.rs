//! Each kind of error in a board file: right kind, file, line, field, hint, and one screen.

mod common;

use std::path::Path;

use board_config::{load_board, parse_board, ErrorKind};
use common::{assert_error, assert_one_screen, board_err, edit, BOARD};

#[test]
fn the_base_board_is_valid() {
    parse_board(BOARD, Path::new("boards/t.toml")).unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn syntax_error() {
    let err = board_err(&edit(BOARD, "width = 640", "width 640"));
    assert_error(&err, ErrorKind::Syntax, 10, None);
    assert_eq!(err.column(), Some(7));

    let err = board_err(&edit(BOARD, "format = \"YUYV\"", "format = \"YUYV"));
    assert_error(&err, ErrorKind::Syntax, 9, None);

    let err = board_err(&format!("{BOARD}\n[camera]\n"));
    assert_eq!(err.kind(), ErrorKind::Syntax, "duplicate table: {err}");
}

#[test]
fn misspelled_field_suggests_the_right_one() {
    let err = board_err(&edit(BOARD, "width = 640", "widht = 640"));
    assert_error(&err, ErrorKind::UnknownField, 10, Some("camera.widht"));
    assert_eq!(err.column(), Some(1));
    assert_eq!(err.message(), "unknown field `widht` in `camera`");
    assert_eq!(
        err.to_string(),
        "error: boards/t.toml:10:1: unknown field `widht` in `camera`\n  \
         10 | widht = 640\n     \
            | ^^^^^\n  \
         = valid: device, match, format, width, height, framerate, scene (did you mean `width`?)"
    );
}

#[test]
fn unknown_section_and_nested_field() {
    let err = board_err(&edit(BOARD, "[display]", "[dispaly]"));
    assert_error(&err, ErrorKind::UnknownField, 25, Some("dispaly"));
    assert!(
        err.hint()
            .unwrap_or_default()
            .contains("did you mean `display`?"),
        "{err}"
    );

    let err = board_err(&edit(
        BOARD,
        "bus = \"virtual\"",
        "bus = \"virtual\"\nspeed = 3",
    ));
    assert_error(
        &err,
        ErrorKind::UnknownField,
        24,
        Some("input.match[1].speed"),
    );
    assert!(err
        .hint()
        .unwrap_or_default()
        .starts_with("valid: name_contains, phys_contains, bus"));
}

#[test]
fn string_where_a_number_belongs() {
    let err = board_err(&edit(BOARD, "width = 640", "width = \"640\""));
    assert_error(&err, ErrorKind::WrongType, 10, Some("camera.width"));
    assert_eq!(err.column(), Some(9));
    assert!(err.message().contains("expected a whole number"), "{err}");
    assert_eq!(
        err.hint(),
        Some("write the number without quotes: `width = 640`")
    );
}

#[test]
fn other_wrong_types() {
    let err = board_err(&edit(
        BOARD,
        "[[input.match]]\nbus = \"usb\"",
        "[input]\ngrab_all = \"yes\"\n\n[[input.match]]\nbus = \"usb\"",
    ));
    assert_error(&err, ErrorKind::WrongType, 20, Some("input.grab_all"));
    assert!(err.message().contains("true or false"), "{err}");

    let err = board_err(&edit(BOARD, "backend = \"linux\"", "backend = 3"));
    assert_error(&err, ErrorKind::WrongType, 4, Some("board.backend"));
    assert!(
        err.hint()
            .unwrap_or_default()
            .contains("\"linux\" or \"simulated\""),
        "{err}"
    );

    let err = board_err(&edit(
        BOARD,
        "device = \"default\"",
        "device = [\"default\"]",
    ));
    assert_error(&err, ErrorKind::WrongType, 15, Some("microphone.device"));
}

#[test]
fn missing_field_points_at_its_section() {
    let err = board_err(&edit(BOARD, "height = 480\n", ""));
    assert_error(&err, ErrorKind::MissingField, 7, Some("camera.height"));
    assert_eq!(err.message(), "missing field `height` in `[camera]`");
    assert!(
        err.hint().unwrap_or_default().contains("height = 480"),
        "{err}"
    );

    let err = board_err(&edit(BOARD, "chip = \"/dev/gpiochip4\"\n", ""));
    assert_error(&err, ErrorKind::MissingField, 30, Some("gpio.chip"));
}

#[test]
fn missing_camera_section() {
    let without = edit(
        BOARD,
        "[camera]\ndevice = \"/dev/video0\"\nformat = \"YUYV\"\nwidth = 640\nheight = 480\nframerate = 30\n",
        "",
    );
    let err = board_err(&without);
    assert_error(&err, ErrorKind::MissingField, 1, Some("camera"));
    assert_eq!(err.message(), "missing section `[camera]`");
    let hint = err.hint().unwrap_or_default();
    assert!(
        hint.starts_with("add a `[camera]` section with format = \"YUYV\", width = 640"),
        "{hint}"
    );
    assert!(hint.contains("device = \"/dev/video0\""), "{hint}");
}

#[test]
fn out_of_range_values() {
    let err = board_err(&edit(BOARD, "framerate = 30", "framerate = 0"));
    assert_error(&err, ErrorKind::InvalidValue, 12, Some("camera.framerate"));
    assert_eq!(err.column(), Some(13));
    assert_eq!(err.hint(), Some("valid: 1 to 120 (frames per second)"));

    let err = board_err(&edit(BOARD, "framerate = 30", "framerate = -1"));
    assert_error(&err, ErrorKind::InvalidValue, 12, Some("camera.framerate"));

    let err = board_err(&edit(BOARD, "tamper_switch = 22", "tamper_switch = 40"));
    assert_error(
        &err,
        ErrorKind::InvalidValue,
        34,
        Some("gpio.tamper_switch"),
    );
    assert!(err.hint().unwrap_or_default().contains("0 to 27"), "{err}");

    let err = board_err(&edit(BOARD, "tamper_switch = 22", "tamper_switch = 300"));
    assert_error(
        &err,
        ErrorKind::InvalidValue,
        34,
        Some("gpio.tamper_switch"),
    );

    let err = board_err(&edit(BOARD, "rate = 48000", "rate = 4000"));
    assert_error(&err, ErrorKind::InvalidValue, 17, Some("microphone.rate"));
}

#[test]
fn duplicate_gpio_pins() {
    let err = board_err(&edit(BOARD, "tamper_switch = 22", "tamper_switch = 17"));
    assert_error(
        &err,
        ErrorKind::InvalidValue,
        34,
        Some("gpio.tamper_switch"),
    );
    assert_eq!(
        err.message(),
        "gpio pin 17 is used by both `recording_led` and `tamper_switch`"
    );
}

#[test]
fn linux_camera_needs_exactly_one_of_device_and_match() {
    let err = board_err(&edit(BOARD, "device = \"/dev/video0\"\n", ""));
    assert_error(&err, ErrorKind::MissingField, 7, Some("camera.device"));
    assert!(
        err.hint().unwrap_or_default().contains("[camera.match]"),
        "{err}"
    );

    let both = edit(
        BOARD,
        "framerate = 30\n",
        "framerate = 30\n\n[camera.match]\ndriver = \"uvcvideo\"\n",
    );
    let err = board_err(&both);
    assert_error(&err, ErrorKind::InvalidValue, 14, Some("camera.match"));

    let empty_match = edit(BOARD, "device = \"/dev/video0\"\n", "match = {}\n");
    let err = board_err(&empty_match);
    assert_error(
        &err,
        ErrorKind::MissingField,
        8,
        Some("camera.match.driver"),
    );

    // The simulated backend needs neither.
    let sim = edit(
        &edit(BOARD, "device = \"/dev/video0\"\n", ""),
        "backend = \"linux\"",
        "backend = \"simulated\"",
    );
    parse_board(&sim, Path::new("t.toml")).unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn a_camera_scene_only_on_the_simulated_backend_and_only_numbered_jpegs() {
    let scene = |b: &str, v: &str| {
        edit(
            b,
            "framerate = 30\n",
            &format!("framerate = 30\nscene = \"{v}\"\n"),
        )
    };
    let err = board_err(&scene(BOARD, "scene/%04d.jpg"));
    assert_error(&err, ErrorKind::InvalidValue, 13, Some("camera.scene"));
    assert!(err.message().contains("simulated"), "{err}");
    let sim = edit(
        &edit(BOARD, "device = \"/dev/video0\"\n", ""),
        "backend = \"linux\"",
        "backend = \"simulated\"",
    );
    for good in ["scene/%04d.jpg", "%d.jpeg", "/abs/f-%09d.jpg"] {
        parse_board(&scene(&sim, good), Path::new("t.toml"))
            .unwrap_or_else(|e| panic!("{good}: {e}"));
    }
    for bad in [
        "scene/0001.jpg",
        "%04d.png",
        "%d-%d.jpg",
        "%00d.jpg",
        "%4d.jpg",
    ] {
        let err = board_err(&scene(&sim, bad));
        assert_error(&err, ErrorKind::InvalidValue, 12, Some("camera.scene"));
        assert!(
            err.hint().unwrap_or_default().contains("%04d"),
            "{bad}: {err}"
        );
    }
    // Relative to the board file's folder.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("b.toml");
    std::fs::write(&file, scene(&sim, "scene/%04d.jpg")).unwrap();
    let b = load_board(&file).unwrap();
    assert_eq!(
        b.camera.scene.as_deref(),
        Some(dir.path().join("scene/%04d.jpg").to_str().unwrap())
    );
}

#[test]
fn bad_display_mode_and_devices() {
    let err = board_err(&edit(BOARD, "mode = \"1024x768\"", "mode = \"big\""));
    assert_error(&err, ErrorKind::InvalidValue, 28, Some("display.mode"));
    assert!(err.hint().unwrap_or_default().contains("1024x768"), "{err}");

    let err = board_err(&edit(BOARD, "card = \"/dev/dri/card0\"", "card = \"sim\""));
    assert_error(&err, ErrorKind::InvalidValue, 26, Some("display.card"));

    let err = board_err(&edit(BOARD, "format = \"YUYV\"", "format = \"YUYV2\""));
    assert_error(&err, ErrorKind::InvalidValue, 9, Some("camera.format"));
}

#[test]
fn unknown_enum_value_in_array_of_tables() {
    let err = board_err(&edit(BOARD, "bus = \"virtual\"", "bus = \"virtaul\""));
    assert_error(
        &err,
        ErrorKind::InvalidValue,
        23,
        Some("input.match[1].bus"),
    );
    assert_eq!(err.column(), Some(7));
    assert!(
        err.hint()
            .unwrap_or_default()
            .ends_with("(did you mean `virtual`?)"),
        "{err}"
    );
}

#[test]
fn hardware_encoder_needs_its_element() {
    let hw = format!("{BOARD}\n[encoders]\nvideo = \"hardware\"\n");
    let err = board_err(&hw);
    assert_error(
        &err,
        ErrorKind::MissingField,
        36,
        Some("encoders.hardware_element"),
    );
    let ok = format!("{hw}hardware_element = \"vaapih264enc\"\n");
    parse_board(&ok, Path::new("t.toml")).unwrap_or_else(|e| panic!("{e}"));

    let stray = format!("{BOARD}\n[encoders]\nhardware_element = \"vaapih264enc\"\n");
    let err = board_err(&stray);
    assert_error(
        &err,
        ErrorKind::InvalidValue,
        37,
        Some("encoders.hardware_element"),
    );
}

#[test]
fn unreadable_file_is_an_io_error_naming_it() {
    let err = load_board(Path::new("/nonexistent/boards/x.toml")).expect_err("no such file");
    assert_eq!(err.kind(), ErrorKind::Io);
    assert_eq!(err.path(), Path::new("/nonexistent/boards/x.toml"));
    assert_eq!(err.line(), None);
    assert!(
        err.to_string()
            .starts_with("error: /nonexistent/boards/x.toml: cannot read file"),
        "{err}"
    );
    assert_one_screen(&err);
}

#[test]
fn non_utf8_file_is_a_syntax_error_at_the_bad_byte() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("x.toml");
    std::fs::write(&path, b"[board]\nname = \"a\xffb\"\n").expect("write");
    let err = load_board(&path).expect_err("not utf-8");
    assert_eq!(err.kind(), ErrorKind::Syntax);
    assert_eq!((err.line(), err.column()), (Some(2), Some(10)));
    assert_one_screen(&err);
}

#[test]
fn empty_file_asks_for_the_first_section() {
    let err = board_err("");
    assert_error(&err, ErrorKind::MissingField, 1, Some("board"));
}

#[test]
fn gpio_chip_is_a_device_node_or_a_label() {
    let by_label = edit(BOARD, "chip = \"/dev/gpiochip4\"", "chip = \"pinctrl-rp1\"");
    let board =
        parse_board(&by_label, Path::new("boards/label.toml")).expect("a chip label is valid");
    assert_eq!(board.gpio.map(|g| g.chip).as_deref(), Some("pinctrl-rp1"));
    let err = board_err(&edit(
        BOARD,
        "chip = \"/dev/gpiochip4\"",
        "chip = \"/tmp/gpio\"",
    ));
    assert_error(&err, ErrorKind::InvalidValue, 31, Some("gpio.chip"));
    assert!(
        err.hint().unwrap_or_default().contains("pinctrl-rp1"),
        "{err}"
    );
}
