//! `hw-tests`: the station's Linux device backends against real device nodes.
//!
//! Runs inside the USB image booted by `cargo xtask hw-test` (vivid, snd-aloop, uinput,
//! virtio-gpu; gpio-sim in the arm64 image), or on a station booted from the image. Prints `PASS name: detail` or
//! `FAIL name: reason` per test and a closing `N passed, M failed`; exits 1 if any failed.
//! Arguments filter tests by name substring (`^exam_`: by the start of the name); `--after-power-cut` runs the resume tests of the
//! boot after the power cut instead.
//!
//! The board file comes from `STATION_BOARD` (default: the repository's qemu board), the site
//! file from `STATION_SITE`, the data folder from `STATION_DATA_DIR`, the host's share (where
//! the exam id and outputs go) from `HW_TESTS_SHARE`.

mod audio;
mod camera;
mod checkin;
mod ctx;
mod display;
mod escape;
mod exam;
mod gpio;
mod http;
mod input;
mod kiosk;
mod lockdown;
mod network;
mod powercut;
mod removal;
mod station;
mod storage;
mod system;
mod touch;
mod vt;

use std::process::ExitCode;
use std::time::Instant;

/// A test: returns what it measured, or why it failed.
pub type Test = fn(&ctx::Ctx) -> Result<String, String>;

fn tests() -> Vec<(&'static str, Test)> {
    let mut t: Vec<(&'static str, Test)> = Vec::new();
    t.extend(camera::TESTS);
    t.extend(audio::TESTS);
    t.extend(input::TESTS);
    t.extend(lockdown::TESTS);
    t.extend(touch::TESTS);
    t.extend(display::TESTS);
    t.extend(station::TESTS);
    t.extend(storage::TESTS);
    // A whole exam as the image runs it, its upload, and the system's sockets.
    t.extend(exam::TESTS);
    t.extend(vt::TESTS);
    // The kiosk again, without the recording's load: the exam page must come on screen.
    t.extend(kiosk::TESTS);
    // A whole exam typed at the image's own stationd, screens grabbed by the host.
    t.extend(checkin::TESTS);
    t.extend(system::TESTS);
    // The camera is unplugged (and its driver reloaded).
    t.extend(removal::TESTS);
    // Last: the power is cut mid-exam (the host boots again for `powercut::AFTER`).
    t.push(powercut::CUT);
    t
}

/// Whether filter `f` selects test `name`: a part of its name, or its start with `^`.
fn selects(f: &str, name: &str) -> bool {
    match f.strip_prefix('^') {
        Some(start) => name.starts_with(start),
        None => name.contains(f),
    }
}

fn main() -> ExitCode {
    let filters: Vec<String> = std::env::args().skip(1).collect();
    match filters.first().map(String::as_str) {
        Some("--http-get") => return ExitCode::from(http::main(&filters[1..])),
        Some("--unix-connect") => return ExitCode::from(http::unix_connect(&filters[1..])),
        Some("--try-read") => return ExitCode::from(http::try_read(&filters[1..])),
        Some("--gst-run") => {
            return ExitCode::from(camera::gst_run_main(
                filters.get(1).map_or("", String::as_str),
            ))
        }
        _ => {}
    }
    let ctx = match ctx::Ctx::load() {
        Ok(c) => c,
        Err(e) => {
            println!("FAIL setup: {e}");
            println!("0 passed, 1 failed");
            return ExitCode::FAILURE;
        }
    };
    let (mut passed, mut failed) = (0, 0);
    // After the power cut only the resume tests run.
    let (list, filters) = if filters.first().map(String::as_str) == Some(powercut::AFTER_POWER_CUT)
    {
        (powercut::AFTER.to_vec(), Vec::new())
    } else {
        (tests(), filters)
    };
    // The GPIO tests need a board with [gpio] (qemu-aarch64's simulated chip).
    let list: Vec<(&str, Test)> = list
        .into_iter()
        .filter(|(name, _)| ctx.board.gpio.is_some() || !name.starts_with("exam_gpio_"))
        .collect();
    for (name, test) in list {
        if !filters.is_empty() && !filters.iter().any(|f| selects(f, name)) {
            continue;
        }
        let t0 = Instant::now();
        let r = std::panic::catch_unwind(|| test(&ctx))
            .unwrap_or_else(|p| Err(format!("panicked: {p:?}")));
        let secs = t0.elapsed().as_secs_f64();
        match r {
            Ok(d) => {
                passed += 1;
                println!("PASS {name}: {d} ({secs:.1} s)");
            }
            Err(e) => {
                failed += 1;
                println!("FAIL {name}: {e} ({secs:.1} s)");
            }
        }
    }
    println!("{passed} passed, {failed} failed");
    if failed == 0 && passed > 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
