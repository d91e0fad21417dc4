//! Assembles a bootable GPT disk from a staged root file system, with no loop device and no
//! mount: erofs root (`mkfs.erofs`), its dm-verity hash tree (`veritysetup format`), a unified
//! kernel image (systemd-boot-efi's stub + kernel + initrd + command line, `objcopy`), an EFI
//! system partition (`mkfs.vfat` + mtools) and the partition table (`systemd-repart
//! --empty=create`, definitions from the recipe's `repart/` with the file paths and partition
//! UUIDs filled in). The partition UUIDs are the two halves of the root hash, which is what
//! systemd-veritysetup-generator looks for.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use crate::boards::{self, Arch, Board};
use crate::piboot::{self, Kit};
use crate::run;
use crate::run::step;

/// systemd-boot and the UKI stub (package systemd-boot-efi).
const EFI_DIR: &str = "/usr/lib/systemd/boot/efi";

/// Fixed seed of the disk's own UUIDs, so that equal inputs give an equal image.
const REPART_SEED: &str = "6f1f4c52-3c3a-4e2b-9a8b-7e0d2f0c5a11";

/// What [`assemble`] works on.
pub struct Inputs {
    /// The board (its recipe: `cmdline`; `images/common/`: `loader.conf`, `repart/`).
    pub board: &'static Board,
    /// The arm64 boot packages (systemd-boot, the UKI stub, the Pi firmware); `None` on a PC,
    /// whose come from the build machine's systemd-boot-efi.
    pub kit: Option<Kit>,
    /// The staged root file system (its `/boot` kernel and initrd go to the UKI).
    pub staging: PathBuf,
    /// Scratch folder for partition images.
    pub work: PathBuf,
    /// The disk image to write.
    pub img: PathBuf,
    /// Start of the whole build (progress times).
    pub t0: Instant,
    /// Secure Boot keys (`cargo xtask secure-boot-keys`): systemd-boot and the UKI are signed
    /// with their db key.
    pub sign_with: Option<PathBuf>,
}

fn size(p: &Path) -> u64 {
    std::fs::metadata(p).map(|m| m.len()).unwrap_or(0)
}

