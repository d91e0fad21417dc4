//! Secure Boot with the institution's own keys.
//!
//! - `cargo xtask secure-boot-keys --out DIR [--name NAME]` makes them: platform key (PK), key
//!   exchange key (KEK) and signature database key (db), each as `NAME.key` (secret, 0600),
//!   `NAME.crt` (PEM), `NAME.cer` (DER, what firmware setup screens import), `NAME.esl` and
//!   `NAME.auth` (signed updates, for KeyTool or a firmware in setup mode), and their owner
//!   `GUID`. docs/SECURE-BOOT.md says how IT enrols them.
//! - `cargo xtask image ... --sign-with DIR` signs systemd-boot and the UKI with `db` ([`sign`]).
//! - [`check`] boots a signed image under OVMF with Secure Boot enforced and only these keys
//!   enrolled: it must come up to the readiness card on the screen (read with OCR); the same
//!   image with one byte of its UKI changed must be refused by the firmware's boot loader.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::imagetest::{disk_copy, Tally};
use crate::{deps, disk, qemu, run, vm};

/// Host packages for keys and signatures.
pub const HOST: &[&str] = &["openssl", "sbsigntool", "efitools"];

/// The keys, in the order a firmware takes them.
const KEYS: &[&str] = &["PK", "KEK", "db"];

/// Longest a Secure Boot test boot may take.
const TIMEOUT: Duration = Duration::from_secs(480);

/// What the readiness card shows whatever its devices: its title and the software line.
const CARD_WORDS: &[&str] = &["EXAM STATION", "SOFTWARE"];

fn fail<E: std::fmt::Display>(what: impl std::fmt::Display) -> impl FnOnce(E) -> String {
    move |e| format!("{what}: {e}")
}

/// Makes the three keys in `dir` (which must not hold keys yet).
pub fn make_keys(dir: &Path, name: &str) -> Result<(), String> {
    deps::ensure(&[HOST])?;
    if dir.join("db.key").exists() || dir.join("PK.key").exists() {
        return Err(format!(
            "{} already holds Secure Boot keys: refusing to overwrite them (a station enrolled with them would no longer boot an image signed with new ones)",
            dir.display()
        ));
    }
    std::fs::create_dir_all(dir).map_err(fail(dir.display()))?;
    let guid = std::fs::read_to_string("/proc/sys/kernel/random/uuid")
        .map_err(fail("/proc/sys/kernel/random/uuid"))?
        .trim()
        .to_string();
    std::fs::write(dir.join("GUID"), format!("{guid}\n")).map_err(fail("GUID"))?;
    let at = |f: String| dir.join(f);
    for k in KEYS {
        run::quiet(
            Command::new("openssl")
                .args(["req", "-new", "-x509", "-newkey", "rsa:2048", "-nodes"])
                .args(["-sha256", "-days", "3650", "-subj"])
                .arg(format!("/CN={name} Secure Boot {k}/"))
                .arg("-keyout")
                .arg(at(format!("{k}.key")))
                .arg("-out")
                .arg(at(format!("{k}.crt"))),
        )?;
        set_mode(&at(format!("{k}.key")), 0o600)?;
        run::quiet(
            Command::new("openssl")
                .args(["x509", "-outform", "DER", "-in"])
                .arg(at(format!("{k}.crt")))
                .arg("-out")
                .arg(at(format!("{k}.cer"))),
        )?;
        run::quiet(
            Command::new("cert-to-efi-sig-list")
                .args(["-g", &guid])
                .arg(at(format!("{k}.crt")))
                .arg(at(format!("{k}.esl"))),
        )?;
    }
    // Each list signed by the key above it: PK by itself, KEK by PK, db by KEK.
    for (var, signer) in [("PK", "PK"), ("KEK", "PK"), ("db", "KEK")] {
        run::quiet(
            Command::new("sign-efi-sig-list")
                .args(["-g", &guid, "-k"])
                .arg(at(format!("{signer}.key")))
                .arg("-c")
                .arg(at(format!("{signer}.crt")))
                .arg(var)
                .arg(at(format!("{var}.esl")))
                .arg(at(format!("{var}.auth"))),
        )?;
    }
    Ok(())
}

