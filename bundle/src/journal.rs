//! The exam journal: an append-only, encrypted, hash-chained log of [`Record`]s.
//!
//! A journal is a series of segment files `journal-NNNNN.bin` in the exam folder, each a
//! [sealed stream](crate::seal) whose frames are postcard records. After a crash the key of the
//! open segment is gone with the process, so the station starts a new segment whose header links
//! to the old segment's head: the chain runs unbroken across segments.

use std::path::{Path, PathBuf};

use crate::event::{self, Event, Record, RECORD_MAX};
use crate::keys::{Identity, Recipient};
use crate::seal::{self, Hash, Scan, Tail};
use crate::Error;

/// File name of journal segment `index`.
pub fn segment_name(index: u32) -> String {
    format!("journal-{index:05}.bin")
}

/// The journal segments present in `dir`, in order.
pub fn segments(dir: &Path) -> Result<Vec<PathBuf>, Error> {
    let mut v: Vec<(u32, PathBuf)> = std::fs::read_dir(dir)
        .map_err(|e| Error::io(dir, e))?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let n = name
                .strip_prefix("journal-")?
                .strip_suffix(".bin")?
                .parse()
                .ok()?;
            Some((n, e.path()))
        })
        .collect();
    v.sort();
    Ok(v.into_iter().map(|(_, p)| p).collect())
}

/// Appends records to the exam's journal.
pub struct Writer {
    seal: seal::Writer,
    seq: u32,
    epoch: std::time::Instant,
    buf: [u8; RECORD_MAX],
}

impl Writer {
    /// Starts a new segment in `dir` (after any existing ones), linked to their head.
    /// `next_seq` continues the record numbering; `epoch` is the station's monotonic zero.
    pub fn open(
        dir: &Path,
        recipient: &Recipient,
        epoch: std::time::Instant,
    ) -> Result<Self, Error> {
        let existing = segments(dir)?;
        let (link, next_seq) = match existing.last() {
            None => ([0u8; 32], 0),
            Some(last) => {
                let s = seal::scan(last)?;
                let seq = existing
                    .iter()
                    .map(|p| seal::scan(p).map(|s| data_frames(&s)))
                    .sum::<Result<u64, _>>()?;
                (s.head, seq as u32)
            }
        };
        let path = dir.join(segment_name(existing.len() as u32));
        Ok(Writer {
            seal: seal::Writer::create(&path, recipient, link)?,
            seq: next_seq,
            epoch,
            buf: [0; RECORD_MAX],
        })
    }

    /// Appends `event` stamped with the current times; not yet durable (see [`sync`](Self::sync)).
    /// No heap allocation: the record is encoded into a fixed buffer.
    pub fn append(&mut self, event: Event) -> Result<(), Error> {
        let record = Record {
            seq: self.seq,
            wall_ms: now_ms(),
            mono_ms: self.epoch.elapsed().as_millis() as u64,
            event,
        };
        let n = event::encode(&record, &mut self.buf)?.len();
        self.seal.append(&self.buf[..n])?;
        self.seq += 1;
        Ok(())
    }

    /// Appends and syncs: for state changes and anything that must survive a power cut.
    pub fn append_sync(&mut self, event: Event) -> Result<(), Error> {
        self.append(event)?;
        self.sync()
    }

    /// Makes all appended records durable.
    pub fn sync(&mut self) -> Result<(), Error> {
        self.seal.sync()
    }

    /// Closes the segment; returns the journal's head hash.
    pub fn finish(self) -> Result<Hash, Error> {
        self.seal.finish()
    }
}

fn data_frames(s: &Scan) -> u64 {
    if s.tail == Tail::Closed {
        s.frames - 1
    } else {
        s.frames
    }
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// The verdict of [`verify`] on one journal file, without any key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Every record whole and chained.
    Intact { records: u64 },
    /// Whole records followed by an incomplete one (a torn write).
    TornTail { good_records: u64 },
    /// Record `index` is damaged.
    Corrupt { index: u64, reason: String },
}

impl Verdict {
    /// Exit code for `stationctl journal verify`: 0 intact, 1 torn tail, 2 corrupt.
    pub fn exit_code(&self) -> i32 {
        match self {
            Verdict::Intact { .. } => 0,
            Verdict::TornTail { .. } => 1,
            Verdict::Corrupt { .. } => 2,
        }
    }
}

/// Checks a journal segment's framing, CRCs and hash chain (no key needed).
pub fn verify(path: &Path) -> Result<Verdict, Error> {
    let s = seal::scan(path)?;
    Ok(match s.tail {
        Tail::Closed | Tail::Open => Verdict::Intact {
            records: data_frames(&s),
        },
        Tail::Torn => Verdict::TornTail {
            good_records: s.frames,
        },
        Tail::Corrupt { index, reason, .. } => Verdict::Corrupt { index, reason },
    })
}

/// Reads every record of the journal in `dir`, checking the chain across segments.
pub fn read_all(dir: &Path, identity: &Identity) -> Result<(Vec<Record>, Hash), Error> {
    let mut records = Vec::new();
    let mut head = [0u8; 32];
    for (i, path) in segments(dir)?.iter().enumerate() {
        let mut r = seal::Reader::open(path, identity)?;
        if i > 0 && r.link() != head {
            return Err(Error::Format(format!(
                "{}: does not continue the previous segment (chain link mismatch)",
                path.display()
            )));
        }
        while let Some(frame) = r.next_frame()? {
            let rec = event::decode(&frame).map_err(|e| {
                Error::Format(format!("{}: record {}: {e}", path.display(), records.len()))
            })?;
            records.push(rec);
        }
        head = r.head();
    }
    Ok((records, head))
}
