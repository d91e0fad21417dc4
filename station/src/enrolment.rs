//! Installing the station's enrolled identity at boot: `stationctl identity install` reads the
//! identity `examctl enroll` wrote on the stick's identity partition (see
//! [`bundle::stick`]), checks it, and writes it where stationd and uplinkd read it
//! ([`bundle::spool::identity_dir`]): `identity.toml` and the upload credentials
//! `uplink.toml`, both 0600 and owned by the `station` user. With a TPM the identity is sealed
//! to it on the first boot and wiped from the stick (see [`crate::tpm`]); later boots unseal it.

use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use anyhow::Context;
use board_config::{Identity, CREDENTIALS_FILE, IDENTITY_FILE};

/// The identity partition as udev names it.
pub const IDENTITY_PARTITION: &str = "/dev/disk/by-partlabel/identity";

/// The user the files are handed to (stationd and uplinkd run as it).
const OWNER: &str = "station";

/// The identity on the stick `from` (the identity partition, or a whole disk with one): where
/// its partition lies, its text, and the identity parsed and checked; `None` when the
/// partition is blank.
fn on_stick(from: &Path) -> anyhow::Result<Option<(bundle::stick::Partition, String, Identity)>> {
    let part = bundle::stick::locate(from)?;
    let Some(text) = bundle::stick::read_identity(from, part)? else {
        return Ok(None);
    };
    let origin = PathBuf::from(format!("{} (identity partition)", from.display()));
    let id = board_config::parse_identity(&text, &origin)?;
    Ok(Some((part, text, id)))
}

/// Reads and checks the identity on `from` (the identity partition, or a whole disk with
/// one); `None` when the partition is blank (the stick was never enrolled).
pub fn read(from: &Path) -> anyhow::Result<Option<Identity>> {
    Ok(on_stick(from)?.map(|(_, _, id)| id))
}

/// Writes `text` to `path` (mode 0600) through a temporary file and a rename.
fn write_private(path: &Path, text: &str, owner: Option<u32>) -> anyhow::Result<()> {
    write_private_bytes(path, text.as_bytes(), owner)
}

/// [`write_private`] of bytes.
fn write_private_bytes(path: &Path, bytes: &[u8], owner: Option<u32>) -> anyhow::Result<()> {
    use std::io::Write;
    let tmp = path.with_extension("tmp");
    let _ = std::fs::remove_file(&tmp);
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&tmp)
        .with_context(|| tmp.display().to_string())?;
    f.write_all(bytes)
        .and_then(|_| f.sync_all())
        .with_context(|| tmp.display().to_string())?;
    if let Some(uid) = owner {
        std::os::unix::fs::chown(&tmp, Some(uid), None)
            .with_context(|| format!("chown {}", tmp.display()))?;
    }
    std::fs::rename(&tmp, path).with_context(|| path.display().to_string())
}

/// Where the identity came from this boot (the readiness card says it; [`SEALING_FILE`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sealing {
    /// Read from the stick and sealed to this machine's TPM now; the stick's copy wiped.
    SealedNow,
    /// Unsealed from the data partition with this machine's TPM.
    Unsealed,
    /// In clear on the stick: this machine has no TPM.
    Clear,
}

impl Sealing {
    /// The word written to [`SEALING_FILE`].
    pub fn word(self) -> &'static str {
        match self {
            Sealing::SealedNow | Sealing::Unsealed => "tpm",
            Sealing::Clear => "clear",
        }
    }
}

/// The file in the identity folder that says how the identity is kept (`tpm` or `clear`).
pub const SEALING_FILE: &str = "sealing";

/// What [`install`] works with.
pub struct Install<'a> {
    /// The identity partition, or a whole disk with one.
    pub from: &'a Path,
    /// The identity folder written.
    pub out: &'a Path,
    /// The sysfs root (machine id).
    pub sys: &'a Path,
    /// Where the sealed identity is kept (on the data partition).
    pub sealed: &'a Path,
    /// The TPM.
    pub tpm: &'a dyn crate::tpm::Sealer,
}

