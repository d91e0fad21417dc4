//! `cargo xtask image --board BOARD --site SITE [--release]`: the bootable image of an
//! institution's site, for a PC (`x86_64-uefi`, a USB stick) or a Raspberry Pi (`rpi5`,
//! `rpi4`: an SD card or USB stick).
//!
//! The image is the product and nothing else: the board's own file (`board-config/boards/
//! <board>.toml`), the site (checked with `stationctl site check --image`, which refuses the
//! example site's placeholder recipient), the services, and no virtual-device module or enabled
//! test hook. The tests boot this very image and bring what they need beyond it through a share
//! (see [`crate::guest`]).
//!
//! The recipes are under `images/` (see [`crate::boards`]): the root file system's `packages`
//! and `dracut.conf` (built with mmdebstrap and cached, [`crate::rootfs`]), `images/common/`
//! (`units`: systemctl operations; `overlay/`: files beyond the product's `systemd/` tree, e.g.
//! fstab and the test hook; `loader.conf`; `repart/`: the partition table), and the board's
//! `cmdline` and, on a Pi, `config.txt`. The product's binaries (built here for a PC,
//! cross-built for aarch64 by [`crate::cross`] for a Pi) and the `systemd/` tree are installed
//! on every build (not cached). The disk itself is assembled by [`crate::disk`]: erofs root,
//! dm-verity, unified kernel image, ESP (with the Pi firmware's files on a Pi,
//! [`crate::piboot`], checked by [`crate::bootcheck`]), GPT.
//!
//! Writes `target/images/<board>/` with `exam-station-<board>.img`, its `.bmap` and `SHA256SUMS`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use crate::boards::{self, Arch, Board};
use crate::recipe;
use crate::run::step;
use crate::{cross, deps, disk, piboot, rootfs, run};

/// Host packages the image build needs.
pub const HOST: &[&str] = &[
    "mmdebstrap",
    "erofs-utils",
    "cryptsetup-bin",
    "mtools",
    "dosfstools",
    "ovmf",
    "systemd-boot-efi",
    "binutils",
    "fdisk",
    "bmap-tools",
];

/// The project's binaries installed in the image (`/usr/bin`).
const BINARIES: &[&str] = &["stationd", "stationctl", "uplinkd", "exam-proxy"];

/// Where the built binaries of `board` are: the host build (`target/<profile>`) for a PC, the
/// aarch64 cross build for the Pi boards (always optimised).
fn bin_dir(board: &Board, profile: &str) -> PathBuf {
    match board.root.arch {
        Arch::Amd64 => run::root().join("target").join(profile),
        Arch::Arm64 => cross::Cross::binary("stationd")
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default(),
    }
}

/// A built image.
pub struct Built {
    /// The raw disk image.
    pub img: PathBuf,
}

/// Copies the contents of folder `from` into folder `to` (owners root, modes kept).
fn copy_tree(from: &Path, to: &Path) -> Result<(), String> {
    run::status(
        Command::new("cp")
            .args(["-rT", "--preserve=mode", "--no-dereference"])
            .arg(from)
            .arg(to),
    )
    .map_err(|e| format!("copy {} into the image: {e}", from.display()))
}

