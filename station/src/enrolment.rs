//! Installing the station's enrolled identity at boot: `stationctl identity install` reads the
//! identity `examctl enroll` wrote on the stick's identity partition (see
//! [`bundle::stick`]), checks it, and writes it where stationd and uplinkd read it
//! ([`bundle::spool::identity_dir`]): `identity.toml` and the upload credentials
//! `uplink.toml`, both 0600 and owned by the `station` user.

use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use anyhow::Context;
use board_config::{Identity, CREDENTIALS_FILE, IDENTITY_FILE};

/// The identity partition as udev names it.
pub const IDENTITY_PARTITION: &str = "/dev/disk/by-partlabel/identity";

/// The user the files are handed to (stationd and uplinkd run as it).
const OWNER: &str = "station";

/// Reads and checks the identity on `from` (the identity partition, or a whole disk with
/// one); `None` when the partition is blank (the stick was never enrolled).
pub fn read(from: &Path) -> anyhow::Result<Option<Identity>> {
    let part = bundle::stick::locate(from)?;
    let Some(text) = bundle::stick::read_identity(from, part)? else {
        return Ok(None);
    };
    let origin = PathBuf::from(format!("{} (identity partition)", from.display()));
    Ok(Some(board_config::parse_identity(&text, &origin)?))
}

/// Writes `text` to `path` (mode 0600) through a temporary file and a rename.
fn write_private(path: &Path, text: &str, owner: Option<u32>) -> anyhow::Result<()> {
    use std::io::Write;
    let tmp = path.with_extension("tmp");
    let _ = std::fs::remove_file(&tmp);
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&tmp)
        .with_context(|| tmp.display().to_string())?;
    f.write_all(text.as_bytes())
        .and_then(|_| f.sync_all())
        .with_context(|| tmp.display().to_string())?;
    if let Some(uid) = owner {
        std::os::unix::fs::chown(&tmp, Some(uid), None)
            .with_context(|| format!("chown {}", tmp.display()))?;
    }
    std::fs::rename(&tmp, path).with_context(|| path.display().to_string())
}

/// Installs the identity on `from` into `out`, with the machine id read under `sys`; returns
/// the identity (`None`: not enrolled, only the machine id written). Run as root, the files go
/// to the `station` user.
pub fn install(from: &Path, out: &Path, sys: &Path) -> anyhow::Result<Option<Identity>> {
    let id = read(from)?;
    let owner = crate::station::user_uid(OWNER).filter(|_| is_root());
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(out)
        .with_context(|| out.display().to_string())?;
    if let Some(uid) = owner {
        std::os::unix::fs::chown(out, Some(uid), None)
            .with_context(|| format!("chown {}", out.display()))?;
    }
    // The machine's id goes into every manifest, enrolled or not (root reads the UUID).
    if let Some(machine) = crate::platform::machine_id(sys) {
        write_private(
            &out.join(crate::platform::MACHINE_FILE),
            &format!("{machine}\n"),
            owner,
        )?;
    }
    let Some(id) = id else {
        return Ok(None);
    };
    write_private(&out.join(CREDENTIALS_FILE), &id.credentials_toml(), owner)?;
    write_private(&out.join(IDENTITY_FILE), &id.to_toml(), owner)?;
    Ok(Some(id))
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}
