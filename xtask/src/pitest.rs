//! `cargo xtask hw-test --board rpi5` (or `rpi4`): the Raspberry Pi image, booted without a Pi.
//!
//! The very arm64 image (its verity root, units and cross-built binaries) boots under QEMU's
//! generic arm64 machine with AAVMF, in TCG, from its boot partition's UEFI side (systemd-boot's
//! UKI; a Pi's firmware reads the same partition's `config.txt` instead, checked by content in
//! [`crate::bootcheck`]). The share brings the qemu-aarch64 board: vivid, snd-aloop, uinput,
//! virtio-gpu, and a gpio-sim chip for the recording LED, call button and tamper switch. The
//! guest runs a whole exam (`exam_*`, with the GPIO tests), the self-test and the upload to the
//! host's SeaweedFS; the host opens the exam and finds the lockdown, `CallButton` and `Tamper`
//! events in its timeline. Arguments filter the guest's tests as for the PC's hw-test.

use std::time::Instant;

use crate::boards::{Arch, Board};
use crate::hostopen::{open_on_host, LOCKDOWN_EVENTS};
use crate::hwtest::{self, ATTACH, TIMEOUT};
use crate::imagetest::{self, Tally};
use crate::{deps, image, qemu, s3, vm};

/// The guest's tests of a run without arguments: the whole exam, the self-test, the upload.
const FILTERS: &[&str] = &[
    "^exam_",
    "stationctl_selftest_passes",
    "uplink_unit_sends_the_bundle",
];

/// What the timeline must hold beyond the lockdown's events: the GPIO's.
const GPIO_EVENTS: &[&str] = &["CallButton", "Tamper"];

/// Host packages: QEMU's arm64 system emulator, the arm64 UEFI firmware and the virtio NIC's
/// option ROM (QEMU refuses virtio-net-pci without it).
pub const HOST: &[&str] = &["qemu-system-arm", "qemu-efi-aarch64", "ipxe-qemu"];

/// Runs the arm64 hw-test of `board` with the guest test `filters`.
pub fn run(board: &Board, filters: &[String]) -> Result<(), String> {
    let t0 = Instant::now();
    deps::ensure(&[deps::BUILD, crate::screens::HOST])?;
    vm::ensure_system("qemu-system-arm", "qemu-system-aarch64", HOST)?;
    let server = s3::start()?;
    let p = hwtest::prepare(&server, board)?;
    let built = image::build_for(board.name, false, &p.guest_site())?;
    let filters: Vec<String> = if filters.is_empty() {
        FILTERS.iter().map(|f| f.to_string()).collect()
    } else {
        filters.to_vec()
    };
    let (dir, share) = (&p.dir, &p.share);
    std::fs::write(share.join("args"), filters.join(" ")).map_err(|e| e.to_string())?;
    let disk = dir.join("boot.img");
    imagetest::disk_copy(&built.img, &disk, 1 << 30)?;
    hwtest::enroll(dir, &disk)?;
    let storage = qemu::Storage::blank(dir)?;
    let monitor = dir.join("monitor.sock");
    let shots_tmp = dir.join("screens-tmp");
    for d in [share.join("screens"), shots_tmp.clone()] {
        std::fs::create_dir_all(&d).map_err(|e| format!("{}: {e}", d.display()))?;
    }
    let ready = t0.elapsed();
    eprintln!(
        "xtask hw-test: booting the {} image under qemu-system-aarch64 (virt, AAVMF, TCG)",
        board.name
    );
    let cmd = qemu::image_cmd(&qemu::ImageBoot {
        arch: Arch::Arm64,
        dir,
        disk: &disk,
        cpus: 2,
        tpm: None,
        share: Some(share),
        monitor: Some(&monitor),
        storage: Some(&storage),
        exam_host: true,
        secure_vars: None,
    })?;
    let mut errors = Vec::new();
    let boot = qemu::watch(cmd, TIMEOUT, |l| {
        if l.contains(ATTACH) {
            if let Err(e) = qemu::plug_spare_stick(&monitor) {
                errors.push(format!("could not plug the USB stick in: {e}"));
            }
        }
        if let Some(Err(e)) = crate::screens::on_line(l, &monitor, &shots_tmp, share) {
            errors.push(format!("screenshot: {e}"));
        }
        imagetest::is_report(l) || hwtest::is_guest_report(l)
    })?;
    let _ = std::fs::write(dir.join("console.log"), boot.console.join("\n"));
    let _ = std::fs::remove_file(&disk);
    let results = std::fs::read_to_string(share.join("results.txt")).unwrap_or_default();
    let mut t = Tally::default();
    t.failures.extend(errors);
    imagetest::check_report(&boot, &mut t);
    hwtest::guest_results(&results, &boot, &mut t);
    crate::screens::check(&results, share, &dir.join("screens"), &mut t);
    let exam = std::fs::read_to_string(share.join("exam-id")).unwrap_or_default();
    let uploaded = results.contains("PASS uplink_unit_sends_the_bundle");
    if uploaded && !exam.trim().is_empty() {
        let kinds: Vec<&str> = LOCKDOWN_EVENTS.iter().chain(GPIO_EVENTS).copied().collect();
        open_on_host(
            dir,
            exam.trim(),
            &p.host_site,
            &p.creds,
            &p.key,
            &kinds,
            &mut t,
        );
    } else if filters.iter().any(|f| f.contains("exam_")) {
        t.failures
            .push("the image uploaded no exam (see the exam and uplink tests above)".into());
    }
    eprintln!(
        "xtask hw-test: image and binaries ready in {:.0} s, QEMU ran {:.0} s",
        ready.as_secs_f64(),
        (t0.elapsed() - ready).as_secs_f64()
    );
    imagetest::finish(&format!("hw-test --board {}", board.name), t, dir)
}
