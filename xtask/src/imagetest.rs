//! `cargo xtask image-test`: boots the very USB image under UEFI firmware (OVMF) with QEMU TCG.
//!
//! 1. A copy of the image, grown by 512 MiB as a USB stick would be (so systemd-repart can
//!    create the data partition), boots with the system credential `station.boot-report` (an
//!    SMBIOS OEM string): the image's station-boot-report.service then prints one
//!    `STATION-BOOT-REPORT` line (root device and mode, dm-verity status, stationd's state,
//!    kernel-to-Ready seconds, data partition, failed units) and powers off. The test checks root
//!    is `/dev/mapper/root` read-only, verity `verified`, stationd `active` (Type=notify, so after
//!    READY=1), the data partition mounted, and prints the boot-to-Ready times.
//! 2. A copy with one byte flipped in the root partition must not boot: dm-verity reports the
//!    corruption, the kernel panics (`panic-on-corruption panic=-1`) and QEMU (`-no-reboot`)
//!    exits, with no report line.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::{image, qemu, run, vm};

/// OVMF firmware code (read-only) and the variables template (copied per boot).
const OVMF_CODE: &str = "/usr/share/OVMF/OVMF_CODE_4M.fd";
const OVMF_VARS: &str = "/usr/share/OVMF/OVMF_VARS_4M.fd";

/// Longest a boot may take before QEMU is killed.
const TIMEOUT: Duration = Duration::from_secs(420);

/// Copies the image to `to` (sparse) and grows it by `grow` bytes.
fn disk_copy(img: &Path, to: &Path, grow: u64) -> Result<(), String> {
    run::status(Command::new("cp").arg("--sparse=always").arg(img).arg(to))?;
    let f = std::fs::OpenOptions::new()
        .write(true)
        .open(to)
        .map_err(|e| format!("{}: {e}", to.display()))?;
    let len = f.metadata().map_err(|e| e.to_string())?.len();
    f.set_len(len + grow)
        .map_err(|e| format!("{}: {e}", to.display()))
}

/// Byte offset of the partition labelled `label` (from `sfdisk --dump`).
fn partition_offset(img: &Path, label: &str) -> Result<u64, String> {
    let out = run::output(Command::new("sfdisk").arg("--dump").arg(img))?;
    // One partition a line: "IMG2 : start=   84408, size=   704816, type=..., name=\"root\", ..."
    let line = out
        .lines()
        .find(|l| l.contains(&format!("name=\"{label}\"")))
        .ok_or(format!(
            "{}: no partition labelled {label:?}:\n{out}",
            img.display()
        ))?;
    let start = line
        .split("start=")
        .nth(1)
        .and_then(|r| r.trim_start().split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|n| n.parse::<u64>().ok())
        .ok_or(format!("sfdisk: no start sector in {line:?}"))?;
    Ok(start * 512)
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

/// The QEMU command booting `disk` under OVMF with a fresh copy of the variables.
fn qemu_cmd(dir: &Path, disk: &Path, report: bool) -> Result<Command, String> {
    let vars = dir.join(format!(
        "{}.vars",
        disk.file_name().unwrap_or_default().to_string_lossy()
    ));
    std::fs::copy(OVMF_VARS, &vars).map_err(|e| format!("{OVMF_VARS}: {e}"))?;
    let mut cmd = Command::new("qemu-system-x86_64");
    cmd.args([
        "-accel", "tcg", "-cpu", "max", "-smp", "1", "-m", "2048", "-machine", "q35",
    ])
    .arg("-drive")
    .arg(format!("if=pflash,format=raw,readonly=on,file={OVMF_CODE}"))
    .arg("-drive")
    .arg(format!("if=pflash,format=raw,file={}", vars.display()))
    .arg("-drive")
    .arg(format!(
        "if=none,id=stick,format=raw,file={}",
        disk.display()
    ));
    // The image boots from what it is made for, a USB stick (xHCI mass storage);
    // IMAGE_TEST_DISK=virtio uses a virtio disk instead (faster, but skips the USB path).
    if std::env::var("IMAGE_TEST_DISK").as_deref() == Ok("virtio") {
        cmd.args(["-device", "virtio-blk-pci,drive=stick"]);
    } else {
        cmd.args(["-device", "qemu-xhci,id=xhci"])
            .args(["-device", "usb-storage,bus=xhci.0,drive=stick,removable=on"]);
    }
    cmd.args(["-device", "virtio-gpu-pci"])
        .args(["-nic", "user,model=virtio-net-pci"])
        .args([
            "-nographic",
            "-nodefaults",
            "-no-reboot",
            "-serial",
            "stdio",
            "-monitor",
            "none",
        ])
        .stdin(Stdio::null());
    if report {
        cmd.args([
            "-smbios",
            "type=11,value=io.systemd.credential:station.boot-report=1",
        ]);
    }
    Ok(cmd)
}

/// The value of `key=` in a report line.
fn field<'a>(line: &'a str, key: &str) -> &'a str {
    line.split_whitespace()
        .find_map(|w| w.strip_prefix(key).and_then(|r| r.strip_prefix('=')))
        .unwrap_or("")
}

