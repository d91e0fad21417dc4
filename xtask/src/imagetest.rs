//! `cargo xtask image-test`: boots the very USB image under UEFI firmware (OVMF) with QEMU TCG.
//!
//! The image is built for a site of a throw-away institution key (`examctl keygen`), as an
//! institution builds its own.
//!
//! 1. A copy of the image, grown by 512 MiB as a USB stick would be (so systemd-repart can
//!    create the data partition), boots its own UKI with the test hook on the command line and
//!    the test share ([`crate::guest`]: the qemu board's devices): the share's report.sh then
//!    prints one `STATION-BOOT-REPORT` line (root device and mode, dm-verity status, stationd's
//!    state, kernel-to-Ready seconds, data partition, failed units) and powers off. The test checks root
//!    is `/dev/mapper/root` read-only, verity `verified`, stationd `active` (Type=notify, so after
//!    READY=1), the data partition mounted, and prints the boot-to-Ready times.
//! 2. A copy with one byte flipped in the root partition must not boot: dm-verity reports the
//!    corruption, the kernel panics (`panic-on-corruption panic=-1`) and QEMU (`-no-reboot`)
//!    exits, with no report line. It boots as a station does, through the firmware and
//!    systemd-boot, without the share.
//! 3. Secure Boot ([`crate::secureboot::check`]): the image is signed with fresh test keys; it
//!    boots under OVMF with Secure Boot enforced and only those keys enrolled, up to the
//!    readiness card on the screen; with one byte of its UKI changed the boot loader refuses it.
//!
//! `cargo xtask hw-test` ([`crate::hwtest`]) makes the same report checks on its own boot of the
//! image and then the corrupted boot, so `cargo xtask test` boots the image twice, not three
//! times.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::{disk, image, qemu, run, vm};

/// Longest a boot may take before QEMU is killed.
const TIMEOUT: Duration = Duration::from_secs(420);

/// Copies the image to `to` (sparse) and grows it by `grow` bytes.
pub fn disk_copy(img: &Path, to: &Path, grow: u64) -> Result<(), String> {
    run::status(Command::new("cp").arg("--sparse=always").arg(img).arg(to))?;
    let f = std::fs::OpenOptions::new()
        .write(true)
        .open(to)
        .map_err(|e| format!("{}: {e}", to.display()))?;
    let len = f.metadata().map_err(|e| e.to_string())?.len();
    f.set_len(len + grow)
        .map_err(|e| format!("{}: {e}", to.display()))
}

/// Flips every bit of one byte at `offset` of `file`.
fn flip_byte(file: &Path, offset: u64) -> Result<(), String> {
    use std::io::{Read, Seek, SeekFrom, Write};
    let mut f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(file)
        .map_err(|e| format!("{}: {e}", file.display()))?;
    let mut b = [0u8; 1];
    f.seek(SeekFrom::Start(offset))
        .and_then(|_| f.read_exact(&mut b))
        .map_err(|e| e.to_string())?;
    b[0] ^= 0xff;
    f.seek(SeekFrom::Start(offset))
        .and_then(|_| f.write_all(&b))
        .map_err(|e| e.to_string())
}

/// The value of `key=` in a report line.
fn field<'a>(line: &'a str, key: &str) -> &'a str {
    line.split_whitespace()
        .find_map(|w| w.strip_prefix(key).and_then(|r| r.strip_prefix('=')))
        .unwrap_or("")
}

/// Passed checks and the failures, of one or more boots.
#[derive(Default)]
pub struct Tally {
    /// Checks passed.
    pub passed: usize,
    /// What failed, with the evidence.
    pub failures: Vec<String>,
}

impl Tally {
    /// Prints `PASS what` or `FAIL what` and counts it.
    pub fn check(&mut self, ok: bool, what: String, evidence: impl FnOnce() -> String) {
        println!("{} {what}", if ok { "PASS" } else { "FAIL" });
        if ok {
            self.passed += 1;
        } else {
            self.failures.push(format!("{what}: {}", evidence()));
        }
    }
}

