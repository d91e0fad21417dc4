//! Image recipes shared by the hw-tests guest ([`crate::vm`]) and the USB image
//! ([`crate::image`]): Debian sources, package lists and the cache key of a recipe.

use std::path::Path;

/// Debian sources of every image (kernel security updates come from bookworm-security).
pub const MIRRORS: &[&str] = &[
    "deb http://deb.debian.org/debian bookworm main",
    "deb http://deb.debian.org/debian bookworm-updates main",
    "deb http://deb.debian.org/debian-security bookworm-security main",
];

/// FNV-1a, 64 bits: enough to key a cache (std has no stable hash of its own).
pub fn fnv1a(data: &[u8], mut h: u64) -> u64 {
    for b in data {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x100_0000_01b3);
    }
    h
}

/// A cache key: a hash of the named files of `dir` (name and contents) and of `extra` strings.
pub fn hash(dir: &Path, files: &[&str], extra: &[&str]) -> Result<String, String> {
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    for f in files {
        let p = dir.join(f);
        let data = std::fs::read(&p).map_err(|e| format!("{}: {e}", p.display()))?;
        h = fnv1a(f.as_bytes(), h);
        h = fnv1a(&data, h);
    }
    for s in extra {
        h = fnv1a(s.as_bytes(), h);
    }
    Ok(format!("{h:016x}"))
}

/// The entries of a list file, one a line (`#` comments and blank lines dropped).
pub fn read_list(path: &Path) -> Result<Vec<String>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(text
        .lines()
        .map(|l| l.split('#').next().unwrap_or("").trim().to_string())
        .filter(|l| !l.is_empty())
        .collect())
}

/// Makes a freshly built cache entry `tmp` the entry `dir`: marks it ready, removes every other
/// entry of `base` (older recipes are dead weight) and renames it into place.
pub fn commit_entry(base: &Path, tmp: &Path, dir: &Path) -> Result<(), String> {
    std::fs::write(tmp.join("ready"), b"").map_err(|e| format!("{}: {e}", tmp.display()))?;
    if let Ok(entries) = std::fs::read_dir(base) {
        for e in entries.flatten() {
            if e.path() != tmp && e.file_type().map(|t| t.is_dir()).unwrap_or(false) {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
    }
    std::fs::rename(tmp, dir).map_err(|e| format!("{}: {e}", dir.display()))
}