/// Boots the image once normally and once corrupted.
pub fn run(_args: &[String]) -> Result<(), String> {
    vm::ensure_host()?;
    let built = image::build("x86_64-uefi", false)?;
    let dir = run::root().join("target/images/x86_64-uefi/test");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut failures = Vec::new();

    let good = dir.join("boot.img");
    disk_copy(&built.img, &good, 512 << 20)?;
    eprintln!("xtask image-test: booting the image under OVMF (QEMU TCG, a minute or two)");
    let t = Instant::now();
    let boot = qemu::watch(qemu_cmd(&dir, &good, true)?, TIMEOUT, |l| {
        l.starts_with("STATION-BOOT-TIME") || l.starts_with("STATION-BOOT-SELFTEST")
    })?;
    let _ = std::fs::write(dir.join("boot.log"), boot.console.join("\n"));
    let mut passed = 0;
    match boot.find("STATION-BOOT-REPORT") {
        None => failures.push(format!(
            "normal boot: no STATION-BOOT-REPORT line; last console lines:\n{}",
            vm::tail(&boot.console, 30)
        )),
        Some((line, at)) => {
            println!("{line}");
            for (key, want) in [
                ("root", "/dev/mapper/root"),
                ("ro", "yes"),
                ("verity", "verified"),
                ("stationd", "active"),
            ] {
                let got = field(line, key);
                let ok = got == want;
                passed += usize::from(ok);
                println!(
                    "{} image boot: {key}={got} (want {want})",
                    if ok { "PASS" } else { "FAIL" }
                );
                if !ok {
                    failures.push(format!("normal boot: {key}={got}, want {want}"));
                }
            }
            let data = field(line, "data");
            passed += usize::from(data.starts_with("/dev/"));
            println!(
                "{} image boot: data partition on {data}",
                if data.starts_with("/dev/") {
                    "PASS"
                } else {
                    "FAIL"
                }
            );
            if !data.starts_with("/dev/") {
                failures.push(format!("normal boot: data partition not mounted ({data})"));
            }
            // stationd's self-test, run under the unit's sandbox: every device must pass.
            let selftest: Vec<&String> = boot
                .console
                .iter()
                .filter(|l| l.starts_with("STATION-BOOT-SELFTEST"))
                .collect();
            let ok = !selftest.is_empty() && selftest.iter().all(|l| l.contains("passed=true"));
            passed += usize::from(ok);
            println!(
                "{} image boot: stationd self-test, {} device(s), all passed: {ok}",
                if ok { "PASS" } else { "FAIL" },
                selftest.len()
            );
            if !ok {
                failures
                    .push("normal boot: stationd's self-test did not pass on every device".into());
            }
            println!(
                "image boot: boot-to-Ready {} s from kernel start (guest clock), {:.0} s from QEMU start to the report (host clock); failed units: {}",
                field(line, "ready_s"),
                at.as_secs_f64(),
                field(line, "failed")
            );
        }
    }
    eprintln!(
        "xtask image-test: normal boot took {:.0} s",
        t.elapsed().as_secs_f64()
    );

    let bad = dir.join("corrupt.img");
    disk_copy(&built.img, &bad, 512 << 20)?;
    // erofs superblock (block 0 of the root partition): read at mount, so verity must object.
    let offset = partition_offset(&built.img, "root")? + 1024 + 16;
    flip_byte(&bad, offset)?;
    eprintln!(
        "xtask image-test: booting a copy with byte {offset} flipped (in the root partition)"
    );
    let t = Instant::now();
    let boot = qemu::watch(qemu_cmd(&dir, &bad, true)?, TIMEOUT, |l| {
        l.contains("corrupted")
    })?;
    let _ = std::fs::write(dir.join("corrupt.log"), boot.console.join("\n"));
    let detected = boot
        .console
        .iter()
        .any(|l| l.contains("verity") && l.contains("corrupted"));
    let reported = boot.find("STATION-BOOT-REPORT").is_some();
    let exited = boot.status.is_some();
    let ok = detected && !reported && exited;
    passed += usize::from(ok);
    println!(
        "{} image verity: flipped byte {} by dm-verity, boot {} ({:.0} s)",
        if ok { "PASS" } else { "FAIL" },
        if detected { "detected" } else { "NOT detected" },
        if reported {
            "reached the report"
        } else if exited {
            "stopped, QEMU exited"
        } else {
            "hung (QEMU killed)"
        },
        t.elapsed().as_secs_f64()
    );
    if !ok {
        failures.push(format!(
            "corrupted root: verity detection {detected}, QEMU exited {}; last console lines:\n{}",
            exited,
            vm::tail(&boot.console, 30)
        ));
    }
    let _ = std::fs::remove_file(&bad);
    let _ = std::fs::remove_file(&good);
    // A boot without a report line counts as one failure.
    let failed = failures.len();
    println!(
        "image-test: {passed} passed, {failed} failed (logs in {})",
        dir.display()
    );
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures.join("\n"))
    }
}
