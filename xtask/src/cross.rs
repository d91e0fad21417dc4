//! `cargo xtask cross`: the station's binaries for aarch64 (the Raspberry Pi boards),
//! cross-built on this amd64 machine from Debian packages only, then run once each under
//! qemu-aarch64.
//!
//! rustup's toolchain here has no aarch64 standard library, and rustup's download host is not
//! one the project relies on. Debian's bookworm-security ships `rustc-web` and `cargo-web`
//! (1.96) with their standard library for both architectures, built for bookworm: they are
//! downloaded with a throwaway apt configuration and unpacked (never installed), with an arm64
//! sysroot of the -dev packages the -sys crates link (arm64 -dev packages cannot be installed
//! beside the amd64 ones). The lists are `images/cross-aarch64/{toolchain,sysroot}`; the
//! unpacked tree is cached under `target/tools/cross-aarch64/<hash of the lists>/`. The C side
//! is Debian's `gcc-aarch64-linux-gnu`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use crate::apt;
use crate::recipe::{self, MIRRORS};
use crate::run::{self, step};

/// Host packages: the cross C compiler and its libc, and qemu-user to run what was built.
pub const HOST: &[&str] = &[
    "gcc-aarch64-linux-gnu",
    "libc6-dev-arm64-cross",
    "qemu-user-static",
];

/// The Rust target.
pub const TARGET: &str = "aarch64-unknown-linux-gnu";

/// The binaries of an arm64 station, by package.
pub const BINARIES: &[(&str, &str)] = &[
    ("station", "stationd"),
    ("station", "stationctl"),
    ("uplink", "uplinkd"),
    ("exam-proxy", "exam-proxy"),
];

/// The unpacked toolchain and sysroot.
pub struct Cross {
    /// Debian's rustc and cargo, unpacked (`usr/bin/rustc`).
    pub rust: PathBuf,
    /// The arm64 sysroot (`usr/lib/aarch64-linux-gnu`, `usr/include`).
    pub sysroot: PathBuf,
}

fn recipe_dir() -> PathBuf {
    run::root().join("images/cross-aarch64")
}

/// Rewrites the absolute symlinks under `root` (e.g. `usr/lib/.../libfoo.so ->
/// /lib/.../libfoo.so.1`) to point inside it, so the linker follows them in the sysroot.
fn links_inside(root: &Path) -> Result<usize, String> {
    let mut n = 0;
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries = std::fs::read_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        for e in entries.flatten() {
            let p = e.path();
            let Ok(meta) = std::fs::symlink_metadata(&p) else {
                continue;
            };
            if meta.is_dir() {
                stack.push(p);
            } else if meta.file_type().is_symlink() {
                let target = std::fs::read_link(&p).map_err(|e| format!("{}: {e}", p.display()))?;
                if target.is_absolute() {
                    let inside = root.join(target.strip_prefix("/").unwrap_or(&target));
                    std::fs::remove_file(&p).map_err(|e| format!("{}: {e}", p.display()))?;
                    std::os::unix::fs::symlink(&inside, &p)
                        .map_err(|e| format!("{}: {e}", p.display()))?;
                    n += 1;
                }
            }
        }
    }
    Ok(n)
}

/// Downloads and unpacks the toolchain and the sysroot, or returns the cached ones.
pub fn ensure(t0: Instant) -> Result<Cross, String> {
    crate::deps::ensure(&[HOST])?;
    let lists = ["toolchain", "sysroot"];
    let base = run::root().join("target/tools/cross-aarch64");
    let dir = base.join(recipe::hash(&recipe_dir(), &lists, MIRRORS)?);
    let cross = Cross {
        rust: dir.join("rust"),
        sysroot: dir.join("sysroot"),
    };
    if dir.join("ready").exists() {
        return Ok(cross);
    }
    let tmp = base.join("building");
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp).map_err(|e| format!("{}: {e}", tmp.display()))?;
    }
    let conf = apt::config(&tmp.join("apt"), MIRRORS, &["amd64", "arm64"])?;
    run::quiet(apt::get(&conf).arg("update"))?;
    step(t0, "apt lists of bookworm (amd64, arm64) read");
    // The toolchain: exactly the listed packages (their other dependencies are the build
    // machine's own).
    let fetched = tmp.join("debs/toolchain");
    std::fs::create_dir_all(&fetched).map_err(|e| format!("{}: {e}", fetched.display()))?;
    let toolchain = recipe::read_list(&recipe_dir().join("toolchain"))?;
    run::quiet(
        apt::get(&conf)
            .current_dir(&fetched)
            .arg("download")
            .args(&toolchain),
    )?;
    // The sysroot: the listed packages and everything they depend on.
    let sysroot = recipe::read_list(&recipe_dir().join("sysroot"))?;
    let archives = tmp.join("apt/cache/archives");
    run::quiet(
        apt::get(&conf)
            .args(["install", "--download-only", "-y"])
            .args(&sysroot),
    )?;
    step(t0, "toolchain and sysroot packages downloaded");
    let rust = tmp.join("rust");
    let n = apt::unpack(&fetched, &rust)?;
    // The arm64 standard library goes into the toolchain's own sysroot, beside the amd64 one.
    let m = apt::unpack(&archives, &tmp.join("sysroot"))?;
    let links = links_inside(&tmp.join("sysroot"))?;
    step(
        t0,
        &format!("{n} toolchain and {m} sysroot packages unpacked ({links} links pointed inside the sysroot)"),
    );
    let _ = std::fs::remove_dir_all(tmp.join("apt"));
    let _ = std::fs::remove_dir_all(tmp.join("debs"));
    recipe::commit_entry(&base, &tmp, &dir)?;
    Ok(cross)
}

