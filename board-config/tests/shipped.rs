//! Every shipped board and site file parses, validates and round-trips.

mod common;

use board_config::{load_board, load_site, Backend, Board, Site};
use common::toml_files;

#[test]
fn every_shipped_board_is_valid() {
    let boards = toml_files("boards");
    assert!(boards.len() >= 4, "boards: {boards:?}");
    for path in boards {
        let board = load_board(&path).unwrap_or_else(|e| panic!("{e}"));
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default();
        assert_eq!(board.board.name, stem, "board name matches its file name");
    }
}

#[test]
fn every_shipped_site_is_valid() {
    let sites = toml_files("sites");
    assert!(!sites.is_empty());
    for path in sites {
        load_site(&path).unwrap_or_else(|e| panic!("{e}"));
    }
}

#[test]
fn shipped_boards_say_what_the_design_asks() {
    let dir = common::crate_dir().join("boards");
    let load = |name: &str| load_board(&dir.join(name)).unwrap_or_else(|e| panic!("{e}"));

    let sim = load("sim.toml");
    assert_eq!(sim.board.backend, Backend::Simulated);
    assert_eq!(sim.gpio.as_ref().map(|g| g.chip.as_str()), Some("sim"));

    let qemu = load("qemu-x86_64.toml");
    assert_eq!(qemu.microphone.device, "hw:Loopback,1,0");
    assert_eq!(
        qemu.camera
            .r#match
            .as_ref()
            .and_then(|m| m.driver.as_deref()),
        Some("vivid")
    );
    assert!(qemu.gpio.is_none());
    let arm = load("qemu-aarch64.toml");
    assert_eq!(
        arm.gpio.map(|g| g.chip),
        Some("exam-station-sim".to_string()),
        "the arm64 VM's GPIO is the test's gpio-sim chip, found by its label"
    );

    let rpi = load("rpi5.toml");
    assert_eq!(rpi.board.arch, board_config::Arch::Aarch64);
    assert_eq!(rpi.encoders.video, board_config::VideoEncoder::Openh264);
    let gpio = rpi.gpio.expect("rpi5 has gpio");
    assert_eq!(
        (
            gpio.chip.as_str(),
            gpio.recording_led,
            gpio.call_button,
            gpio.tamper_switch
        ),
        ("pinctrl-rp1", 17, 27, 22)
    );

    let pc = load("x86_64-uefi.toml");
    assert_eq!(pc.camera.format, "MJPG");
    assert_eq!(pc.input.r#match.len(), 2);
}

#[test]
fn defaults_apply() {
    let board = board_config::parse_board(common::BOARD, "t.toml".as_ref())
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(board.input.grab_all);
    assert_eq!(board.display.screen_fps, 1);
    assert_eq!(board.encoders, board_config::Encoders::default());
    assert_eq!(board.encoders.video_bitrate_kbps, 1000);
    assert!(board.gpio.as_ref().is_some_and(|g| g.active_low_inputs));

    let site =
        board_config::parse_site(common::SITE, "s.toml".as_ref()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(site.storage.min_free_mib, 512);
    assert_eq!((site.exam.segment_seconds, site.exam.sync_seconds), (60, 2));
    assert_eq!(
        (
            site.uplink.part_size_mib,
            site.uplink.parts_in_flight,
            site.uplink.bandwidth_limit_kbps,
            site.uplink.start_jitter_seconds
        ),
        (8, 4, 0, 30)
    );
    assert!(!site.uplink.on_premises);
}

#[test]
fn boards_and_sites_round_trip_through_toml() {
    for path in toml_files("boards") {
        let board = load_board(&path).unwrap_or_else(|e| panic!("{e}"));
        let text = toml::to_string(&board).expect("serializes");
        let again: Board =
            board_config::parse_board(&text, &path).unwrap_or_else(|e| panic!("{e}\n{text}"));
        assert_eq!(board, again);
    }
    for path in toml_files("sites") {
        let site = load_site(&path).unwrap_or_else(|e| panic!("{e}"));
        let text = toml::to_string(&site).expect("serializes");
        let again: Site =
            board_config::parse_site(&text, &path).unwrap_or_else(|e| panic!("{e}\n{text}"));
        assert_eq!(site, again);
    }
}

#[test]
fn the_example_site_cannot_go_into_an_image_until_it_has_the_institutions_key() {
    let example = common::crate_dir().join("sites/example.toml");
    let err = board_config::load_image_site(&example).unwrap_err();
    assert_eq!(err.field(), Some("institution.recipient"));
    let text = err.to_string();
    assert!(text.contains("example.toml"), "{text}");
    assert!(text.contains("placeholder"), "{text}");
    assert!(text.contains("examctl keygen"), "{text}");
    let line = std::fs::read_to_string(&example)
        .unwrap()
        .lines()
        .position(|l| l.starts_with("recipient"))
        .map(|i| i + 1);
    assert_eq!(err.line(), line, "{text}");

    // The same site with a key of the institution's own goes in.
    let own = "age1c2astwksn5725p9n2cvfvqarlamgl7k4hvlhyxtk00jytsgsef7qyv3mr9";
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("station.toml");
    let text = std::fs::read_to_string(&example)
        .unwrap()
        .replace(board_config::EXAMPLE_RECIPIENT, own);
    std::fs::write(&site, text).unwrap();
    let loaded = board_config::load_image_site(&site).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(loaded.institution.recipient, own);
}
