//! What the readiness card says of the machine's boot protection: whether the firmware booted
//! the station with Secure Boot enforced, and whether a TPM exists (read from sysfs).

use std::path::Path;

/// The EFI variable holding the Secure Boot state (4 attribute bytes, then 1 = on).
const SECURE_BOOT_VAR: &str =
    "firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c";

/// The readiness card's line on Secure Boot, read under `sys` (normally `/sys`).
pub fn secure_boot_line(sys: &Path) -> String {
    if !sys.join("firmware/efi").exists() {
        return "Secure Boot: not a UEFI boot".into();
    }
    match std::fs::read(sys.join(SECURE_BOOT_VAR)) {
        Ok(v) if v.get(4) == Some(&1) => "Secure Boot: on".into(),
        Ok(_) => "Secure Boot: OFF (the firmware runs any boot loader)".into(),
        Err(_) => "Secure Boot: OFF (not set up in the firmware)".into(),
    }
}

/// The readiness card's line on the TPM, read under `sys`.
pub fn tpm_line(sys: &Path) -> String {
    let found = std::fs::read_dir(sys.join("class/tpm"))
        .map(|d| d.flatten().count())
        .unwrap_or(0);
    if found > 0 {
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
    fn tpm_is_present_when_sysfs_lists_one() {
        let sys = tempfile::tempdir().unwrap();
        assert!(tpm_line(sys.path()).starts_with("TPM: none"));
        std::fs::create_dir_all(sys.path().join("class/tpm/tpm0")).unwrap();
        assert_eq!(tpm_line(sys.path()), "TPM: present");
    }
}