fn set_mode(path: &Path, mode: u32) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .map_err(fail(path.display()))
}

/// Checks that `dir` holds the db key and certificate images are signed with.
pub fn check_keys(dir: &Path) -> Result<(), String> {
    for f in ["db.key", "db.crt"] {
        if !dir.join(f).exists() {
            return Err(format!(
                "--sign-with {}: no {f}; make the keys with `cargo xtask secure-boot-keys --out {}`",
                dir.display(),
                dir.display()
            ));
        }
    }
    deps::ensure(&[HOST])
}

/// Signs the EFI binary `file` with `keys`' db key into `out`.
pub fn sign(keys: &Path, file: &Path, out: &Path) -> Result<(), String> {
    run::quiet(
        Command::new("sbsign")
            .arg("--key")
            .arg(keys.join("db.key"))
            .arg("--cert")
            .arg(keys.join("db.crt"))
            .arg("--output")
            .arg(out)
            .arg(file),
    )
    .map_err(fail(format!("sbsign {}", file.display())))
}

/// OVMF's variables with Secure Boot on and only `keys` enrolled (no Microsoft keys).
fn enrolled_vars(keys: &Path, dir: &Path) -> Result<PathBuf, String> {
    deps::ensure_backports(&["python3-virt-firmware"])?;
    let guid = std::fs::read_to_string(keys.join("GUID")).map_err(fail("GUID"))?;
    let guid = guid.trim();
    let vars = dir.join("secure-boot.vars.fd");
    run::quiet(
        Command::new("virt-fw-vars")
            .arg("--input")
            .arg(qemu::OVMF_VARS)
            .arg("--output")
            .arg(&vars)
            .args(["--set-pk", guid])
            .arg(keys.join("PK.crt"))
            .args(["--add-kek", guid])
            .arg(keys.join("KEK.crt"))
            .args(["--add-db", guid])
            .arg(keys.join("db.crt"))
            .args(["--no-microsoft", "--secure-boot"]),
    )?;
    Ok(vars)
}

/// A copy of `img` whose UKI has one byte of its embedded command line changed (`quiet`
/// becomes `Quiet`): what an attacker editing the command line on the stick would make.
fn tampered(img: &Path, dir: &Path) -> Result<PathBuf, String> {
    let bad = dir.join("tampered.img");
    disk_copy(img, &bad, 512 << 20)?;
    let uki = dir.join("tampered.efi");
    disk::uki_of(&bad, &uki)?;
    let mut bytes = std::fs::read(&uki).map_err(fail(uki.display()))?;
    let at = bytes
        .windows(5)
        .position(|w| w == b"quiet")
        .ok_or("the UKI's command line has no `quiet` to change")?;
    bytes[at] = b'Q';
    std::fs::write(&uki, bytes).map_err(fail(uki.display()))?;
    disk::put_uki(&bad, &uki)?;
    Ok(bad)
}

/// Boots `disk` under Secure Boot with `vars`; every 15 s the screen is grabbed and read until
/// it shows the readiness card (then QEMU is stopped). Returns the console and what the last
/// grab read.
fn boot_screen(
    dir: &Path,
    disk: &Path,
    vars: &Path,
    stop_on: &str,
) -> Result<(qemu::Watched, String), String> {
    let monitor = dir.join("secure-boot.sock");
    let cmd = qemu::image_cmd(&qemu::ImageBoot {
        secure_vars: Some(vars),
        monitor: Some(&monitor),
        ..qemu::ImageBoot::report_only(dir, disk, None)
    })?;
    let done = Arc::new(AtomicBool::new(false));
    let read = Arc::new(Mutex::new(String::new()));
    let grabber = {
        let (done, read, dir, monitor) = (
            done.clone(),
            read.clone(),
            dir.to_path_buf(),
            monitor.clone(),
        );
        std::thread::spawn(move || {
            let started = Instant::now();
            while !done.load(Ordering::Relaxed) && started.elapsed() < TIMEOUT {
                std::thread::sleep(Duration::from_secs(15));
                let ppm = dir.join("secure-boot.ppm");
                if qemu::monitor(&monitor, &format!("screendump {}", ppm.display())).is_err() {
                    continue;
                }
                let Ok(text) = crate::screens::read(&ppm, &dir, "secure-boot") else {
                    continue;
                };
                let card = CARD_WORDS.iter().all(|w| text.contains(w));
                *read.lock().unwrap_or_else(|p| p.into_inner()) = text;
                if card {
                    let _ = qemu::monitor(&monitor, "quit");
                    break;
                }
            }
        })
    };
    let stop_on = stop_on.to_string();
    let watched = qemu::watch(cmd, TIMEOUT, |l| {
        if !stop_on.is_empty() && l.contains(&stop_on) {
            let _ = qemu::monitor(&monitor, "quit");
        }
        false
    });
    done.store(true, Ordering::Relaxed);
    let _ = grabber.join();
    let text = read.lock().unwrap_or_else(|p| p.into_inner()).clone();
    Ok((watched?, text))
}

