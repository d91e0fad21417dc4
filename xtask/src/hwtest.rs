//! `cargo xtask hw-test`: boots the very USB image (x86_64-uefi, under OVMF with QEMU TCG) with
//! the qemu board's virtual devices, runs the device tests and a whole exam inside it, and
//! opens the uploaded exam on the host.
//!
//! 1. The image is built (cached root file system) and the `hw-tests` binary next to it.
//! 2. The host's SeaweedFS (see [`crate::s3`]) gets a bucket; its TLS port is what the image
//!    reaches as `https://10.0.2.2:PORT` through QEMU's user network. The test site declares it
//!    the institution's on-premises store in Canada and pins the throw-away CA of its
//!    certificate (`uplink.ca_file`): no residency rule is bent for the test.
//! 3. The image is built with that site (`examctl keygen` made its key). A 9p share carries
//!    what every test boot adds to the product image ([`crate::guest`]: the qemu board and its
//!    virtual devices, the boot report), `hw-tests`, `hw-tests/image-run.sh` (as run.sh), the
//!    store's CA, the station's upload credentials and the test-name filters; the image's UKI
//!    boots with the test hook on its command line and runs them after the boot report; a
//!    USB stick is plugged in through the QEMU monitor when the exam asks for it.
//! 4. The host checks the boot report (as `cargo xtask image-test` does), reads the guest's
//!    `PASS`/`FAIL` lines, fetches the exam from the store with `examctl fetch`, opens it with
//!    the institution's key and checks the camera, microphone and screen media and the
//!    lockdown events in its timeline. Closing line: `hw-test: N passed, M failed`.
//!
//! Arguments are test-name filters for the guest's `hw-tests`; with filters that skip the exam
//! tests, the host-side exam checks are skipped too.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::boards::{Arch, Board};
use crate::hostopen::{
    escapes_journaled, open_on_host, receipt_is, resumed_on_host, reviewed_on_host, Expect,
    CHECK_IN_EVENTS, LOCKDOWN_EVENTS, RESUME_EVENTS,
};
use crate::imagetest::{self, Tally};
use crate::{deps, image, qemu, run, s3, vm};

/// Longest a run in the image may take before QEMU is killed.
pub(crate) const TIMEOUT: Duration = Duration::from_secs(1500);

/// The console line with which the exam asks for a USB stick (hw-tests/src/exam.rs).
pub(crate) const ATTACH: &str = "HW-TESTS-ATTACH usb-storage";

/// The station id the disk is enrolled as (the test site names it too).
const STATION: &str = "qemu-hw-test";

/// The bucket the image uploads to.
const BUCKET: &str = "hw-test";

fn copy(from: &Path, to: &Path) -> Result<(), String> {
    std::fs::copy(from, to)
        .map(|_| ())
        .map_err(|e| format!("copy {} -> {}: {e}", from.display(), to.display()))
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
}

/// The test site: the host's store as the institution's on-premises store, over https with
/// its CA pinned; `endpoint` and the paths differ between the image and the host.
pub fn site(
    recipient: &str,
    endpoint: &str,
    bucket: &str,
    creds: &str,
    ca: &str,
    pin_hash: &str,
) -> String {
    format!(
        r#"# Site of `cargo xtask hw-test` (written for every run).
[station]
id = "qemu-hw-test"
location = "QEMU guest of cargo xtask hw-test"

[institution]
name = "Test University"
recipient = "{recipient}"

[exam]
allowlist = ["exam.station.test", "intranet.station.test"]
start_url = "http://exam.station.test/"
# The exam page is QEMU's guestfwd at 10.0.2.100 (image-run.sh names it in /etc/hosts);
# intranet.station.test points at 10.0.2.2, which the proxy must refuse.
private_networks = ["10.0.2.100/32"]
blocked_combinations = ["Ctrl+Shift+I"]

[uplink]
backend = "s3"
endpoint = "{endpoint}"
region = "campus-1"
residency = "CA"
on_premises = true
bucket = "{bucket}"
prefix = "stations/qemu-hw-test"
credentials_file = "{creds}"
ca_file = "{ca}"
part_size_mib = 5
start_jitter_seconds = 0

[storage]
min_free_mib = 64

[checkin]
student_pattern = "[0-9]{{8}}"
student_example = "20261234"

[proctor]
pin_hash = "{pin_hash}"

[[exams]]
code = "HWTEST"
title = "Image test"
duration_minutes = 1
"#
    )
}

/// The proctor PIN of the test site (the guest types it; the site holds only its hash).
pub const PIN: &str = "2468";

