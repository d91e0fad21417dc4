//! The identity partition of a station's stick: a small raw GPT partition labelled
//! [`IDENTITY_LABEL`] that `examctl enroll` fills with the station's identity (TOML text,
//! NUL-padded) and the station reads at boot. No file system: nothing to mount, nothing for a
//! tool to get wrong, and a copy of the stick carries the same bytes.
//!
//! [`locate`] takes either a whole disk (image file or `/dev/sdX`: the GPT is read to find
//! the partition) or the partition itself (`/dev/disk/by-partlabel/identity`).

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

use crate::Error;

/// The GPT partition name of the identity partition.
pub const IDENTITY_LABEL: &str = "identity";

/// The most bytes of identity text read or written.
pub const IDENTITY_MAX: usize = 64 * 1024;

/// How much of a disk's start is read to find its partitions (header and 128 entries of
/// 128 bytes fit in 34 sectors of 4096 bytes).
const HEAD: usize = 34 * 4096;

/// Where a partition lies on its disk, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Partition {
    /// Offset from the disk's start.
    pub offset: u64,
    /// Length.
    pub len: u64,
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

/// The sector size whose LBA 1 holds a GPT header in `head`, if any.
fn gpt_sector(head: &[u8]) -> Option<usize> {
    [512usize, 4096]
        .into_iter()
        .find(|s| head.get(*s..*s + 8) == Some(b"EFI PART"))
}

/// The named partitions of the GPT at the start of a disk (`head`: its first bytes, the
/// header and entry array included). Errors say what is malformed.
pub fn partitions(head: &[u8]) -> Result<Vec<(String, Partition)>, String> {
    let sector = gpt_sector(head).ok_or("no GPT header (\"EFI PART\") at LBA 1")?;
    let h = &head[sector..];
    let bad = |what: &str| format!("GPT header: {what}");
    let entries_lba = u64_at(h, 72).ok_or_else(|| bad("truncated"))?;
    let count = u32_at(h, 80).ok_or_else(|| bad("truncated"))? as usize;
    let size = u32_at(h, 84).ok_or_else(|| bad("truncated"))? as usize;
    if !(128..=4096).contains(&size) || !size.is_multiple_of(8) {
        return Err(bad(&format!("entry size {size}")));
    }
    if count > 1024 {
        return Err(bad(&format!("{count} entries")));
    }
    let start = usize::try_from(entries_lba)
        .ok()
        .and_then(|l| l.checked_mul(sector))
        .ok_or_else(|| bad(&format!("entries at LBA {entries_lba}")))?;
    let mut out = Vec::new();
    for i in 0..count {
        let at = start + i * size;
        let Some(e) = head.get(at..at + size) else {
            return Err(bad(&format!(
                "entry {i} at byte {at} lies beyond the first {} bytes",
                head.len()
            )));
        };
        if e[..16].iter().all(|b| *b == 0) {
            continue; // unused entry
        }
        let (first, last) = (u64_at(e, 32).unwrap_or(0), u64_at(e, 40).unwrap_or(0));
        let units: Vec<u16> = e[56..128]
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .take_while(|u| *u != 0)
            .collect();
        let name = String::from_utf16_lossy(&units);
        let sector = sector as u64;
        let (Some(offset), Some(end)) = (
            first.checked_mul(sector),
            last.checked_add(1).and_then(|l| l.checked_mul(sector)),
        ) else {
            return Err(format!(
                "GPT entry {i} ({name:?}): LBA {first}..{last} out of range"
            ));
        };
        if end <= offset {
            return Err(format!(
                "GPT entry {i} ({name:?}): ends at LBA {last} before it starts at {first}"
            ));
        }
        out.push((
            name,
            Partition {
                offset,
                len: end - offset,
            },
        ));
    }
    Ok(out)
}

/// The byte length of an open file or block device.
fn length(f: &mut File, path: &Path) -> Result<u64, Error> {
    f.seek(SeekFrom::End(0)).map_err(|e| Error::io(path, e))
}