/// Megabytes, for progress lines.
pub fn mb(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

/// Formats 32 hex digits as a UUID.
fn uuid(hex: &str) -> String {
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// Moves the kernel and initrd out of the staged `/boot` (they go to the UKI, not the root).
fn take_kernel(staging: &Path, work: &Path) -> Result<(PathBuf, PathBuf), String> {
    let boot = staging.join("boot");
    let entries = std::fs::read_dir(&boot).map_err(|e| format!("{}: {e}", boot.display()))?;
    let mut names: Vec<String> = entries
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let kernel = names
        .iter()
        .rfind(|n| n.starts_with("vmlinuz-"))
        .ok_or(format!("no vmlinuz-* in {}", boot.display()))?;
    let version = &kernel["vmlinuz-".len()..];
    let initrd = format!("initrd.img-{version}");
    if !names.contains(&initrd) {
        return Err(format!(
            "no {initrd} in {} (dracut failed?)",
            boot.display()
        ));
    }
    let (k, i) = (work.join("vmlinuz"), work.join("initrd.img"));
    for (from, to) in [(kernel.as_str(), &k), (initrd.as_str(), &i)] {
        std::fs::rename(boot.join(from), to).map_err(|e| format!("{from}: {e}"))?;
    }
    for n in &names {
        let _ = std::fs::remove_file(boot.join(n));
    }
    for link in ["vmlinuz", "vmlinuz.old", "initrd.img", "initrd.img.old"] {
        let _ = std::fs::remove_file(staging.join(link));
    }
    Ok((k, i))
}

/// Builds the unified kernel image with the systemd stub: objcopy with bookworm's x86 stub
/// (bookworm has no ukify), trixie's ukify with its arm64 stub.
fn uki(inputs: &Inputs, kernel: &Path, initrd: &Path, cmdline: &str) -> Result<PathBuf, String> {
    let w = &inputs.work;
    let cmdline_file = w.join("cmdline.txt");
    std::fs::write(&cmdline_file, cmdline).map_err(|e| e.to_string())?;
    let osrel = inputs.staging.join("usr/lib/os-release");
    let out = w.join("exam-station.efi");
    if let Some(kit) = &inputs.kit {
        kit.uki(kernel, initrd, &cmdline_file, &osrel, &out)?;
        return Ok(out);
    }
    let sec = |name: &str, file: &Path, vma: &str| {
        [
            "--add-section".to_string(),
            format!(".{name}={}", file.display()),
            "--change-section-vma".to_string(),
            format!(".{name}={vma}"),
        ]
    };
    run::status(
        Command::new("objcopy")
            .args(sec("osrel", &osrel, "0x20000"))
            .args(sec("cmdline", &cmdline_file, "0x30000"))
            .args(sec("linux", kernel, "0x2000000"))
            .args(sec("initrd", initrd, "0x3000000"))
            .arg(Path::new(EFI_DIR).join("linuxx64.efi.stub"))
            .arg(&out),
    )
    .map_err(|e| format!("unified kernel image: {e}"))?;
    if let Some(keys) = &inputs.sign_with {
        let signed = w.join("exam-station.signed.efi");
        crate::secureboot::sign(keys, &out, &signed)?;
        std::fs::rename(&signed, &out).map_err(|e| format!("{}: {e}", out.display()))?;
    }
    Ok(out)
}

/// Makes the EFI system partition image: systemd-boot (also as the removable-media default
/// loader), the UKI and the board's other boot files (`extra`: source, name), sized to fit.
fn esp(inputs: &Inputs, uki: &Path, extra: &[(PathBuf, String)]) -> Result<PathBuf, String> {
    let w = &inputs.work;
    let img = w.join("esp.img");
    let arch = inputs.board.root.arch.efi();
    let mut boot = match &inputs.kit {
        Some(kit) => kit.systemd_boot(),
        None => Path::new(EFI_DIR).join(format!("systemd-boot{arch}.efi")),
    };
    if let Some(keys) = &inputs.sign_with {
        let signed = w.join(format!("systemd-boot{arch}.signed.efi"));
        crate::secureboot::sign(keys, &boot, &signed)?;
        boot = signed;
    }
    let extra_bytes: u64 = extra.iter().map(|(p, _)| size(p)).sum();
    let kib = (size(uki) + 2 * size(&boot) + extra_bytes) / 1024 * 11 / 10 + 4096;
    run::status(
        Command::new("mkfs.vfat")
            .args(["-n", "ESP", "-C"])
            .arg(&img)
            .arg(kib.to_string()),
    )
    .map_err(|e| format!("ESP: {e}"))?;
    let mtools = |args: &[&str], files: &[&Path]| {
        let mut c = Command::new(args[0]);
        c.arg("-i").arg(&img).args(files).args(&args[1..]);
        run::status(&mut c).map_err(|e| format!("ESP: {e}"))
    };
    mtools(
        &[
            "mmd",
            "::EFI",
            "::EFI/BOOT",
            "::EFI/systemd",
            "::EFI/Linux",
            "::loader",
        ],
        &[],
    )?;
    let upper = arch.to_uppercase();
    mtools(&["mcopy", &format!("::EFI/BOOT/BOOT{upper}.EFI")], &[&boot])?;
    mtools(
        &["mcopy", &format!("::EFI/systemd/systemd-boot{arch}.efi")],
        &[&boot],
    )?;
    mtools(&["mcopy", UKI_ON_ESP], &[uki])?;
    mtools(
        &["mcopy", "::loader/loader.conf"],
        &[&boards::folder("common").join("loader.conf")],
    )?;
    for (from, to) in extra {
        mtools(&["mcopy", &format!("::{to}")], &[from])?;
    }
    Ok(img)
}

/// The board's kernel command line template: its own `cmdline`, else its root's.
fn cmdline_template(board: &Board) -> PathBuf {
    let own = board.dir().join("cmdline");
    if own.exists() {
        own
    } else {
        board.root_dir().join("cmdline")
    }
}

/// Reads a recipe template and fills in `@KEY@` placeholders.
fn fill(path: &Path, vars: &[(&str, String)]) -> Result<String, String> {
    let mut text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    for (k, v) in vars {
        text = text.replace(&format!("@{k}@"), v);
    }
    if let Some(i) = text.find('@') {
        let rest = &text[i..];
        if rest[1..].find('@').is_some_and(|j| j < 24) {
            return Err(format!(
                "{}: unfilled placeholder near {:?}",
                path.display(),
                &rest[..rest.len().min(24)]
            ));
        }
    }
    Ok(text)
}

/// Assembles the disk image; returns its path.
pub fn assemble(inputs: &Inputs) -> Result<PathBuf, String> {
    let (t0, w) = (inputs.t0, &inputs.work);
    let (kernel, initrd) = take_kernel(&inputs.staging, w)?;
    step(t0, "root: mkfs.erofs -zlz4");
    let root = w.join("root.erofs");
    run::status(
        Command::new("mkfs.erofs")
            .args(["-zlz4", "--quiet", "-T0"])
            .arg(&root)
            .arg(&inputs.staging),
    )
    .map_err(|e| format!("erofs root: {e}"))?;
    step(
        t0,
        &format!("root: {}; veritysetup format", mb(size(&root))),
    );
    let verity = w.join("root.verity");
    let out = run::output(
        Command::new("veritysetup")
            .arg("format")
            .arg(&root)
            .arg(&verity),
    )
    .map_err(|e| format!("dm-verity: {e}"))?;
    let roothash = out
        .lines()
        .find_map(|l| l.strip_prefix("Root hash:"))
        .map(|h| h.trim().to_string())
        .filter(|h| h.len() == 64)
        .ok_or(format!(
            "dm-verity: no root hash in veritysetup's output:\n{out}"
        ))?;
    let vars = vec![
        ("ROOTHASH", roothash.clone()),
        ("ROOT_UUID", uuid(&roothash[..32])),
        ("VERITY_UUID", uuid(&roothash[32..])),
    ];
    let cmdline = fill(&cmdline_template(inputs.board), &vars)?;
    step(
        t0,
        &format!(
            "UKI: kernel {}, initrd {}",
            mb(size(&kernel)),
            mb(size(&initrd))
        ),
    );
    let uki = uki(inputs, &kernel, &initrd, cmdline.trim())?;
    let extra = match &inputs.kit {
        Some(kit) => piboot::files(
            inputs.board,
            kit,
            &piboot::Parts {
                staging: &inputs.staging,
                kernel: &kernel,
                initrd: &initrd,
                cmdline: &w.join("cmdline.txt"),
            },
        )?,
        None => Vec::new(),
    };
    step(
        t0,
        &format!(
            "ESP: systemd-boot + UKI {}{}",
            mb(size(&uki)),
            if extra.is_empty() {
                String::new()
            } else {
                format!(" + {} Raspberry Pi boot files", extra.len())
            }
        ),
    );
    let esp = esp(inputs, &uki, &extra)?;
    step(t0, "GPT: systemd-repart --empty=create");
    let defs = w.join("repart.d");
    std::fs::create_dir_all(&defs).map_err(|e| e.to_string())?;
    let mut vars = vars;
    vars.push(("ESP_IMG", esp.display().to_string()));
    vars.push(("ROOT_IMG", root.display().to_string()));
    vars.push(("VERITY_IMG", verity.display().to_string()));
    let arch: Arch = inputs.board.root.arch;
    vars.push(("ROOT_TYPE", arch.root_type().to_string()));
    vars.push(("VERITY_TYPE", format!("{}-verity", arch.root_type())));
    let dir = boards::folder("common").join("repart");
    let entries = std::fs::read_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for e in entries.flatten() {
        std::fs::write(defs.join(e.file_name()), fill(&e.path(), &vars)?)
            .map_err(|e| e.to_string())?;
    }
    let _ = std::fs::remove_file(&inputs.img);
    run::status(
        Command::new("systemd-repart")
            .args([
                "--empty=create",
                "--size=auto",
                "--dry-run=no",
                "--no-pager",
            ])
            .arg(format!("--seed={REPART_SEED}"))
            .arg(format!("--definitions={}", defs.display()))
            .arg(&inputs.img),
    )
    .map_err(|e| format!("partition table: {e}"))?;
    step(
        t0,
        &format!(
            "image {}: root {} (erofs lz4), verity {}, ESP {} (UKI {}: kernel {}, initrd {})",
            mb(size(&inputs.img)),
            mb(size(&root)),
            mb(size(&verity)),
            mb(size(&esp)),
            mb(size(&uki)),
            mb(size(&kernel)),
            mb(size(&initrd))
        ),
    );
    Ok(inputs.img.clone())
}

/// The line of `sfdisk --dump` output `dump` describing the partition labelled `label`: one
/// partition a line, `IMG2 : start=   84408, size=   704816, type=..., name="root", ...`.
pub fn partition_line<'a>(dump: &'a str, label: &str) -> Option<&'a str> {
    dump.lines()
        .find(|l| l.contains(&format!("name=\"{label}\"")))
}