/// Whether a console line belongs to the boot report (printed live).
pub fn is_report(l: &str) -> bool {
    l.starts_with("STATION-BOOT-TIME")
        || l.starts_with("STATION-BOOT-SELFTEST")
        || l.starts_with("STATION-BOOT-IDENTITY")
        || l.starts_with("STATION-BOOT-HEALTH")
}

/// Checks the boot report of a normal boot: root on dm-verity, read-only, verified; stationd
/// active (Type=notify: after READY=1); the data partition mounted; the self-test passed
/// under the unit's sandbox. Prints the boot-to-Ready times.
pub fn check_report(boot: &qemu::Watched, t: &mut Tally) {
    let Some((line, at)) = boot.find("STATION-BOOT-REPORT") else {
        t.failures.push(format!(
            "normal boot: no STATION-BOOT-REPORT line; last console lines:\n{}",
            vm::tail(&boot.console, 30)
        ));
        return;
    };
    println!("{line}");
    for (key, want) in [
        ("root", "/dev/mapper/root"),
        ("ro", "yes"),
        ("verity", "verified"),
        ("stationd", "active"),
    ] {
        let got = field(line, key);
        t.check(
            got == want,
            format!("image boot: {key}={got} (want {want})"),
            || line.to_string(),
        );
    }
    let data = field(line, "data");
    t.check(
        data.starts_with("/dev/"),
        format!("image boot: data partition on {data}"),
        || "not mounted".into(),
    );
    let selftest: Vec<&String> = boot
        .console
        .iter()
        .filter(|l| l.starts_with("STATION-BOOT-SELFTEST"))
        .collect();
    let ok = !selftest.is_empty() && selftest.iter().all(|l| l.contains("passed=true"));
    t.check(
        ok,
        format!(
            "image boot: stationd self-test, {} device(s), all passed: {ok}",
            selftest.len()
        ),
        || "stationd's self-test did not pass on every device".into(),
    );
    println!(
        "image boot: boot-to-Ready {} s from kernel start (guest clock), {:.0} s from QEMU start to the report (host clock); failed units: {}",
        field(line, "ready_s"),
        at.as_secs_f64(),
        field(line, "failed")
    );
}

/// Boots a copy of `img` with one byte flipped in the root partition: dm-verity must report
/// the corruption and the boot must stop (kernel panic, QEMU exits) before any report.
pub fn check_corrupt_boot(img: &Path, dir: &Path, t: &mut Tally) -> Result<(), String> {
    let bad = dir.join("corrupt.img");
    disk_copy(img, &bad, 512 << 20)?;
    // erofs superblock (block 0 of the root partition): read at mount, so verity must object.
    let offset = disk::partition_offset(img, "root")? + 1024 + 16;
    flip_byte(&bad, offset)?;
    eprintln!(
        "xtask image-test: booting a copy with byte {offset} flipped (in the root partition)"
    );
    let started = Instant::now();
    let cmd = qemu::image_cmd(&qemu::ImageBoot::report_only(dir, &bad, None))?;
    let boot = qemu::watch(cmd, TIMEOUT, |l| l.contains("corrupted"))?;
    let _ = std::fs::write(dir.join("corrupt.log"), boot.console.join("\n"));
    let _ = std::fs::remove_file(&bad);
    let detected = boot
        .console
        .iter()
        .any(|l| l.contains("verity") && l.contains("corrupted"));
    let reported = boot.find("STATION-BOOT-REPORT").is_some();
    let exited = boot.status.is_some();
    t.check(
        detected && !reported && exited,
        format!(
            "image verity: flipped byte {} by dm-verity, boot {} ({:.0} s)",
            if detected { "detected" } else { "NOT detected" },
            if reported {
                "reached the report"
            } else if exited {
                "stopped, QEMU exited"
            } else {
                "hung (QEMU killed)"
            },
            started.elapsed().as_secs_f64()
        ),
        || format!("last console lines:\n{}", vm::tail(&boot.console, 30)),
    );
    Ok(())
}