/// `PIN`'s hash, from the station's own `stationctl pin hash`.
pub fn pin_hash(stationctl: &Path) -> Result<String, String> {
    use std::io::Write;
    let mut child = Command::new(stationctl)
        .args(["pin", "hash"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| format!("{}: {e}", stationctl.display()))?;
    if let Some(mut stdin) = child.stdin.take() {
        writeln!(stdin, "{PIN}").map_err(|e| e.to_string())?;
    }
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!("stationctl pin hash: {}", out.status));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// Runs the hw-tests with their own S3 server.
pub fn run(args: &[String]) -> Result<(), String> {
    let (board, filters) = match args {
        [flag, name, rest @ ..] if flag == "--board" => (crate::boards::find(name)?, rest),
        _ => (crate::boards::find("x86_64-uefi")?, args),
    };
    if board.root.arch == Arch::Arm64 {
        return crate::pitest::run(board, filters);
    }
    deps::ensure(&[deps::BUILD, crate::screens::HOST])?;
    let server = s3::start()?;
    vm::ensure_host()?;
    let prepared = prepare(&server, crate::boards::find("x86_64-uefi")?)?;
    let built = image::build_for("x86_64-uefi", false, &prepared.guest_site())?;
    run_prepared(&built, &prepared, filters)
}

/// What a run needs before the image is built: the institution's key, the store's bucket, the
/// test site (baked into the image: the station boots with it, as an institution's image does
/// with its own) and the share for the guest.
pub struct Prepared {
    pub(crate) started: Instant,
    pub(crate) dir: std::path::PathBuf,
    pub(crate) share: std::path::PathBuf,
    pub(crate) key: std::path::PathBuf,
    pub(crate) creds: std::path::PathBuf,
    pub(crate) host_site: std::path::PathBuf,
}

impl Prepared {
    /// The site file the image is built with.
    pub fn guest_site(&self) -> std::path::PathBuf {
        self.dir.join("guest-site.toml")
    }
}

/// Builds the test binaries, makes the institution's key, the sites and the bucket.
pub fn prepare(server: &s3::Server, board: &Board) -> Result<Prepared, String> {
    let started = Instant::now();
    deps::ensure(&[crate::screens::HOST])?;
    let arch = board.root.arch;
    eprintln!("xtask hw-test: cargo build -p hw-tests, and the image's binaries");
    let hw_tests = match arch {
        Arch::Amd64 => {
            run::status(run::cargo().args(["build", "--locked", "-p", "hw-tests"]))?;
            run::root().join("target/debug/hw-tests")
        }
        Arch::Arm64 => {
            let cross = crate::cross::ensure(started)?;
            run::status(cross.cargo().args([
                "build",
                "--locked",
                "--release",
                "--target",
                crate::cross::TARGET,
                "-p",
                "hw-tests",
            ]))?;
            crate::cross::Cross::binary("hw-tests")
        }
    };
    run::status(&mut image::binaries(false))?;
    let root = run::root();
    let bin = |name: &str| root.join("target/debug").join(name);
    let dir = root.join("target/images").join(board.name).join("hw-test");
    imagetest::fresh_dir(&dir)?;
    let share = crate::guest::share(&dir.join("share"), arch)?;
    std::fs::create_dir_all(share.join("bin")).map_err(|e| e.to_string())?;

    // The institution's key, the store and its bucket, the sites.
    let (key, recipient) = crate::hostopen::institution_key(&dir)?;
    let creds = dir.join("credentials.toml");
    write(&creds, &server.credentials_toml())?;
    // The station's own credentials: write only, its bucket only (enrolled onto the disk).
    let (ak, sk) = s3::HW_TEST_WRITER;
    write(
        &dir.join(STATION_CREDENTIALS),
        &s3::credentials_toml(ak, sk),
    )?;
    let hash = pin_hash(&bin("stationctl"))?;
    let host_site = dir.join("host-site.toml");
    write(
        &host_site,
        &site(
            &recipient,
            &format!("https://127.0.0.1:{}", server.https_port),
            BUCKET,
            &creds.display().to_string(),
            &server.ca.display().to_string(),
            &hash,
        ),
    )?;
    run::status(
        Command::new(bin("examctl"))
            .arg("create-bucket")
            .arg("--site")
            .arg(&host_site)
            .arg("--credentials")
            .arg(&creds),
    )?;
    copy(&hw_tests, &share.join("bin/hw-tests"))?;
    copy(&root.join("hw-tests/image-run.sh"), &share.join("run.sh"))?;
    copy(&server.ca, &share.join("ca.pem"))?;
    write(
        &dir.join("guest-site.toml"),
        &site(
            &recipient,
            &format!("https://10.0.2.2:{}", server.https_port),
            BUCKET,
            // The enrolled station's own (station-identity.service installs them there).
            "/run/station/identity/uplink.toml",
            "/run/station-test/ca.pem",
            &hash,
        ),
    )?;
    write(&share.join("pin"), PIN)?;
    Ok(Prepared {
        started,
        dir,
        share,
        key,
        creds,
        host_site,
    })
}

/// The station's upload credentials in the test folder.
const STATION_CREDENTIALS: &str = "station-credentials.toml";

/// Enrols `disk` as the test site's station with its write-only credentials, recording its key
/// in the test folder's registry ([`crate::hostopen::REGISTRY`]), as IT does after flashing.
pub(crate) fn enroll(dir: &Path, disk: &Path) -> Result<(), String> {
    let said = enroll_stick(
        disk,
        STATION,
        "QEMU guest of cargo xtask hw-test",
        &dir.join(STATION_CREDENTIALS),
        &dir.join(crate::hostopen::REGISTRY),
    )?;
    eprint!("xtask hw-test: {said}");
    Ok(())
}

/// `examctl enroll` of `disk` (an image file) as station `id` at `location` (its prefix the
/// default, `stations/ID`) with its upload credentials `creds`, into `registry`; returns what
/// examctl printed.
pub fn enroll_stick(
    disk: &Path,
    id: &str,
    location: &str,
    creds: &Path,
    registry: &Path,
) -> Result<String, String> {
    run::output(
        Command::new(run::root().join("target/debug/examctl"))
            .arg("enroll")
            .arg(disk)
            .args(["--id", id, "--location", location])
            .arg("--credentials")
            .arg(creds)
            .arg("--registry")
            .arg(registry),
    )
}

/// Runs the hw-tests in `built` (made with `p`'s site) against `server`.
pub fn run_prepared(built: &image::Built, p: &Prepared, filters: &[String]) -> Result<(), String> {
    let (started, dir, share) = (p.started, &p.dir, &p.share);
    let (key, creds, host_site) = (&p.key, &p.creds, &p.host_site);
    write(&share.join("args"), &filters.join(" "))?;
    let shots_tmp = dir.join("screens-tmp");
    for d in [share.join("screens"), shots_tmp.clone()] {
        std::fs::create_dir_all(&d).map_err(|e| format!("{}: {e}", d.display()))?;
    }

    let disk = dir.join("boot.img");
    imagetest::disk_copy(&built.img, &disk, 1 << 30)?;
    enroll(dir, &disk)?;
    let storage = qemu::Storage::blank(dir)?;
    let monitor = dir.join("monitor.sock");
    let ready = started.elapsed();
    eprintln!(
        "xtask hw-test: booting the image (QEMU TCG; boot, tests and a whole exam take minutes)"
    );
    let mut shot_errors = Vec::new();
    // Both boots: the same disk, share, removable media and monitor.
    let boot_disk = |errors: &mut Vec<String>| {
        boot_once(dir, &disk, share, &storage, &monitor, &shots_tmp, errors)
    };
    let first = boot_disk(&mut shot_errors)?;
    let boot = first.watched;
    let _ = std::fs::write(dir.join("console.log"), boot.console.join("\n"));
    let mut results = std::fs::read_to_string(share.join("results.txt")).unwrap_or_default();
    // The power cut: the same disk boots again, and the guest resumes the exam cut short.
    let mut second = None;
    if first.cut {
        eprintln!("xtask hw-test: power cut mid-exam; booting the same disk again");
        write(&share.join("args"), AFTER_POWER_CUT)?;
        let _ = std::fs::remove_file(share.join("results.txt"));
        let again = boot_disk(&mut shot_errors)?;
        let _ = std::fs::write(dir.join("console-2.log"), again.watched.console.join("\n"));
        let more = std::fs::read_to_string(share.join("results.txt")).unwrap_or_default();
        if more.is_empty() {
            shot_errors.push(format!(
                "after the power cut the image ran no test; last console lines:\n{}",
                vm::tail(&again.watched.console, 40)
            ));
        }
        results.push_str(&more);
        second = Some(again.watched);
    }
    // What the stick holds after its boots on a machine with a TPM.
    let stick = run::output(
        Command::new(run::root().join("target/debug/stationctl"))
            .args(["identity", "show", "--from"])
            .arg(&disk),
    );
    let _ = std::fs::remove_file(&disk);
    std::fs::write(share.join("results.txt"), &results).map_err(|e| e.to_string())?;

    let mut t = Tally::default();
    imagetest::check_report(&boot, &mut t);
    if let Some(again) = &second {
        imagetest::check_report(again, &mut t);
    }
    sealed_to_tpm(&stick, [Some(&boot), second.as_ref()], &mut t);
    guest_results(&results, &boot, &mut t);
    t.failures.extend(shot_errors);
    let qr = crate::screens::check(&results, share, &dir.join("screens"), &mut t);
    let exam = std::fs::read_to_string(share.join("exam-id")).unwrap_or_default();
    let typed = std::fs::read_to_string(share.join("exam-id-typed")).unwrap_or_default();
    let read = |f: &str| std::fs::read_to_string(share.join(f)).unwrap_or_default();
    let killed = read("exam-id-killed");
    let uploaded = results.contains("PASS uplink_unit_sends_the_bundle");
    let open = |exam: &str, kinds: &[&str], t: &mut Tally| {
        open_on_host(dir, exam, host_site, creds, key, kinds, t)
    };
    if uploaded && !exam.trim().is_empty() {
        let timeline = open(exam.trim(), LOCKDOWN_EVENTS, &mut t);
        if results.contains("PASS exam_power_sleep_and_cad_devices_grabbed") {
            escapes_journaled(exam.trim(), &timeline, &mut t);
        }
    } else if filters.is_empty() {
        t.failures
            .push("the image uploaded no exam (see the exam and uplink tests above)".into());
    }
    if uploaded && !typed.trim().is_empty() {
        let timeline = open(typed.trim(), CHECK_IN_EVENTS, &mut t);
        if let Some(qr) = &qr {
            receipt_is(dir, typed.trim(), qr, &mut t);
        }
        t.check(
            timeline.contains("\"TimeUp\""),
            format!(
                "host timeline of {}: the exam ended by time up",
                typed.trim()
            ),
            || "no ExamEnded with reason TimeUp".into(),
        );
    }
    for (file, reason) in [
        ("exam-id-student", "Submitted"),
        ("exam-id-proctor", "Proctor"),
    ] {
        let exam = read(file);
        if uploaded && !exam.trim().is_empty() {
            let timeline = open(exam.trim(), &["ExamStarted", "ExamEnded"], &mut t);
            t.check(
                timeline.contains(&format!("\"{reason}\"")),
                format!("host timeline of {}: ended as {reason}", exam.trim()),
                || format!("no ExamEnded with reason {reason}"),
            );
        }
    }
    if uploaded && !killed.trim().is_empty() {
        let timeline = open(
            killed.trim(),
            &["ExamStarted", "Recovered", "ExamEnded"],
            &mut t,
        );
        t.check(
            timeline.contains("\"Interrupted\""),
            format!("host timeline of {}: sealed as interrupted", killed.trim()),
            || "no ExamEnded with reason Interrupted".into(),
        );
    }
    let cut = read("exam-id-cut");
    if results.contains("PASS uplink_sends_both_parts") && !cut.trim().is_empty() {
        resumed_on_host(cut.trim(), &open(cut.trim(), RESUME_EVENTS, &mut t), &mut t);
    } else if filters.is_empty() {
        t.failures
            .push("no exam was resumed after the power cut (see the tests above)".into());
    }
    // The institution's review of those exams: the hints their journals raise, and in the
    // exams where nobody went near a blocked website, no such hint (the browser's own requests
    // to its services are not the student's).
    let proctor = read("exam-id-proctor");
    let wanted: [(&str, &[&str], &[&str]); 4] = [
        (
            &exam,
            &["keys_blocked", "host_blocked", "input_attached"],
            &[],
        ),
        (&typed, &["interruption"], &["host_blocked"]),
        (&proctor, &["proctor_action"], &["host_blocked"]),
        (&killed, &["interruption"], &[]),
    ];
    let expect: Vec<Expect> = wanted
        .iter()
        .filter(|(e, _, _)| !e.trim().is_empty())
        .map(|&(e, hints, none_of)| Expect {
            exam: e.trim(),
            hints,
            none_of,
        })
        .collect();
    if uploaded {
        reviewed_on_host(dir, &expect, &mut t);
        // The station's health reports, pushed beside its exams.
        let sealed: Vec<&str> = [&exam, &typed, &proctor, &killed]
            .iter()
            .map(|e| e.trim())
            .filter(|e| !e.is_empty())
            .collect();
        crate::hostfleet::checked_on_host(dir, &boot, STATION, &sealed, host_site, creds, &mut t);
    }
    eprintln!(
        "xtask hw-test: image and binaries ready in {:.0} s, QEMU ran {:.0} s",
        ready.as_secs_f64(),
        (started.elapsed() - ready).as_secs_f64()
    );
    imagetest::finish("hw-test", t, dir)
}

/// The console line with which the guest asks for the power to be cut mid-exam
/// (hw-tests/src/powercut.rs): the host quits QEMU at once, as a pulled plug.
const POWER_CUT: &str = "HW-TESTS-POWER-CUT";

/// The guest's arguments for the boot after the power cut: only the resume tests.
const AFTER_POWER_CUT: &str = "--after-power-cut";

/// One boot of the test disk.
struct Booted {
    watched: qemu::Watched,
    /// The guest asked for the power cut, and got it.
    cut: bool,
}

/// Boots `disk` once with the share and the removable media; plugs the spare stick in, takes
/// the screenshots and cuts the power when the guest asks.
fn boot_once(
    dir: &Path,
    disk: &Path,
    share: &Path,
    storage: &qemu::Storage,
    monitor: &Path,
    shots_tmp: &Path,
    errors: &mut Vec<String>,
) -> Result<Booted, String> {
    // The machine's TPM: its state lives in the test folder across both boots.
    let tpm = qemu::Tpm::start(&dir.join("tpm"))?;
    let cmd = qemu::image_cmd(&qemu::ImageBoot {
        arch: crate::boards::Arch::Amd64,
        dir,
        disk,
        cpus: 2,
        tpm: Some(&tpm.sock),
        share: Some(share),
        monitor: Some(monitor),
        storage: Some(storage),
        exam_host: true,
        secure_vars: None,
    })?;
    let mut cut = false;
    let watched = qemu::watch(cmd, TIMEOUT, |l| {
        if l.contains(ATTACH) {
            if let Err(e) = qemu::plug_spare_stick(monitor) {
                errors.push(format!("could not plug the USB stick in: {e}"));
            }
        }
        if l.contains(POWER_CUT) && !cut {
            match qemu::monitor(monitor, "quit") {
                Ok(_) => cut = true,
                Err(e) => errors.push(format!("could not cut the power: {e}")),
            }
        }
        if let Some(Err(e)) = crate::screens::on_line(l, monitor, shots_tmp, share) {
            errors.push(format!("screenshot: {e}"));
        }
        imagetest::is_report(l) || is_guest_report(l)
    })?;
    Ok(Booted { watched, cut })
}

/// The enrolled identity was sealed to the VM's TPM at the first boot and wiped from the stick
/// (`stick`: `stationctl identity show` of the disk after the run), and unsealed with it at
/// the boot after the power cut.
fn sealed_to_tpm(
    stick: &Result<String, String>,
    boots: [Option<&qemu::Watched>; 2],
    t: &mut Tally,
) {
    for (n, boot) in boots.iter().enumerate() {
        let Some(boot) = boot else { continue };
        let line = boot
            .find("STATION-BOOT-IDENTITY")
            .map(|(l, _)| l.trim().to_string())
            .unwrap_or_default();
        t.check(
            line.ends_with("sealing=tpm"),
            format!("boot {}: identity {line}", n + 1),
            || "the identity was not sealed to the TPM".into(),
        );
    }
    let blank = stick.as_ref().is_ok_and(|s| s.contains("blank"));
    t.check(
        blank,
        "the stick's identity partition is blank after the boot (sealed to the TPM)".into(),
        || format!("stationctl identity show: {stick:?}"),
    );
}

/// Whether a console line is part of the guest's test report (printed live).
pub(crate) fn is_guest_report(line: &str) -> bool {
    line.starts_with("PASS ")
        || line.starts_with("FAIL ")
        || line.starts_with("hw-test:")
        || line.starts_with("HW-TEST-RESULT")
        || line.contains(" passed, ")
}

/// Counts the guest's `PASS`/`FAIL` lines (from the share's results, else the console).
pub(crate) fn guest_results(results: &str, boot: &qemu::Watched, t: &mut Tally) {
    let text = if results.is_empty() {
        boot.console.join("\n")
    } else {
        results.to_owned()
    };
    let mut seen = 0;
    for l in text.lines() {
        if l.starts_with("PASS ") {
            t.passed += 1;
            seen += 1;
        } else if l.starts_with("FAIL ") {
            t.failures.push(format!("in the image: {l}"));
            seen += 1;
        }
    }
    if seen == 0 {
        t.failures.push(format!(
            "the image ran no test; last console lines:\n{}",
            vm::tail(&boot.console, 40)
        ));
    }
}
