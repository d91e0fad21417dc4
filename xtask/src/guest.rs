//! What a test adds to the product image it boots, through the 9p share (tag `hwtests`).
//!
//! The image itself carries nothing of the tests but one hook that nothing enables:
//! `station-test-share.service`, pulled in only by the kernel command line of a test boot
//! ([`crate::qemu::TEST_HOOK`]). It mounts the share and runs its `setup.sh`
//! (`xtask/guest/setup.sh`) before the station's services start: that loads the qemu board's
//! virtual-device modules, binds the qemu board over the image's, installs the store's CA and
//! upload credentials when the share has them, and starts `report.sh` once stationd is up:
//! the boot report, then the hw-tests when the share holds `run.sh`, then power off.

use std::path::{Path, PathBuf};

use crate::boards::Arch;
use crate::run;

/// The share's common files: `(source under the repository, name in the share)`.
const FILES: &[(&str, &str)] = &[
    ("xtask/guest/setup.sh", "setup.sh"),
    ("xtask/guest/report.sh", "report.sh"),
];

/// The qemu board of a machine: its virtual devices (and, on arm64, the simulated GPIO chip).
pub fn board_file(arch: Arch) -> &'static str {
    match arch {
        Arch::Amd64 => "board-config/boards/qemu-x86_64.toml",
        Arch::Arm64 => "board-config/boards/qemu-aarch64.toml",
    }
}

/// Fills `share` (created if missing) with what every test boot of an `arch` machine needs;
/// returns it.
pub fn share(share: &Path, arch: Arch) -> Result<PathBuf, String> {
    std::fs::create_dir_all(share).map_err(|e| format!("{}: {e}", share.display()))?;
    let root = run::root();
    for (from, to) in FILES.iter().chain(&[(board_file(arch), "board.toml")]) {
        let from = root.join(from);
        std::fs::copy(&from, share.join(to))
            .map_err(|e| format!("copy {} into the test share: {e}", from.display()))?;
    }
    Ok(share.to_path_buf())
}
