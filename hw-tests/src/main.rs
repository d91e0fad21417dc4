//! `hw-tests`: the station's Linux device backends against real device nodes.
//!
//! Runs on a real board or inside the QEMU guest of `cargo xtask hw-test` (vivid, snd-aloop,
//! uinput, virtio-gpu). Prints `PASS name: detail` or `FAIL name: reason` per test and a closing
//! `N passed, M failed`; exits 1 if any failed. Arguments filter tests by name substring.
//!
//! The board file comes from `STATION_BOARD` (default: the repository's qemu board), the site
//! file from `STATION_SITE`, the data folder from `STATION_DATA_DIR`.

mod audio;
mod camera;
mod ctx;
mod display;
mod input;
mod lockdown;
mod removal;
mod station;

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
    t.extend(display::TESTS);
    t.extend(station::TESTS);
    t.extend(removal::TESTS);
    t
}

fn main() -> ExitCode {
    let filters: Vec<String> = std::env::args().skip(1).collect();
    let ctx = match ctx::Ctx::load() {
        Ok(c) => c,
        Err(e) => {
            println!("FAIL setup: {e}");
            println!("0 passed, 1 failed");
            return ExitCode::FAILURE;
        }
    };
    let (mut passed, mut failed) = (0, 0);
    for (name, test) in tests() {
        if !filters.is_empty() && !filters.iter().any(|f| name.contains(f.as_str())) {
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