/// Whether a console line is the firmware's or boot loader's refusal of an unsigned binary.
fn refused(l: &str) -> bool {
    l.contains("Access Denied") || l.contains("Security Violation")
}

/// The Secure Boot test of image `img`, signed with `keys` (see the module's documentation).
pub fn check(img: &Path, keys: &Path, dir: &Path, t: &mut Tally) -> Result<(), String> {
    vm::ensure_host()?;
    let vars = enrolled_vars(keys, dir)?;
    let good = dir.join("signed.img");
    disk_copy(img, &good, 512 << 20)?;
    eprintln!("xtask: Secure Boot: booting the signed image with only its keys enrolled");
    let started = Instant::now();
    let (boot, text) = boot_screen(dir, &good, &vars, "")?;
    let _ = std::fs::remove_file(&good);
    let _ = std::fs::write(dir.join("secure-boot.log"), boot.console.join("\n"));
    let card = CARD_WORDS.iter().all(|w| text.contains(w));
    t.check(
        card && !boot.console.iter().any(|l| refused(l)),
        format!(
            "Secure Boot on, signed image: readiness card on the screen after {:.0} s",
            started.elapsed().as_secs_f64()
        ),
        || {
            format!(
                "the screen read: {text:?}; last console lines:\n{}",
                vm::tail(&boot.console, 20)
            )
        },
    );
    let bad = tampered(img, dir)?;
    eprintln!("xtask: Secure Boot: booting the same image with one byte of its UKI changed");
    let started = Instant::now();
    let (boot, text) = boot_screen(dir, &bad, &vars, "Access Denied")?;
    let _ = std::fs::remove_file(&bad);
    let _ = std::fs::write(
        dir.join("secure-boot-tampered.log"),
        boot.console.join("\n"),
    );
    let denied = boot.console.iter().find(|l| refused(l));
    let card = CARD_WORDS.iter().all(|w| text.contains(w));
    t.check(
        denied.is_some() && !card,
        format!(
            "Secure Boot on, UKI with one byte changed: refused ({}) in {:.0} s",
            denied.map_or("no refusal on the console", |l| l.trim()),
            started.elapsed().as_secs_f64()
        ),
        || {
            format!(
                "the screen read: {text:?}; last console lines:\n{}",
                vm::tail(&boot.console, 20)
            )
        },
    );
    Ok(())
}

/// `cargo xtask secure-boot-keys --out DIR [--name NAME]`.
pub fn run(args: &[String]) -> Result<(), String> {
    const USAGE: &str =
        "usage: cargo xtask secure-boot-keys --out DIR [--name \"Example University\"]";
    let mut out = None;
    let mut name = String::from("Exam Station");
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--out" => out = it.next().map(PathBuf::from),
            "--name" => name = it.next().cloned().ok_or(USAGE)?,
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    let out = out.ok_or(USAGE)?;
    make_keys(&out, &name)?;
    println!(
        "Secure Boot keys in {}: PK, KEK, db (.key secret, .crt/.cer certificates, .esl/.auth for enrolment), GUID.\n\
         Sign images with: cargo xtask image --board BOARD --site SITE --sign-with {}\n\
         Enrol db.cer (or PK/KEK/db .auth) on each PC as docs/SECURE-BOOT.md says; keep the .key files offline.",
        out.display(),
        out.display()
    );
    Ok(())
}
