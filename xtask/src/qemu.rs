//! Booting the USB image under QEMU with UEFI firmware (OVMF) and the serial console on stdout:
//! every console line is collected (with the time it arrived) and QEMU is killed if it
//! outlives its timeout; the monitor takes hot-plug commands. Used by the image's boot test
//! ([`crate::imagetest`]) and the hw-tests ([`crate::hwtest`]).

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::boards::Arch;

/// What a QEMU run printed and how it ended.
pub struct Watched {
    /// Every console line.
    pub console: Vec<String>,
    /// When each console line arrived, since QEMU was started.
    pub at: Vec<Duration>,
    /// QEMU's exit status; `None` if it was killed at the timeout.
    pub status: Option<ExitStatus>,
}

impl Watched {
    /// The first console line containing `needle`, with the time it arrived.
    pub fn find(&self, needle: &str) -> Option<(&str, Duration)> {
        self.console
            .iter()
            .zip(&self.at)
            .find(|(l, _)| l.contains(needle))
            .map(|(l, t)| (l.as_str(), *t))
    }
}

/// OVMF firmware code (read-only) and the variables template (copied per boot).
const OVMF_CODE: &str = "/usr/share/OVMF/OVMF_CODE_4M.fd";
/// The variables template (no keys: Secure Boot off).
pub const OVMF_VARS: &str = "/usr/share/OVMF/OVMF_VARS_4M.fd";
/// OVMF built to enforce Secure Boot (needs SMM, so TCG here).
const OVMF_CODE_SECURE: &str = "/usr/share/OVMF/OVMF_CODE_4M.secboot.fd";

/// A software TPM 2.0 (swtpm) for one boot, its state kept in a folder across boots (as a
/// machine's TPM keeps it across power cuts); stopped when dropped.
pub struct Tpm {
    child: std::process::Child,
    /// The control socket QEMU connects to.
    pub sock: PathBuf,
}

