//! `cargo xtask`: the project's tasks.
//!
//! - `demo`: the main job on embedded defaults (a simulated exam, sealed, opened).
//! - `test`: every test of the workspace.
//! - `bench`: benchmarks that print ratios against a baseline measured in the same run;
//!   `soak --duration D`: a long simulated exam, sampled every minute for growth.
//! - `fuzz [--seconds N | --runs N] [TARGET...]`: the fuzz targets under libFuzzer (see
//!   [`fuzz`]).
//! - `hw-test`: boots the USB image in QEMU with virtual devices: device tests on real kernel
//!   drivers, a whole exam uploaded to the host's S3 server and opened there (see [`hwtest`]);
//!   `hw-test --board rpi5`: the arm64 Raspberry Pi image the same way, with its GPIO (see
//!   [`pitest`]).
//! - `image --board BOARD`: the bootable image of a PC or a Raspberry Pi (see [`image`]); `units`: the exposure of
//!   the station's systemd services (see [`units`]); `image-test`: boots that image under
//!   OVMF and checks verity and stationd (see [`imagetest`]).
//!
//! Each task first installs the system packages it needs (see [`deps`]).

mod apt;
mod bench;
mod boards;
mod bootcheck;
mod cross;
mod demo;
mod deps;
mod disk;
mod enrolltest;
mod fuzz;
mod guest;
mod hostfleet;
mod hostopen;
mod hwtest;
mod image;
mod imagetest;
mod piboot;
mod pictures;
mod pitest;
mod qemu;
mod recipe;
mod rootfs;
mod run;
mod s3;
mod scenes;
mod screens;
mod secureboot;
mod test;
mod units;
mod vm;

fn usage() -> ! {
    eprintln!(
        "usage: cargo xtask <demo|test|bench|soak|flag-card|fuzz|hw-test|image|image-test|enroll-test|secure-boot-keys|units|cross>"
    );
    std::process::exit(2)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(task) = args.first() else { usage() };
    let rest = &args[1..];
    let result = match task.as_str() {
        "demo" => demo::run(rest),
        "test" => test::run(rest),
        "bench" => bench::run(rest),
        "flag-card" => bench::flag_card(rest),
        "soak" => bench::soak(rest),
        "fuzz" => fuzz::run(rest),
        "hw-test" => hwtest::run(rest),
        "image" => image::run(rest),
        "units" => units::run(rest),
        "cross" => cross::run(rest),
        "secure-boot-keys" => secureboot::run(rest),
        "image-test" => imagetest::run(rest),
        "enroll-test" => enrolltest::run_alone(rest),
        // Run by QEMU (guestfwd) during the hw-test, one HTTP exchange on stdin/stdout.
        "exam-page" => qemu::exam_page(),
        _ => usage(),
    };
    if let Err(e) = result {
        eprintln!("xtask {task}: error: {e}");
        std::process::exit(1);
    }
}
