//! What the station knows of the machine and image it runs on: whether the firmware booted it
//! with Secure Boot enforced and whether a TPM exists (sysfs, for the readiness card), the
//! image's version (os-release) and the machine's id (for every manifest).

use std::path::Path;

/// The image's os-release.
pub const OS_RELEASE: &str = "/usr/lib/os-release";

/// The machine id file in the identity folder (written by `stationctl identity install`).
pub const MACHINE_FILE: &str = "machine";

/// The `IMAGE_VERSION` of the os-release file `path`; empty when absent.
pub fn image_version(path: &Path) -> String {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("IMAGE_VERSION="))
        .map(|v| v.trim().trim_matches('"').to_string())
        .unwrap_or_default()
}

/// The machine's id: the first 16 hex digits of the SHA-256 of its SMBIOS system UUID
/// (`sys`/class/dmi/id/product_uuid, readable by root only), so the UUID itself never leaves
/// the machine; `None` when the firmware has none (or all zeros, as some virtual machines).
pub fn machine_id(sys: &Path) -> Option<String> {
    use sha2::Digest;
    let uuid = std::fs::read_to_string(sys.join("class/dmi/id/product_uuid")).ok()?;
    let uuid = uuid.trim().to_ascii_lowercase();
    if uuid.is_empty() || uuid.chars().all(|c| c == '0' || c == '-') {
        return None;
    }
    Some(hex::encode(&sha2::Sha256::digest(uuid.as_bytes())[..8]))
}

/// The EFI variable holding the Secure Boot state (4 attribute bytes, then 1 = on).
const SECURE_BOOT_VAR: &str =
    "firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c";

/// The readiness card's line on Secure Boot, read under `sys` (normally `/sys`).
pub fn secure_boot_line(sys: &Path) -> String {
    match secure_boot(sys) {
        "on" => "Secure Boot: on".into(),
        "off" => "Secure Boot: OFF (the firmware runs any boot loader)".into(),
        "not set up" => "Secure Boot: OFF (not set up in the firmware)".into(),
        other => format!("Secure Boot: {other}"),
    }
}

/// Secure Boot as the firmware reports it under `sys`: `on`, `off`, `not set up` (no
/// SecureBoot variable) or `not a UEFI boot`.
pub fn secure_boot(sys: &Path) -> &'static str {
    if !sys.join("firmware/efi").exists() {
        return "not a UEFI boot";
    }
    match std::fs::read(sys.join(SECURE_BOOT_VAR)) {
        Ok(v) if v.get(4) == Some(&1) => "on",
        Ok(_) => "off",
        Err(_) => "not set up",
    }
}

/// Whether the kernel lists a TPM under `sys` (`class/tpm/tpm*`).
pub fn has_tpm(sys: &Path) -> bool {
    std::fs::read_dir(sys.join("class/tpm"))
        .map(|d| d.flatten().count() > 0)
        .unwrap_or(false)
}

/// The readiness card's line on the TPM, read under `sys`.
pub fn tpm_line(sys: &Path) -> String {
    if has_tpm(sys) {
        "TPM: present".into()
    } else {
        "TPM: none (the stick's identity is not bound to this machine)".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn var(sys: &Path, value: u8) {
        let p = sys.join(SECURE_BOOT_VAR);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, [6, 0, 0, 0, value]).unwrap();
    }

    #[test]
    fn secure_boot_state_comes_from_the_efi_variable() {
        let sys = tempfile::tempdir().unwrap();
        assert_eq!(secure_boot_line(sys.path()), "Secure Boot: not a UEFI boot");
        var(sys.path(), 0);
        assert!(secure_boot_line(sys.path()).starts_with("Secure Boot: OFF"));
        var(sys.path(), 1);
        assert_eq!(secure_boot_line(sys.path()), "Secure Boot: on");
    }

    #[test]
    fn image_version_and_machine_id() {
        let dir = tempfile::tempdir().unwrap();
        let os = dir.path().join("os-release");
        std::fs::write(
            &os,
            "ID=debian\nIMAGE_ID=exam-station\nIMAGE_VERSION=\"0.1.0+3f2a9c1e\"\n",
        )
        .unwrap();
        assert_eq!(image_version(&os), "0.1.0+3f2a9c1e");
        assert_eq!(image_version(&dir.path().join("none")), "");
        let uuid = dir.path().join("class/dmi/id/product_uuid");
        std::fs::create_dir_all(uuid.parent().unwrap()).unwrap();
        std::fs::write(&uuid, "00000000-0000-0000-0000-000000000000\n").unwrap();
        assert_eq!(machine_id(dir.path()), None, "all zeros is no id");
        std::fs::write(&uuid, "4C4C4544-0042-3510-8051-B4C04F4E3132\n").unwrap();
        let id = machine_id(dir.path()).unwrap();
        assert_eq!(id.len(), 16);
        assert!(!id.contains("4c4c"), "a hash, not the UUID");
    }

    #[test]
    fn tpm_is_present_when_sysfs_lists_one() {
        let sys = tempfile::tempdir().unwrap();
        assert!(tpm_line(sys.path()).starts_with("TPM: none"));
        std::fs::create_dir_all(sys.path().join("class/tpm/tpm0")).unwrap();
        assert_eq!(tpm_line(sys.path()), "TPM: present");
    }
}