/// The closing line; an error listing the failures if any.
pub fn finish(what: &str, t: Tally, logs: &Path) -> Result<(), String> {
    println!(
        "{what}: {} passed, {} failed (logs in {})",
        t.passed,
        t.failures.len(),
        logs.display()
    );
    if t.failures.is_empty() {
        Ok(())
    } else {
        Err(t.failures.join("\n"))
    }
}

/// A fresh folder for a test's files.
pub fn fresh_dir(dir: &Path) -> Result<(), String> {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))
}

/// The example site with the recipient of a new institution key (`dir/institution.key`, made
/// by `examctl keygen`): `dir/site.toml`.
pub fn keygen_site(dir: &Path) -> Result<std::path::PathBuf, String> {
    run::status(&mut image::binaries(false))?;
    let root = run::root();
    let (_, recipient) = crate::hostopen::institution_key(dir)?;
    let example = root.join("board-config/sites/example.toml");
    let text =
        std::fs::read_to_string(&example).map_err(|e| format!("{}: {e}", example.display()))?;
    let ours = text.replace(EXAMPLE_RECIPIENT, &recipient);
    if ours == text {
        return Err(format!(
            "{}: no recipient {EXAMPLE_RECIPIENT} to replace",
            example.display()
        ));
    }
    let site = dir.join("site.toml");
    std::fs::write(&site, ours).map_err(|e| format!("{}: {e}", site.display()))?;
    Ok(site)
}

/// The example site's placeholder recipient (board-config's `EXAMPLE_RECIPIENT`).
const EXAMPLE_RECIPIENT: &str = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p";

/// `cargo xtask image-test`: boots the image once normally and once corrupted.
pub fn run(_args: &[String]) -> Result<(), String> {
    vm::ensure_host()?;
    let dir = run::root().join("target/images/x86_64-uefi/test");
    fresh_dir(&dir)?;
    let site = keygen_site(&dir)?;
    let keys = test_keys(&dir)?;
    let built = image::build_signed("x86_64-uefi", false, &site, Some(&keys))?;
    let share = crate::guest::share(&dir.join("share"), crate::boards::Arch::Amd64)?;
    let mut t = Tally::default();
    let good = dir.join("boot.img");
    disk_copy(&built.img, &good, 512 << 20)?;
    eprintln!("xtask image-test: booting the image under OVMF (QEMU TCG, a minute or two)");
    let started = Instant::now();
    let cmd = qemu::image_cmd(&qemu::ImageBoot::report_only(&dir, &good, Some(&share)))?;
    let boot = qemu::watch(cmd, TIMEOUT, is_report)?;
    let _ = std::fs::write(dir.join("boot.log"), boot.console.join("\n"));
    let _ = std::fs::remove_file(&good);
    check_report(&boot, &mut t);
    eprintln!(
        "xtask image-test: normal boot took {:.0} s",
        started.elapsed().as_secs_f64()
    );
    check_corrupt_boot(&built.img, &dir, &mut t)?;
    crate::secureboot::check(&built.img, &keys, &dir, &mut t)?;
    finish("image-test", t, &dir)
}

/// Fresh Secure Boot keys for a test image, in `dir/secure-boot-keys`.
pub fn test_keys(dir: &Path) -> Result<std::path::PathBuf, String> {
    let keys = dir.join("secure-boot-keys");
    let _ = std::fs::remove_dir_all(&keys);
    crate::secureboot::make_keys(&keys, "Exam Station Test")?;
    Ok(keys)
}

/// The corrupted-root boot and the Secure Boot boots (`cargo xtask test` runs them after the
/// hw-test, whose boot already made the normal-boot checks); `keys` signed the image.
pub fn run_corrupt(built: &image::Built, keys: &Path) -> Result<(), String> {
    let dir = run::root().join("target/images/x86_64-uefi/test");
    fresh_dir(&dir)?;
    let mut t = Tally::default();
    check_corrupt_boot(&built.img, &dir, &mut t)?;
    crate::secureboot::check(&built.img, keys, &dir, &mut t)?;
    finish("image-test (corrupted root, Secure Boot)", t, &dir)
}