/// Where the identity partition of `path` lies: found in its GPT when `path` is a whole disk,
/// else `path` is the partition itself.
pub fn locate(path: &Path) -> Result<Partition, Error> {
    let mut f = File::open(path).map_err(|e| Error::io(path, e))?;
    let len = length(&mut f, path)?;
    let mut head = vec![0u8; HEAD.min(usize::try_from(len).unwrap_or(HEAD))];
    f.seek(SeekFrom::Start(0))
        .and_then(|_| f.read_exact(&mut head))
        .map_err(|e| Error::io(path, e))?;
    if gpt_sector(&head).is_none() {
        return Ok(Partition { offset: 0, len });
    }
    let parts = partitions(&head).map_err(|e| Error::Format(format!("{}: {e}", path.display())))?;
    parts
        .into_iter()
        .find(|(name, _)| name == IDENTITY_LABEL)
        .map(|(_, p)| p)
        .ok_or_else(|| {
            Error::Format(format!(
                "{}: no partition labelled {IDENTITY_LABEL:?}: not an exam station image, or one made before stations were enrolled",
                path.display()
            ))
        })
}

/// The identity text in partition `p` of `path`; `None` when it is blank (never enrolled).
pub fn read_identity(path: &Path, p: Partition) -> Result<Option<String>, Error> {
    let mut f = File::open(path).map_err(|e| Error::io(path, e))?;
    let n = IDENTITY_MAX.min(usize::try_from(p.len).unwrap_or(IDENTITY_MAX));
    let mut buf = vec![0u8; n];
    f.seek(SeekFrom::Start(p.offset))
        .and_then(|_| f.read_exact(&mut buf))
        .map_err(|e| Error::io(path, e))?;
    let end = buf.iter().position(|b| *b == 0).unwrap_or(buf.len());
    if end == 0 {
        return Ok(None);
    }
    if end == buf.len() {
        return Err(Error::Format(format!(
            "{}: the identity partition holds {n} bytes without an end: not an identity written by examctl enroll",
            path.display()
        )));
    }
    String::from_utf8(buf[..end].to_vec()).map(Some).map_err(|_| {
        Error::Format(format!(
            "{}: the identity partition does not hold text: not an identity written by examctl enroll",
            path.display()
        ))
    })
}

/// Writes `text` into partition `p` of `path` (NUL-padded to [`IDENTITY_MAX`]) and flushes it
/// to the device.
pub fn write_identity(path: &Path, p: Partition, text: &str) -> Result<(), Error> {
    let room = IDENTITY_MAX.min(usize::try_from(p.len).unwrap_or(IDENTITY_MAX));
    if text.len() >= room || text.as_bytes().contains(&0) {
        return Err(Error::Format(format!(
            "identity of {} bytes does not fit the {room} bytes of the identity partition",
            text.len()
        )));
    }
    let mut buf = text.as_bytes().to_vec();
    buf.resize(room, 0);
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .map_err(|e| Error::io(path, e))?;
    f.seek(SeekFrom::Start(p.offset))
        .and_then(|_| f.write_all(&buf))
        .and_then(|_| f.sync_all())
        .map_err(|e| Error::io(path, e))
}