/// The identity of this boot: the stick's (sealed to the TPM now, when there is one), or the
/// one sealed on an earlier boot.
fn identity_of_boot(i: &Install) -> anyhow::Result<Option<(Identity, Sealing)>> {
    if let Some((part, text, id)) = on_stick(i.from)? {
        if !i.tpm.available() {
            return Ok(Some((id, Sealing::Clear)));
        }
        // A TPM that cannot seal (or give back what it sealed) leaves the identity on the stick.
        let blob = match i.tpm.seal(&text).and_then(|b| {
            anyhow::ensure!(
                i.tpm.unseal(&b)? == text,
                "the TPM did not give back what it sealed"
            );
            Ok(b)
        }) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("identity: not sealed, kept on the stick: {e:#}");
                return Ok(Some((id, Sealing::Clear)));
            }
        };
        write_private_bytes(i.sealed, &blob, None)?;
        // Only once the sealed copy is safely on the data partition.
        bundle::stick::write_identity(i.from, part, "")?;
        return Ok(Some((id, Sealing::SealedNow)));
    }
    if !i.sealed.exists() {
        return Ok(None);
    }
    let blob = std::fs::read(i.sealed).with_context(|| i.sealed.display().to_string())?;
    let text = i.tpm.unseal(&blob).with_context(|| {
        format!(
            "{}: this stick's identity is sealed to another machine's TPM, or this machine's TPM was cleared: enrol the stick again",
            i.sealed.display()
        )
    })?;
    let origin = PathBuf::from(format!("{} (sealed identity)", i.sealed.display()));
    let id = board_config::parse_identity(&text, &origin)?;
    Ok(Some((id, Sealing::Unsealed)))
}

/// Installs the identity into `i.out`, with the machine id read under `i.sys`; returns it and
/// how it is kept (`None`: not enrolled, only the machine id written). Run as root, the files
/// go to the `station` user.
pub fn install(i: &Install) -> anyhow::Result<Option<(Identity, Sealing)>> {
    let owner = crate::station::user_uid(OWNER).filter(|_| is_root());
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(i.out)
        .with_context(|| i.out.display().to_string())?;
    if let Some(uid) = owner {
        std::os::unix::fs::chown(i.out, Some(uid), None)
            .with_context(|| format!("chown {}", i.out.display()))?;
    }
    // The machine's id goes into every manifest, enrolled or not (root reads the UUID).
    if let Some(machine) = crate::platform::machine_id(i.sys) {
        write_private(
            &i.out.join(crate::platform::MACHINE_FILE),
            &format!("{machine}\n"),
            owner,
        )?;
    }
    let Some((id, sealing)) = identity_of_boot(i)? else {
        return Ok(None);
    };
    write_private(&i.out.join(CREDENTIALS_FILE), &id.credentials_toml(), owner)?;
    write_private(&i.out.join(IDENTITY_FILE), &id.to_toml(), owner)?;
    write_private(&i.out.join(SEALING_FILE), sealing.word(), owner)?;
    Ok(Some((id, sealing)))
}

/// The file in the identity folder that says why the identity could not be installed (the
/// readiness card then blocks exams with it).
pub const ERROR_FILE: &str = "error";

/// Records why the install failed, for the readiness card (best effort: the service's own
/// failure is in the journal anyway).
pub fn record_error(out: &Path, e: &anyhow::Error) {
    let owner = crate::station::user_uid(OWNER).filter(|_| is_root());
    let _ = std::fs::create_dir_all(out);
    let _ = write_private(&out.join(ERROR_FILE), &format!("{e:#}"), owner);
}

/// Why the identity in `dir` could not be installed this boot, if so.
pub fn install_error(dir: &Path) -> Option<String> {
    std::fs::read_to_string(dir.join(ERROR_FILE)).ok()
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}
