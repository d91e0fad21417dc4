//! Debian packages fetched without touching the build machine's apt: a throwaway apt
//! configuration that sees other releases and architectures, downloads, and `dpkg -x`.
//! Used for the aarch64 cross toolchain and sysroot ([`crate::cross`]) and the Raspberry Pi
//! boot files ([`crate::piboot`]).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::run;

/// A throwaway apt configuration under `dir` that sees `mirrors` (`deb URL SUITE COMPONENTS`
/// lines) for the architectures `archs` (the first is apt's native one).
pub fn config(dir: &Path, mirrors: &[&str], archs: &[&str]) -> Result<PathBuf, String> {
    for d in ["etc", "state/lists/partial", "cache/archives/partial"] {
        let p = dir.join(d);
        std::fs::create_dir_all(&p).map_err(|e| format!("{}: {e}", p.display()))?;
    }
    let sources: String = mirrors
        .iter()
        .map(|m| {
            m.replacen(
                "deb ",
                &format!(
                    "deb [arch={} signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] ",
                    archs.join(",")
                ),
                1,
            ) + "\n"
        })
        .collect();
    let write = |p: PathBuf, text: &str| {
        std::fs::write(&p, text).map_err(|e| format!("{}: {e}", p.display()))
    };
    write(dir.join("etc/sources.list"), &sources)?;
    write(dir.join("state/status"), "")?;
    let d = dir.display();
    let all: String = archs.iter().map(|a| format!("\"{a}\"; ")).collect();
    let conf = dir.join("apt.conf");
    write(
        conf.clone(),
        &format!(
            "Dir::Etc \"{d}/etc\";\nDir::Etc::sourcelist \"{d}/etc/sources.list\";\n\
             Dir::Etc::sourceparts \"-\";\nDir::Etc::preferencesparts \"-\";\n\
             Dir::State \"{d}/state\";\nDir::State::status \"{d}/state/status\";\n\
             Dir::Cache \"{d}/cache\";\nAPT::Architecture \"{}\";\n\
             APT::Architectures {{ {all}}};\n\
             Debug::NoLocking \"true\";\nAPT::Install-Recommends \"false\";\n",
            archs[0]
        ),
    )?;
    Ok(conf)
}

/// `apt-get -q` with configuration `conf`.
pub fn get(conf: &Path) -> Command {
    let mut c = Command::new("apt-get");
    c.env("APT_CONFIG", conf).arg("-q");
    c
}

/// The `.deb` files of `dir`.
fn debs(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "deb"))
        .collect();
    v.sort();
    Ok(v)
}

/// Unpacks every `.deb` of `from` into `to` (`dpkg -x`); how many there were.
pub fn unpack(from: &Path, to: &Path) -> Result<usize, String> {
    let all = debs(from)?;
    for deb in &all {
        run::quiet(Command::new("dpkg").arg("-x").arg(deb).arg(to))?;
    }
    Ok(all.len())
}