/// Writes a disk file of `sectors` 512-byte sectors whose GPT (header at LBA 1, entries from
/// LBA 2) lists `parts` as `(name, first LBA, last LBA)`: what [`partitions`] reads, without a
/// protective MBR, backup header or checksums. For tests of enrolment.
#[cfg(any(test, feature = "test-disk"))]
pub fn write_test_disk(
    path: &Path,
    sectors: u64,
    parts: &[(&str, u64, u64)],
) -> std::io::Result<()> {
    let mut head = vec![0u8; 34 * 512];
    head[512..520].copy_from_slice(b"EFI PART");
    head[512 + 72..512 + 80].copy_from_slice(&2u64.to_le_bytes());
    head[512 + 80..512 + 84].copy_from_slice(&128u32.to_le_bytes());
    head[512 + 84..512 + 88].copy_from_slice(&128u32.to_le_bytes());
    for (i, (name, first, last)) in parts.iter().enumerate() {
        let e = &mut head[1024 + i * 128..1024 + (i + 1) * 128];
        e[..16].copy_from_slice(b"linux-generic-ty");
        e[16] = i as u8 + 1;
        e[32..40].copy_from_slice(&first.to_le_bytes());
        e[40..48].copy_from_slice(&last.to_le_bytes());
        for (j, u) in name.encode_utf16().take(36).enumerate() {
            e[56 + 2 * j..58 + 2 * j].copy_from_slice(&u.to_le_bytes());
        }
    }
    let f = File::create(path)?;
    f.set_len(sectors * 512)?;
    (&f).write_all(&head)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_identity_partition_reads_blank_writes_and_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let disk = dir.path().join("stick.img");
        write_test_disk(
            &disk,
            8192,
            &[("ESP", 2048, 4095), (IDENTITY_LABEL, 4096, 6143)],
        )
        .unwrap();
        let p = locate(&disk).unwrap();
        assert_eq!(
            p,
            Partition {
                offset: 4096 * 512,
                len: 2048 * 512
            }
        );
        assert_eq!(read_identity(&disk, p).unwrap(), None, "blank");
        write_identity(&disk, p, "[station]\nid = \"a\"\n").unwrap();
        assert_eq!(
            read_identity(&disk, p).unwrap().as_deref(),
            Some("[station]\nid = \"a\"\n")
        );
        // A shorter identity replaces a longer one whole.
        write_identity(&disk, p, "x").unwrap();
        assert_eq!(read_identity(&disk, p).unwrap().as_deref(), Some("x"));
    }

    #[test]
    fn the_partition_itself_is_read_from_its_start() {
        let dir = tempfile::tempdir().unwrap();
        let part = dir.path().join("identity");
        std::fs::write(&part, vec![0u8; 4096]).unwrap();
        assert_eq!(
            locate(&part).unwrap(),
            Partition {
                offset: 0,
                len: 4096
            }
        );
        write_identity(&part, locate(&part).unwrap(), "id").unwrap();
        assert_eq!(
            read_identity(&part, locate(&part).unwrap())
                .unwrap()
                .as_deref(),
            Some("id")
        );
    }

    #[test]
    fn a_disk_without_an_identity_partition_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let disk = dir.path().join("old.img");
        write_test_disk(&disk, 4096, &[("ESP", 2048, 4095)]).unwrap();
        let e = locate(&disk).unwrap_err().to_string();
        assert!(e.contains("no partition labelled \"identity\""), "{e}");
        assert!(e.contains("old.img"), "{e}");
    }

    #[test]
    fn garbage_in_the_partition_is_refused_not_taken_for_an_identity() {
        let dir = tempfile::tempdir().unwrap();
        let part = dir.path().join("identity");
        std::fs::write(&part, vec![0xffu8; 4096]).unwrap();
        let e = read_identity(&part, locate(&part).unwrap())
            .unwrap_err()
            .to_string();
        assert!(e.contains("without an end"), "{e}");
        std::fs::write(&part, [0xff, 0xfe, 0]).unwrap();
        let e = read_identity(&part, locate(&part).unwrap())
            .unwrap_err()
            .to_string();
        assert!(e.contains("does not hold text"), "{e}");
    }

    #[test]
    fn malformed_tables_are_errors_not_panics() {
        let mut head = vec![0u8; 34 * 512];
        head[512..520].copy_from_slice(b"EFI PART");
        head[512 + 84..512 + 88].copy_from_slice(&100u32.to_le_bytes());
        assert!(partitions(&head).unwrap_err().contains("entry size 100"));
        head[512 + 84..512 + 88].copy_from_slice(&128u32.to_le_bytes());
        head[512 + 72..512 + 80].copy_from_slice(&u64::MAX.to_le_bytes());
        head[512 + 80..512 + 84].copy_from_slice(&1u32.to_le_bytes());
        assert!(partitions(&head).is_err());
        assert!(partitions(&[0u8; 100]).is_err());
    }
}
