//! The boards that have an image: which root file system each is built on (Debian release,
//! architecture, recipe folder) and how its firmware starts it.
//!
//! Recipes live under `images/`: `common/` (unit operations, overlay, partition definitions:
//! the same for every board), one folder per root file system (`x86_64-uefi/` for PCs,
//! `arm64/` for both Raspberry Pi boards: `packages`, `dracut.conf`) and one per board (its
//! `cmdline`, `loader.conf` and, on a Pi, `config.txt`). Both Pis share one root: the
//! trixie-backports kernel is the first Debian kernel that runs a Pi 5 and it runs a Pi 4 too,
//! so a single arm64 root is built, cached and tested.

use std::path::PathBuf;

use crate::recipe::MIRRORS;
use crate::run;

/// Debian sources of the arm64 root: trixie, with its backports for the kernel.
pub const TRIXIE: &[&str] = &[
    "deb http://deb.debian.org/debian trixie main",
    "deb http://deb.debian.org/debian trixie-updates main",
    "deb http://deb.debian.org/debian-security trixie-security main",
    "deb http://deb.debian.org/debian trixie-backports main",
];

/// A CPU architecture of the images.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Arch {
    /// PCs.
    Amd64,
    /// Raspberry Pi 4 and 5 (and any arm64 UEFI machine).
    Arm64,
}

impl Arch {
    /// Debian's name of the architecture.
    pub fn debian(self) -> &'static str {
        match self {
            Arch::Amd64 => "amd64",
            Arch::Arm64 => "arm64",
        }
    }

    /// The UEFI name suffix (`BOOTX64.EFI`, `systemd-bootaa64.efi`).
    pub fn efi(self) -> &'static str {
        match self {
            Arch::Amd64 => "x64",
            Arch::Arm64 => "aa64",
        }
    }

    /// systemd-repart's partition type of the root file system.
    pub fn root_type(self) -> &'static str {
        match self {
            Arch::Amd64 => "root-x86-64",
            Arch::Arm64 => "root-arm64",
        }
    }
}

/// A root file system recipe.
pub struct Root {
    /// Its folder under `images/` (`packages`, `dracut.conf`).
    pub folder: &'static str,
    /// Debian release.
    pub suite: &'static str,
    /// Architecture.
    pub arch: Arch,
    /// Debian sources.
    pub mirrors: &'static [&'static str],
}

/// Which Raspberry Pi a board is (its firmware files differ).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Pi {
    /// Pi 4 (and 400, CM4): firmware start4.elf -> U-Boot -> systemd-boot -> UKI.
    Four,
    /// Pi 5: EEPROM firmware -> config.txt -> kernel, initramfs, device tree.
    Five,
}

/// A board with an image.
pub struct Board {
    /// Board name (`board-config/boards/<name>.toml`, `images/<name>/`).
    pub name: &'static str,
    /// Its root file system.
    pub root: &'static Root,
    /// The Raspberry Pi it is, if it is one.
    pub pi: Option<Pi>,
}

const PC: Root = Root {
    folder: "x86_64-uefi",
    suite: "bookworm",
    arch: Arch::Amd64,
    mirrors: MIRRORS,
};

const ARM64: Root = Root {
    folder: "arm64",
    suite: "trixie",
    arch: Arch::Arm64,
    mirrors: TRIXIE,
};

/// Every board with an image.
pub const BOARDS: &[Board] = &[
    Board {
        name: "x86_64-uefi",
        root: &PC,
        pi: None,
    },
    Board {
        name: "rpi5",
        root: &ARM64,
        pi: Some(Pi::Five),
    },
    Board {
        name: "rpi4",
        root: &ARM64,
        pi: Some(Pi::Four),
    },
];

/// The board called `name`, or an error listing the boards.
pub fn find(name: &str) -> Result<&'static Board, String> {
    BOARDS.iter().find(|b| b.name == name).ok_or_else(|| {
        let names: Vec<&str> = BOARDS.iter().map(|b| b.name).collect();
        format!(
            "no image recipe for board {name:?} (have: {})",
            names.join(", ")
        )
    })
}

/// `images/<name>`.
pub fn folder(name: &str) -> PathBuf {
    run::root().join("images").join(name)
}

impl Board {
    /// The board's own recipe folder (`cmdline`, `loader.conf`, `config.txt`).
    pub fn dir(&self) -> PathBuf {
        folder(self.name)
    }

    /// Its root file system's recipe folder.
    pub fn root_dir(&self) -> PathBuf {
        folder(self.root.folder)
    }
}
