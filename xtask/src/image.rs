//! `cargo xtask image --board x86_64-uefi --site SITE [--release]`: the bootable USB image of
//! an institution's site.
//!
//! The image is the product and nothing else: the board's own file (`board-config/boards/
//! <board>.toml`, for x86_64-uefi the generic PC), the site (checked with `stationctl site check
//! --image`, which refuses the example site's placeholder recipient), the services, and no
//! virtual-device module or enabled test hook. The tests boot this very image and bring what
//! they need beyond it through a share (see [`crate::guest`]).
//!
//! The recipe is `images/<board>/`: `packages` and `dracut.conf` (the Debian root file system,
//! built with mmdebstrap and cached under `target/image-rootfs/<hash>/`, keyed on those files and
//! the build options), `units` (systemctl operations), `overlay/` (files of this image
//! beyond the product's `systemd/` tree, e.g. fstab and the test hook), `cmdline`, `loader.conf` and
//! `repart/` (the partition table as systemd-repart definitions). The product's binaries and
//! the `systemd/` tree are installed on every build (not cached). The disk itself is assembled
//! by [`crate::disk`]: erofs root, dm-verity, unified kernel image, ESP, GPT.
//!
//! Writes `target/images/<board>/` with `exam-station-<board>.img`, its `.bmap` and `SHA256SUMS`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use crate::recipe::{self, MIRRORS};
use crate::run::step;
use crate::{deps, disk, run, vm};

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

/// Boards that have an image recipe.
const BOARDS: &[&str] = &["x86_64-uefi"];

/// The project's binaries installed in the image (`/usr/bin`).
const BINARIES: &[&str] = &["stationd", "stationctl", "uplinkd", "exam-proxy"];

/// Recipe files that make up the root file system's cache key.
const ROOTFS_FILES: &[&str] = &["packages", "dracut.conf"];

/// Where the dracut configuration goes (before the kernel is installed, so its initrd uses it).
const DRACUT_CONF: &str = "/etc/dracut.conf.d/50-exam-station.conf";

/// A built image.
pub struct Built {
    /// The raw disk image.
    pub img: PathBuf,
}

/// The recipe folder of `board`.
pub fn recipe_dir(board: &str) -> PathBuf {
    run::root().join("images").join(board)
}

/// The cache key of the board's root file system.
fn rootfs_hash(board: &str) -> Result<String, String> {
    let extra: Vec<&str> = MIRRORS
        .iter()
        .chain(vm::BUILD_OPTIONS)
        .chain([&DRACUT_CONF])
        .copied()
        .collect();
    recipe::hash(&recipe_dir(board), ROOTFS_FILES, &extra)
}

/// Returns the cached Debian root file system of `board`, building it when missing.
fn ensure_rootfs(board: &str, t0: Instant) -> Result<PathBuf, String> {
    let base = run::root().join("target/image-rootfs").join(board);
    let dir = base.join(rootfs_hash(board)?);
    if dir.join("ready").exists() {
        step(t0, &format!("rootfs: cached at {}", dir.display()));
        return Ok(dir.join("rootfs"));
    }
    let started = Instant::now();
    let tmp = base.join("building");
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).map_err(|e| format!("{}: {e}", tmp.display()))?;
    let rootfs = tmp.join("rootfs");
    step(t0, "rootfs: mmdebstrap bookworm (a few minutes)");
    let packages = recipe::read_list(&recipe_dir(board).join("packages"))?;
    let dracut = recipe_dir(board).join("dracut.conf");
    run::status(
        Command::new("mmdebstrap")
            .args(vm::BUILD_OPTIONS)
            .arg("--essential-hook=mkdir -p \"$1/etc/dracut.conf.d\"")
            .arg(format!(
                "--essential-hook=upload {} {DRACUT_CONF}",
                dracut.display()
            ))
            .arg(format!("--include={}", packages.join(",")))
            .arg("--quiet")
            .arg("bookworm")
            .arg(&rootfs)
            .args(MIRRORS),
    )
    .map_err(|e| format!("rootfs of {board}: {e}"))?;
    crate::recipe::commit_entry(&base, &tmp, &dir)?;
    step(
        t0,
        &format!("rootfs: built in {:.0} s", started.elapsed().as_secs_f64()),
    );
    Ok(dir.join("rootfs"))
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
fn install_product(board: &str, staging: &Path, profile: &str, site: &Path) -> Result<(), String> {
    let root = run::root();
    for bin in BINARIES {
        let from = root.join("target").join(profile).join(bin);
        let to = staging.join("usr/bin").join(bin);
        run::status(
            Command::new("strip")
                .arg("--strip-debug")
                .arg("-o")
                .arg(&to)
                .arg(&from),
        )
        .map_err(|e| format!("install {}: {e}", from.display()))?;
    }
    copy_tree(&root.join("systemd"), staging)?;
    copy_tree(&recipe_dir(board).join("overlay"), staging)?;
    let etc = staging.join("etc/station");
    std::fs::create_dir_all(&etc).map_err(|e| format!("{}: {e}", etc.display()))?;
    for (from, to) in [
        (
            root.join("board-config/boards")
                .join(format!("{board}.toml")),
            "board.toml",
        ),
        (site.to_path_buf(), "station.toml"),
    ] {
        std::fs::copy(&from, etc.join(to))
            .map_err(|e| format!("install {} as /etc/station/{to}: {e}", from.display()))?;
    }
    run::status(Command::new("systemd-sysusers").arg("--root").arg(staging))
        .map_err(|e| format!("users of the image: {e}"))?;
    for op in recipe::read_list(&recipe_dir(board).join("units"))? {
        run::status(
            Command::new("systemctl")
                .arg("--root")
                .arg(staging)
                .args(op.split_whitespace()),
        )
        .map_err(|e| format!("images/{board}/units: `{op}`: {e}"))?;
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
    if !BOARDS.contains(&board) {
        return Err(format!(
            "no image recipe for board {board:?} (have: {})",
            BOARDS.join(", ")
        ));
    }
    let t0 = Instant::now();
    step(t0, "host packages");
    deps::ensure(&[deps::BUILD, HOST])?;
    if let Some(keys) = sign_with {
        crate::secureboot::check_keys(keys)?;
    }
    let profile = if release { "release" } else { "debug" };
    // The binaries build while mmdebstrap builds the root file system (one cargo, one apt).
    step(
        t0,
        &format!(
            "cargo build -p station -p uplink -p exam-proxy --bins ({profile}), in the background"
        ),
    );
    let mut building = binaries(release)
        .spawn()
        .map_err(|e| format!("could not start cargo build: {e}"))?;
    let rootfs = ensure_rootfs(board, t0);
    let built = building.wait().map_err(|e| format!("cargo build: {e}"))?;
    let rootfs = rootfs?;
    if !built.success() {
        return Err(format!(
            "cargo build -p station -p uplink -p exam-proxy --bins failed ({built})"
        ));
    }
    step(t0, "cargo build: done");
    let stationctl = run::root().join("target").join(profile).join("stationctl");
    run::status(
        Command::new(stationctl)
            .args(["site", "check", "--image"])
            .arg(site),
    )
    .map_err(|e| format!("--site {}: {e}", site.display()))?;
    let out = run::root().join("target/images").join(board);
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
    install_product(board, &staging, profile, site)?;
    let name = format!("exam-station-{board}");
    let img = disk::assemble(&disk::Inputs {
        recipe: recipe_dir(board),
        staging,
        work,
        img: out.join(format!("{name}.img")),
        t0,
        sign_with: sign_with.map(Path::to_path_buf),
    })?;
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