impl Cross {
    /// `LD_LIBRARY_PATH` for Debian's rustc and cargo (their own libraries and LLVM).
    fn library_path(&self) -> String {
        let lib = self.rust.join("usr/lib/x86_64-linux-gnu");
        lib.display().to_string()
    }

    /// `cargo build --release` of `args` for aarch64 with Debian's toolchain, into
    /// `target/cross/`.
    pub fn cargo(&self) -> Command {
        let s = self.sysroot.display();
        let mut c = Command::new(self.rust.join("usr/bin/cargo"));
        let link_args = format!(
            "-C link-arg=--sysroot={s} -C link-arg=-Wl,-rpath-link,{s}/usr/lib/aarch64-linux-gnu \
             -C link-arg=-Wl,-rpath-link,{s}/lib/aarch64-linux-gnu"
        );
        c.current_dir(run::root())
            .env("LD_LIBRARY_PATH", self.library_path())
            .env("RUSTC", self.rust.join("usr/bin/rustc"))
            .env("CARGO_TARGET_DIR", run::root().join("target/cross"))
            .env(
                "CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER",
                "aarch64-linux-gnu-gcc",
            )
            .env(
                "CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUSTFLAGS",
                link_args,
            )
            .env("CC_aarch64_unknown_linux_gnu", "aarch64-linux-gnu-gcc")
            .env("AR_aarch64_unknown_linux_gnu", "aarch64-linux-gnu-ar")
            .env("PKG_CONFIG_ALLOW_CROSS", "1")
            .env("PKG_CONFIG_SYSROOT_DIR", &self.sysroot)
            .env(
                "PKG_CONFIG_LIBDIR",
                format!("{s}/usr/lib/aarch64-linux-gnu/pkgconfig:{s}/usr/share/pkgconfig"),
            )
            .env(
                "BINDGEN_EXTRA_CLANG_ARGS_aarch64_unknown_linux_gnu",
                format!("--sysroot={s}"),
            );
        c
    }

    /// `cargo build --release` of the station's binaries ([`BINARIES`]) for aarch64.
    pub fn binaries(&self) -> Command {
        let mut cargo = self.cargo();
        cargo.args(["build", "--locked", "--release", "--target", TARGET]);
        let mut packages: Vec<&str> = BINARIES.iter().map(|(p, _)| *p).collect();
        packages.dedup();
        for p in packages {
            cargo.args(["-p", p]);
        }
        for (_, bin) in BINARIES {
            cargo.args(["--bin", bin]);
        }
        cargo
    }

    /// Where a cross-built binary is.
    pub fn binary(name: &str) -> PathBuf {
        run::root()
            .join("target/cross")
            .join(TARGET)
            .join("release")
            .join(name)
    }

    /// Runs `bin ARGS` under qemu-aarch64 with the sysroot's libraries; its output.
    pub fn run(&self, bin: &Path, args: &[&str]) -> Result<String, String> {
        run::output(
            Command::new("qemu-aarch64-static")
                .arg("-L")
                .arg(&self.sysroot)
                .arg(bin)
                .args(args),
        )
    }
}

/// `cargo xtask cross`: toolchain, sysroot, the binaries, each run once under qemu.
pub fn run(_args: &[String]) -> Result<(), String> {
    let t0 = Instant::now();
    let cross = ensure(t0)?;
    let rustc = run::output(
        Command::new(cross.rust.join("usr/bin/rustc"))
            .env("LD_LIBRARY_PATH", cross.library_path())
            .arg("--version"),
    )?;
    step(t0, &format!("cross toolchain: {}", rustc.trim()));
    let mut cargo = cross.binaries();
    run::status(&mut cargo)?;
    step(t0, "binaries built for aarch64");
    for (_, bin) in BINARIES {
        let path = Cross::binary(bin);
        let said = cross.run(&path, &["--version"])?;
        let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        eprintln!(
            "xtask cross: {} ({:.1} MB) under qemu-aarch64: {}",
            path.display(),
            size as f64 / 1e6,
            said.trim()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absolute_links_point_inside_the_sysroot() {
        let root = std::env::temp_dir().join(format!("xtask-links-{}", std::process::id()));
        let lib = root.join("usr/lib/aarch64-linux-gnu");
        std::fs::create_dir_all(&lib).unwrap();
        std::fs::create_dir_all(root.join("lib/aarch64-linux-gnu")).unwrap();
        std::fs::write(root.join("lib/aarch64-linux-gnu/libfoo.so.1"), b"x").unwrap();
        std::os::unix::fs::symlink("/lib/aarch64-linux-gnu/libfoo.so.1", lib.join("libfoo.so"))
            .unwrap();
        std::os::unix::fs::symlink("libfoo.so", lib.join("libbar.so")).unwrap();
        assert_eq!(links_inside(&root).unwrap(), 1, "only the absolute one");
        assert_eq!(std::fs::read(lib.join("libfoo.so")).unwrap(), b"x");
        assert_eq!(
            std::fs::read_link(lib.join("libbar.so")).unwrap(),
            Path::new("libfoo.so")
        );
        std::fs::remove_dir_all(&root).unwrap();
    }
}