impl Tpm {
    /// Starts swtpm with its state in `dir`.
    pub fn start(dir: &Path) -> Result<Tpm, String> {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let sock = dir.join("swtpm.sock");
        let _ = std::fs::remove_file(&sock);
        let child = Command::new("swtpm")
            .arg("socket")
            .arg("--tpmstate")
            .arg(format!("dir={}", dir.display()))
            .arg("--ctrl")
            .arg(format!("type=unixio,path={}", sock.display()))
            .arg("--tpm2")
            .stdin(Stdio::null())
            .spawn()
            .map_err(|e| format!("could not start swtpm: {e}"))?;
        let t = Instant::now();
        while !sock.exists() {
            if t.elapsed() > Duration::from_secs(10) {
                return Err(format!("swtpm made no {} in 10 s", sock.display()));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(Tpm { child, sock })
    }
}

impl Drop for Tpm {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What the kernel command line of a test boot adds: the image's test hook, which mounts the
/// share and runs its `setup.sh`.
pub const TEST_HOOK: &str = "systemd.wants=station-test-share.service";

/// One boot of the image.
pub struct ImageBoot<'a> {
    /// The machine: a PC (q35, OVMF) or an arm64 one (virt, AAVMF; always TCG).
    pub arch: Arch,
    /// Folder for the firmware variables copy.
    pub dir: &'a Path,
    /// The disk (a grown copy of the image), attached as a USB stick on xHCI.
    pub disk: &'a Path,
    /// Virtual CPUs.
    pub cpus: u32,
    /// Folder shared over 9p with mount tag `hwtests` (see [`crate::guest`]). With a share the
    /// VM boots the disk's own UKI with the test hook on its command line; without, through
    /// the firmware and systemd-boot like a station.
    pub share: Option<&'a Path>,
    /// Unix socket for the QEMU monitor.
    pub monitor: Option<&'a Path>,
    /// Removable storage besides the boot stick: present at boot, and a spare stick that
    /// [`plug_spare_stick`] plugs in later.
    pub storage: Option<&'a Storage>,
    /// Serve the exam page at 10.0.2.100:80 (QEMU guestfwd to `xtask exam-page`).
    pub exam_host: bool,
    /// A TPM 2.0: the control socket of a running swtpm (see [`Tpm`]).
    pub tpm: Option<&'a Path>,
    /// Secure Boot enforced, with these firmware variables (the keys enrolled; copied per
    /// boot): the Secure Boot firmware on a machine with SMM.
    pub secure_vars: Option<&'a Path>,
}

impl<'a> ImageBoot<'a> {
    /// A boot for the boot report only (`share` from [`crate::guest::share`]): one vCPU, no
    /// monitor, spare stick or exam host.
    pub fn report_only(dir: &'a Path, disk: &'a Path, share: Option<&'a Path>) -> ImageBoot<'a> {
        ImageBoot {
            arch: Arch::Amd64,
            dir,
            disk,
            cpus: 1,
            share,
            monitor: None,
            storage: None,
            exam_host: false,
            tpm: None,
            secure_vars: None,
        }
    }
}

/// The firmware variables of one boot: a fresh copy of `template` in `b.dir`.
fn vars_copy(b: &ImageBoot, template: &Path) -> Result<PathBuf, String> {
    let name = b.disk.file_name().unwrap_or_default().to_string_lossy();
    let vars = b.dir.join(format!("{name}.vars"));
    std::fs::copy(template, &vars).map_err(|e| format!("{}: {e}", template.display()))?;
    Ok(vars)
}

/// A PC: q35 with OVMF (its Secure Boot build, with SMM, when `b.secure_vars`).
fn pc(b: &ImageBoot) -> Result<Command, String> {
    let vars = vars_copy(b, b.secure_vars.unwrap_or(Path::new(OVMF_VARS)))?;
    let (code, machine, accel) = match b.secure_vars {
        // KVM here has no SMM: Secure Boot runs under TCG.
        Some(_) => (OVMF_CODE_SECURE, "q35,smm=on", "tcg".to_string()),
        None => (
            OVMF_CODE,
            "q35",
            std::env::var("HW_ACCEL").unwrap_or_else(|_| "tcg".into()),
        ),
    };
    let cpu = if accel == "kvm" { "host" } else { "max" };
    let mut cmd = Command::new("qemu-system-x86_64");
    cmd.args([
        "-accel", &accel, "-cpu", cpu, "-m", "2048", "-machine", machine,
    ])
    .args(["-smp", &b.cpus.to_string()]);
    if b.secure_vars.is_some() {
        cmd.args(["-global", "driver=cfi.pflash01,property=secure,value=on"]);
    }
    cmd.arg("-drive")
        .arg(format!("if=pflash,format=raw,readonly=on,file={code}"))
        .arg("-drive")
        .arg(format!("if=pflash,format=raw,file={}", vars.display()));
    Ok(cmd)
}

/// AAVMF, the arm64 UEFI firmware (package qemu-efi-aarch64), and its variables template.
const AAVMF_CODE: &str = "/usr/share/AAVMF/AAVMF_CODE.fd";
const AAVMF_VARS: &str = "/usr/share/AAVMF/AAVMF_VARS.fd";

/// An arm64 machine: QEMU's generic `virt` with a Cortex-A76 (the Pi 5's core) under TCG and
/// AAVMF. No TPM: a Pi has none.
fn arm64(b: &ImageBoot) -> Result<Command, String> {
    if b.secure_vars.is_some() || b.tpm.is_some() {
        return Err("the arm64 machine has no Secure Boot or TPM test".into());
    }
    let vars = vars_copy(b, Path::new(AAVMF_VARS))?;
    let mut cmd = Command::new("qemu-system-aarch64");
    cmd.args(["-accel", "tcg", "-machine", "virt", "-cpu", "cortex-a76"])
        .args(["-m", "2048", "-smp", &b.cpus.to_string()])
        .arg("-drive")
        .arg(format!(
            "if=pflash,format=raw,readonly=on,file={AAVMF_CODE}"
        ))
        .arg("-drive")
        .arg(format!("if=pflash,format=raw,file={}", vars.display()));
    Ok(cmd)
}

/// The QEMU command booting `b.disk` under UEFI firmware (OVMF on a PC, AAVMF on arm64)
/// with a fresh copy of the variables, the virtio GPU and user networking (the host is
/// 10.0.2.2). `HW_ACCEL=kvm` uses KVM for a PC where it works (TCG otherwise).
pub fn image_cmd(b: &ImageBoot) -> Result<Command, String> {
    let name = b.disk.file_name().unwrap_or_default().to_string_lossy();
    let mut cmd = match b.arch {
        Arch::Amd64 => pc(b)?,
        Arch::Arm64 => arm64(b)?,
    };
    cmd.arg("-drive").arg(format!(
        "if=none,id=stick,format=raw,file={}",
        b.disk.display()
    ));
    // The image boots from what it is made for, a USB stick (xHCI mass storage);
    // IMAGE_TEST_DISK=virtio uses a virtio disk instead (faster, but skips the USB path).
    cmd.args(["-device", "qemu-xhci,id=xhci"]);
    if std::env::var("IMAGE_TEST_DISK").as_deref() == Ok("virtio") {
        cmd.args(["-device", "virtio-blk-pci,drive=stick"]);
    } else {
        cmd.args(["-device", "usb-storage,bus=xhci.0,drive=stick,removable=on"]);
    }
    let mut nic = String::from("user,model=virtio-net-pci");
    if b.exam_host {
        let me = std::env::current_exe().map_err(|e| format!("xtask's own path: {e}"))?;
        nic += &format!(",guestfwd=tcp:10.0.2.100:80-cmd:{} exam-page", me.display());
    }
    cmd.args(["-device", "virtio-gpu-pci"])
        .args(["-nic", &nic])
        .args(["-nographic", "-nodefaults", "-no-reboot"])
        .args(["-serial", "stdio"])
        .stdin(Stdio::null());
    if let Some(sock) = b.tpm {
        cmd.arg("-chardev")
            .arg(format!("socket,id=chrtpm,path={}", sock.display()))
            .args(["-tpmdev", "emulator,id=tpm0,chardev=chrtpm"])
            .args(["-device", "tpm-tis,tpmdev=tpm0"]);
    }
    if let Some(share) = b.share {
        // The disk's own UKI, started by the firmware as systemd-boot would start it, with
        // the test hook added to its embedded command line (without Secure Boot the stub
        // takes the command line it is given).
        let uki = b.dir.join(format!("{name}.uki.efi"));
        let cmdline = crate::disk::uki_of(b.disk, &uki)?;
        cmd.arg("-kernel")
            .arg(&uki)
            .arg("-append")
            .arg(format!("{cmdline} {TEST_HOOK}"));
        cmd.arg("-fsdev")
            .arg(format!(
                "local,id=share,path={},security_model=none",
                share.display()
            ))
            .args(["-device", "virtio-9p-pci,fsdev=share,mount_tag=hwtests"]);
    }
    match b.monitor {
        Some(sock) => cmd
            .arg("-monitor")
            .arg(format!("unix:{},server=on,wait=off", sock.display())),
        None => cmd.args(["-monitor", "none"]),
    };
    if let Some(st) = b.storage {
        let drive =
            |id: &str, file: &Path| format!("if=none,id={id},format=raw,file={}", file.display());
        cmd.arg("-drive")
            .arg(drive("spare", &st.spare))
            .arg("-drive")
            .arg(drive("present", &st.present))
            .args([
                "-device",
                "usb-storage,bus=xhci.0,drive=present,removable=on",
            ])
            .arg("-drive")
            .arg(drive("sdcard", &st.sd_card))
            .args(["-device", "sdhci-pci", "-device", "sd-card,drive=sdcard"]);
    }
    Ok(cmd)
}

/// Blank removable media for the lockdown tests: a USB stick and an SD card (in a PCI SD host
/// controller) attached at boot, and a spare stick plugged in mid-exam.
pub struct Storage {
    /// Drive `spare`, not plugged in at boot.
    pub spare: PathBuf,
    /// A second USB stick, there from power-on.
    pub present: PathBuf,
    /// An SD card, there from power-on.
    pub sd_card: PathBuf,
}

impl Storage {
    /// Three blank 64 MiB files in `dir` (an SD card's size must be a power of two).
    pub fn blank(dir: &Path) -> Result<Storage, String> {
        Ok(Storage {
            spare: blank_file(&dir.join("spare-stick.img"), 64 << 20)?,
            present: blank_file(&dir.join("present-stick.img"), 64 << 20)?,
            sd_card: blank_file(&dir.join("sd-card.img"), 64 << 20)?,
        })
    }
}

/// Sends one command line to the QEMU monitor at `sock`; returns what it said within 500 ms.
pub fn monitor(sock: &Path, command: &str) -> Result<String, String> {
    use std::os::unix::net::UnixStream;
    let mut s = UnixStream::connect(sock).map_err(|e| format!("{}: {e}", sock.display()))?;
    s.set_read_timeout(Some(Duration::from_secs(2)))
        .map_err(|e| e.to_string())?;
    s.write_all(format!("{command}\n").as_bytes())
        .map_err(|e| format!("monitor: {e}"))?;
    std::thread::sleep(Duration::from_millis(500));
    let mut said = vec![0u8; 4096];
    let n = s.read(&mut said).unwrap_or(0);
    Ok(String::from_utf8_lossy(&said[..n]).into_owned())
}

/// Plugs drive `spare` in as a USB mass-storage device through the monitor at `sock`.
pub fn plug_spare_stick(sock: &Path) -> Result<String, String> {
    monitor(
        sock,
        "device_add usb-storage,bus=xhci.0,drive=spare,id=spare-stick",
    )
}

/// A file of `bytes` zero bytes (a blank stick).
pub fn blank_file(path: &Path, bytes: u64) -> Result<PathBuf, String> {
    std::fs::File::create(path)
        .and_then(|f| f.set_len(bytes))
        .map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(path.to_owned())
}

/// Starts `cmd` (stdout is taken over), collects its console lines, calling `on_line` with
/// each (it says whether to print the line) as they come, and kills it after `timeout`.
pub fn watch(
    mut cmd: Command,
    timeout: Duration,
    mut on_line: impl FnMut(&str) -> bool,
) -> Result<Watched, String> {
    let started = Instant::now();
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("could not start qemu-system-x86_64: {e}"))?;
    let stdout = child.stdout.take().ok_or("qemu: no stdout")?;
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).split(b'\n').map_while(|l| l.ok()) {
            let s = String::from_utf8_lossy(&line).trim_end().to_string();
            if tx.send(s).is_err() {
                break;
            }
        }
    });
    let deadline = started + timeout;
    let mut w = Watched {
        console: Vec::new(),
        at: Vec::new(),
        status: None,
    };
    loop {
        match rx.recv_timeout(Duration::from_millis(200)) {
            Ok(line) => {
                if on_line(&line) {
                    println!("{line}");
                    let _ = std::io::stdout().flush();
                }
                w.console.push(line);
                w.at.push(started.elapsed());
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
            Err(mpsc::RecvTimeoutError::Timeout) => {}
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Ok(w);
        }
    }
    w.status = Some(child.wait().map_err(|e| format!("qemu: {e}"))?);
    Ok(w)
}

/// `xtask exam-page`: one HTTP exchange on stdin/stdout (QEMU's guestfwd runs it for each
/// connection to 10.0.2.100:80): reads the request head, answers 200 with a small page.
pub fn exam_page() -> Result<(), String> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    let mut stdin = std::io::stdin().lock();
    while !head.ends_with(b"\r\n\r\n") && head.len() < 8192 {
        match stdin.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => break,
        }
    }
    // A page the kiosk test recognises on screen: one solid colour, EXAM_PAGE_RGB of hw-tests.
    let body =
        "<html><body style=\"margin:0;background:#2e8b57;height:100vh\">exam page</body></html>";
    let mut out = std::io::stdout().lock();
    write!(
        out,
        "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .and_then(|_| out.flush())
    .map_err(|e| e.to_string())
}