/// Installs the product into the staging root: binaries (debug info stripped), `systemd/`,
/// the recipe's overlay, the board's file and the site, users, and the unit operations.
fn install_product(board: &Board, staging: &Path, bins: &Path, site: &Path) -> Result<(), String> {
    let root = run::root();
    let strip = match board.root.arch {
        Arch::Amd64 => "strip",
        Arch::Arm64 => "aarch64-linux-gnu-strip",
    };
    for bin in BINARIES {
        let from = bins.join(bin);
        let to = staging.join("usr/bin").join(bin);
        run::status(
            Command::new(strip)
                .arg("--strip-debug")
                .arg("-o")
                .arg(&to)
                .arg(&from),
        )
        .map_err(|e| format!("install {}: {e}", from.display()))?;
    }
    copy_tree(&root.join("systemd"), staging)?;
    copy_tree(&boards::folder("common").join("overlay"), staging)?;
    let etc = staging.join("etc/station");
    std::fs::create_dir_all(&etc).map_err(|e| format!("{}: {e}", etc.display()))?;
    for (from, to) in [
        (
            root.join("board-config/boards")
                .join(format!("{}.toml", board.name)),
            "board.toml",
        ),
        (site.to_path_buf(), "station.toml"),
    ] {
        std::fs::copy(&from, etc.join(to))
            .map_err(|e| format!("install {} as /etc/station/{to}: {e}", from.display()))?;
    }
    // The image's users: the build machine's systemd-sysusers for a root of its own release;
    // the root's own (trixie's, run under qemu-user) for the arm64 root, whose sysusers.d
    // files use what bookworm's does not know.
    let sysusers = match board.root.arch {
        Arch::Amd64 => run::status(Command::new("systemd-sysusers").arg("--root").arg(staging)),
        Arch::Arm64 => run::status(Command::new("chroot").arg(staging).arg("systemd-sysusers")),
    };
    sysusers.map_err(|e| format!("users of the image: {e}"))?;
    for op in recipe::read_list(&boards::folder("common").join("units"))? {
        run::status(
            Command::new("systemctl")
                .arg("--root")
                .arg(staging)
                .args(op.split_whitespace()),
        )
        .map_err(|e| format!("images/common/units: `{op}`: {e}"))?;
    }
    // The resolver: what DHCP gave, through resolved's file (not the build host's resolv.conf,
    // which mmdebstrap leaves behind).
    let resolv = staging.join("etc/resolv.conf");
    let _ = std::fs::remove_file(&resolv);
    std::os::unix::fs::symlink("../run/systemd/resolve/resolv.conf", &resolv)
        .map_err(|e| format!("{}: {e}", resolv.display()))?;
    // An empty machine-id: systemd makes a transient one on the read-only root at each boot.
    std::fs::write(staging.join("etc/machine-id"), b"").map_err(|e| e.to_string())?;
    stamp_version(staging)
}