/// Byte offset of the partition labelled `label` (from `sfdisk --dump`).
pub fn partition_offset(img: &Path, label: &str) -> Result<u64, String> {
    let out = run::output(Command::new("sfdisk").arg("--dump").arg(img))?;
    let line = partition_line(&out, label).ok_or(format!(
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

/// Where the UKI lies on the ESP.
const UKI_ON_ESP: &str = "::EFI/Linux/exam-station.efi";

/// Copies the unified kernel image out of disk image `img`'s ESP into `to` (byte for byte
/// what the firmware would load) and returns its embedded kernel command line.
pub fn uki_of(img: &Path, to: &Path) -> Result<String, String> {
    let esp = partition_offset(img, "ESP")?;
    let _ = std::fs::remove_file(to);
    run::status(
        Command::new("mcopy")
            .arg("-i")
            .arg(format!("{}@@{esp}", img.display()))
            .arg(UKI_ON_ESP)
            .arg(to),
    )
    .map_err(|e| format!("the UKI of {}: {e}", img.display()))?;
    let cmdline = to.with_extension("cmdline");
    run::status(
        Command::new(objcopy_for(to)?)
            .args(["-O", "binary", "--only-section=.cmdline"])
            .arg(to)
            .arg(&cmdline),
    )
    .map_err(|e| format!("the command line of {}: {e}", to.display()))?;
    let text =
        std::fs::read_to_string(&cmdline).map_err(|e| format!("{}: {e}", cmdline.display()))?;
    Ok(text.trim_end_matches('\0').trim().to_string())
}

/// The objcopy that reads the PE file `pe`: the build machine's for an x86-64 one, the cross
/// binutils' for an arm64 one (by the PE header's machine field).
fn objcopy_for(pe: &Path) -> Result<&'static str, String> {
    let data = std::fs::read(pe).map_err(|e| format!("{}: {e}", pe.display()))?;
    let at = data
        .get(0x3c..0x40)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
        .ok_or(format!("{}: not a PE file", pe.display()))?;
    match data
        .get(at + 4..at + 6)
        .map(|b| u16::from_le_bytes([b[0], b[1]]))
    {
        Some(0x8664) => Ok("objcopy"),
        Some(0xaa64) => Ok("aarch64-linux-gnu-objcopy"),
        m => Err(format!(
            "{}: PE machine {m:x?} is neither x86-64 nor arm64",
            pe.display()
        )),
    }
}

/// Writes `uki` over the UKI on disk image `img`'s ESP.
pub fn put_uki(img: &Path, uki: &Path) -> Result<(), String> {
    let esp = partition_offset(img, "ESP")?;
    run::status(
        Command::new("mcopy")
            .arg("-o")
            .arg("-i")
            .arg(format!("{}@@{esp}", img.display()))
            .arg(uki)
            .arg(UKI_ON_ESP),
    )
    .map_err(|e| format!("the UKI of {}: {e}", img.display()))
}
