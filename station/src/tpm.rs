//! Sealing the station's identity to the machine's TPM. The first boot of an enrolled stick on
//! a machine with a TPM 2.0 seals the identity (signing key, upload credentials) with the TPM
//! into the data partition and wipes it from the stick's identity partition: from then on only
//! that machine's TPM can open it, so a copy of the stick made after its first boot carries no
//! usable identity. Without a TPM the identity stays in clear on the stick, and the readiness
//! card says so.
//!
//! One trait, [`Sealer`], with the Linux backend [`SystemdCreds`] (`systemd-creds encrypt
//! --with-key=tpm2`, bound to PCR 7, the Secure Boot state and keys: an image booted with Secure
//! Boot turned off, or under other keys, cannot unseal the station's key; so the Secure Boot key
//! is enrolled before a stick's first boot) and [`Simulated`] for logic tests. (systemd 252
//! seals to no PCR at all, but cannot unseal that: "TPM2 PCR bank invalid".)

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// What seals and unseals a secret with the machine's TPM.
pub trait Sealer {
    /// Whether a usable TPM 2.0 is there.
    fn available(&self) -> bool;
    /// The sealed form of `secret`.
    fn seal(&self, secret: &str) -> anyhow::Result<Vec<u8>>;
    /// The secret of a sealed `blob`; an error when this machine's TPM cannot open it.
    fn unseal(&self, blob: &[u8]) -> anyhow::Result<String>;
}

/// The credential's name (bound into the sealed blob).
const NAME: &str = "station-identity";

/// The TPM through `systemd-creds`.
pub struct SystemdCreds {
    /// The sysfs root (a TPM is `class/tpm/tpm*` there).
    pub sys: PathBuf,
}

impl SystemdCreds {
    fn run(&self, args: &[&str], input: &[u8]) -> anyhow::Result<Vec<u8>> {
        let mut child = Command::new("systemd-creds")
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| anyhow::anyhow!("systemd-creds: {e}"))?;
        if let Some(mut stdin) = child.stdin.take() {
            stdin.write_all(input)?;
        }
        let out = child.wait_with_output()?;
        if !out.status.success() {
            anyhow::bail!(
                "systemd-creds {}: {}",
                args.first().unwrap_or(&""),
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        Ok(out.stdout)
    }
}

impl Sealer for SystemdCreds {
    fn available(&self) -> bool {
        crate::platform::has_tpm(&self.sys) && Path::new("/dev/tpmrm0").exists()
    }

    fn seal(&self, secret: &str) -> anyhow::Result<Vec<u8>> {
        let name = format!("--name={NAME}");
        self.run(
            &[
                "encrypt",
                "--with-key=tpm2",
                "--tpm2-pcrs=7",
                &name,
                "-",
                "-",
            ],
            secret.as_bytes(),
        )
    }

    fn unseal(&self, blob: &[u8]) -> anyhow::Result<String> {
        let name = format!("--name={NAME}");
        let out = self.run(&["decrypt", &name, "-", "-"], blob)?;
        String::from_utf8(out).map_err(|_| anyhow::anyhow!("the unsealed identity is not text"))
    }
}

/// A machine's TPM in logic tests: seals by tagging the secret with the machine's name.
pub struct Simulated {
    /// The machine (a blob sealed on another one does not open).
    pub machine: String,
    /// Whether the machine has a TPM.
    pub present: bool,
}

impl Sealer for Simulated {
    fn available(&self) -> bool {
        self.present
    }

    fn seal(&self, secret: &str) -> anyhow::Result<Vec<u8>> {
        Ok(format!("{}\n{secret}", self.machine).into_bytes())
    }

    fn unseal(&self, blob: &[u8]) -> anyhow::Result<String> {
        let text = String::from_utf8_lossy(blob);
        match text.split_once('\n') {
            Some((m, secret)) if m == self.machine => Ok(secret.to_string()),
            _ => anyhow::bail!("sealed to another TPM"),
        }
    }
}

/// Where the sealed identity is kept: the data partition.
pub fn sealed_copy(data_dir: &Path) -> PathBuf {
    data_dir.join("identity.sealed")
}