/// The image's version: the workspace's version and the build's commit (`+dirty` when the
/// work tree has changes), e.g. `0.1.0+3f2a9c1e07b4`.
pub fn version() -> String {
    let git = |args: &[&str]| {
        Command::new("git")
            .current_dir(run::root())
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    let commit = git(&["rev-parse", "--short=12", "HEAD"]).unwrap_or_else(|| "nogit".into());
    let dirty =
        git(&["status", "--porcelain", "--untracked-files=no"]).is_some_and(|s| !s.is_empty());
    format!(
        "{}+{commit}{}",
        env!("CARGO_PKG_VERSION"),
        if dirty { ".dirty" } else { "" }
    )
}

/// Adds `IMAGE_ID` and `IMAGE_VERSION` to the image's os-release (which also goes into the
/// UKI's `.osrel`): stationd puts the version on the readiness card and into every manifest.
fn stamp_version(staging: &Path) -> Result<(), String> {
    let path = staging.join("usr/lib/os-release");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let kept: Vec<&str> = text
        .lines()
        .filter(|l| !l.starts_with("IMAGE_ID=") && !l.starts_with("IMAGE_VERSION="))
        .collect();
    let stamped = format!(
        "{}\nIMAGE_ID=exam-station\nIMAGE_VERSION={}\n",
        kept.join("\n"),
        version()
    );
    std::fs::write(&path, stamped).map_err(|e| format!("{}: {e}", path.display()))
}

/// `cargo build` of the image's binaries (`release`: optimised). The hw-test builds the same
/// packages the same way, so neither rebuilds the other's.
pub fn binaries(release: bool) -> Command {
    let mut cargo = run::cargo();
    cargo.args([
        "build",
        "--locked",
        "-p",
        "station",
        "-p",
        "uplink",
        "-p",
        "exam-proxy",
        "--bins",
    ]);
    if release {
        cargo.arg("--release");
    }
    cargo
}

/// Builds the image of `board` with the site file `site` as /etc/station/station.toml, checked
/// by the built `stationctl site check --image` (errors name the line and field) before it
/// goes in; `release` picks the release binaries.
pub fn build_for(board: &str, release: bool, site: &Path) -> Result<Built, String> {
    build_signed(board, release, site, None)
}

/// [`build_for`], with systemd-boot and the UKI signed for Secure Boot with the keys in
/// `sign_with` (see [`crate::secureboot`]).
pub fn build_signed(
    board: &str,
    release: bool,
    site: &Path,
    sign_with: Option<&Path>,
) -> Result<Built, String> {
    let board = boards::find(board)?;
    let t0 = Instant::now();
    step(t0, "host packages");
    deps::ensure(&[deps::BUILD, HOST])?;
    if let Some(keys) = sign_with {
        if board.pi.is_some() {
            return Err(format!(
                "--sign-with: the {} image has no UEFI Secure Boot to sign for (a Pi 5 starts \
                 the kernel from its EEPROM firmware; Debian's U-Boot for the Pi 4 has no \
                 EFI_SECURE_BOOT)",
                board.name
            ));
        }
        crate::secureboot::check_keys(keys)?;
    }
    let profile = if release { "release" } else { "debug" };
    // The binaries build while mmdebstrap builds the root file system (one cargo, one apt).
    let (mut building, cross) = match board.root.arch {
        Arch::Amd64 => {
            step(
                t0,
                &format!(
                    "cargo build -p station -p uplink -p exam-proxy --bins ({profile}), in the background"
                ),
            );
            (binaries(release), None)
        }
        Arch::Arm64 => {
            let cross = cross::ensure(t0)?;
            step(
                t0,
                "cargo build of the station's binaries for aarch64 (release), in the background",
            );
            (cross.binaries(), Some(cross))
        }
    };
    let mut building = building
        .spawn()
        .map_err(|e| format!("could not start cargo build: {e}"))?;
    let rootfs = rootfs::ensure(board, t0);
    let built = building.wait().map_err(|e| format!("cargo build: {e}"))?;
    let rootfs = rootfs?;
    if !built.success() {
        return Err(format!(
            "cargo build of the station's binaries failed ({built})"
        ));
    }
    step(t0, "cargo build: done");
    let bins = bin_dir(board, profile);
    let check = ["site", "check", "--image", &site.display().to_string()];
    match &cross {
        None => run::status(Command::new(bins.join("stationctl")).args(check)),
        Some(c) => c
            .run(&bins.join("stationctl"), &check)
            .map(|said| eprint!("{said}")),
    }
    .map_err(|e| format!("--site {}: {e}", site.display()))?;
    let kit = match board.root.arch {
        Arch::Amd64 => None,
        Arch::Arm64 => Some(piboot::kit(t0)?),
    };
    let out = run::root().join("target/images").join(board.name);
    let work = out.join("work");
    let staging = work.join("staging");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).map_err(|e| format!("{}: {e}", work.display()))?;
    step(
        t0,
        "staging: copy the rootfs, install binaries, systemd/, overlay, board",
    );
    run::status(Command::new("cp").args(["-a"]).arg(&rootfs).arg(&staging))
        .map_err(|e| format!("staging copy of {}: {e}", rootfs.display()))?;
    install_product(board, &staging, &bins, site)?;
    let name = format!("exam-station-{}", board.name);
    let img = disk::assemble(&disk::Inputs {
        board,
        kit,
        staging,
        work,
        img: out.join(format!("{name}.img")),
        t0,
        sign_with: sign_with.map(Path::to_path_buf),
    })?;
    if board.pi.is_some() {
        step(t0, "the boot files the Raspberry Pi firmware needs");
        println!(
            "{}",
            crate::bootcheck::check(board, &img, &out.join("work"))?
        );
    }
    step(t0, "bmaptool create");
    let bmap = out.join(format!("{name}.bmap"));
    run::status(
        Command::new("bmaptool")
            .args(["create", "-o"])
            .arg(&bmap)
            .arg(&img),
    )?;
    step(t0, "SHA256SUMS");
    let sums = run::output(
        Command::new("sha256sum")
            .current_dir(&out)
            .arg(format!("{name}.img"))
            .arg(format!("{name}.bmap")),
    )?;
    std::fs::write(out.join("SHA256SUMS"), sums).map_err(|e| e.to_string())?;
    step(t0, &format!("done: {}", out.display()));
    Ok(Built { img })
}

/// How to call `cargo xtask image`.
const USAGE: &str =
    "usage: cargo xtask image --board BOARD --site SITE.toml [--release] [--sign-with KEYDIR]\n\
    SITE.toml is the institution's site file: start from board-config/sites/example.toml and put \
    in the recipient that `examctl keygen --out institution.key` prints. KEYDIR holds the Secure \
    Boot keys made by `cargo xtask secure-boot-keys --out KEYDIR`";

/// `cargo xtask image --board BOARD --site SITE [--release] [--sign-with KEYDIR]`.
pub fn run(args: &[String]) -> Result<(), String> {
    let mut board = None;
    let mut release = false;
    let mut site = None;
    let mut keys = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--board" => board = it.next().cloned(),
            "--release" => release = true,
            "--site" => site = it.next().map(PathBuf::from),
            "--sign-with" => keys = it.next().map(PathBuf::from),
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    let (Some(board), Some(site)) = (board, site) else {
        return Err(USAGE.into());
    };
    build_signed(&board, release, &site, keys.as_deref()).map(|_| ())
}
