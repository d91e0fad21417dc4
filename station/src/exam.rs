//! One exam on disk: its folder in the spool, its journal, its sealed files, its manifest.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use bundle::event::{EndReason, Event};
use bundle::journal;
use bundle::manifest::{self, FileEntry, Manifest};
use bundle::seal;

use crate::devices::DeviceError;
use crate::station::Station;

/// Errors of exam operations.
#[derive(Debug, thiserror::Error)]
pub enum ExamError {
    /// Disk or format error (names the file).
    #[error("{0}")]
    Io(#[from] bundle::Error),
    /// Not enough free space to record the planned exam.
    #[error("not enough free space for this exam: {free_mib} MiB free, {need_mib} MiB needed")]
    NoRoom {
        /// Free MiB.
        free_mib: u64,
        /// Needed MiB (estimate + reserve).
        need_mib: u64,
    },
    /// A device failed.
    #[error("{0}")]
    Device(#[from] DeviceError),
    /// The recorder failed.
    #[error("recorder: {0}")]
    Recorder(String),
}

impl From<crate::storage::NoRoom> for ExamError {
    fn from(e: crate::storage::NoRoom) -> Self {
        match e {
            crate::storage::NoRoom::Io(e) => ExamError::Io(e),
            crate::storage::NoRoom::Short { free_mib, need_mib } => {
                ExamError::NoRoom { free_mib, need_mib }
            }
        }
    }
}

/// An exam in the spool.
pub struct Exam {
    station: Arc<Station>,
    id: String,
    dir: PathBuf,
    created_ms: u64,
    journal: Arc<Mutex<Option<journal::Writer>>>,
    /// The reason of the `ExamEnded` recorded, for the station's health report.
    end: std::sync::OnceLock<EndReason>,
}

/// Monotonic zero of this station process: the journals' `mono_ms` count from it.
pub fn epoch() -> std::time::Instant {
    static EPOCH: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    *EPOCH.get_or_init(std::time::Instant::now)
}

/// A new exam id: UTC time of check-in and a random suffix (`20261125-234201-3fa9c2`).
pub fn new_id(now_ms: u64) -> String {
    let t = bundle::rfc3339(now_ms); // 2026-11-25T23:42:01.123Z
    let digits: String = t[..19].chars().filter(char::is_ascii_digit).collect();
    format!(
        "{}-{}-{:06x}",
        &digits[..8],
        &digits[8..14],
        rand::random::<u32>() & 0xff_ffff
    )
}

/// The check-in time encoded in an exam id, in ms since the epoch.
pub fn id_time_ms(id: &str) -> Option<u64> {
    let d = id.get(..15)?;
    let stamp = format!(
        "{}-{}-{}T{}:{}:{}Z",
        &d[..4],
        &d[4..6],
        &d[6..8],
        &d[9..11],
        &d[11..13],
        &d[13..15]
    );
    bundle::rfc3339_ms(&stamp)
}

impl Exam {
    /// Creates a new exam folder with its first journal segment.
    pub fn create(station: &Arc<Station>) -> Result<Self, ExamError> {
        Self::create_named(station, &new_id(journal::now_ms()))
    }

    /// Creates exam folder `id` (a resumed part's `<first id>-p<n>`); refuses one that exists.
    pub fn create_named(station: &Arc<Station>, id: &str) -> Result<Self, ExamError> {
        let now = journal::now_ms();
        let dir = station.spool().join(id);
        std::fs::create_dir(&dir).map_err(|e| bundle::Error::io(&dir, e))?;
        bundle::fsutil::sync_dir(&dir)?;
        Self::open(station, id.to_owned(), dir, now)
    }

    /// Re-opens an unsealed exam folder after a crash: a new journal segment continues the chain.
    pub fn reopen(station: &Arc<Station>, dir: &Path) -> Result<Self, ExamError> {
        let id = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        // When the folder was made (a resumed part's id holds its first part's time).
        let created = std::fs::metadata(dir)
            .and_then(|m| m.created())
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map(|d| d.as_millis() as u64)
            .or_else(|| id_time_ms(&id))
            .unwrap_or_else(journal::now_ms);
        Self::open(station, id, dir.to_owned(), created)
    }

    fn open(
        station: &Arc<Station>,
        id: String,
        dir: PathBuf,
        created_ms: u64,
    ) -> Result<Self, ExamError> {
        let j = journal::Writer::open(&dir, &station.recipient, epoch())?;
        Ok(Exam {
            station: station.clone(),
            id,
            dir,
            created_ms,
            journal: Arc::new(Mutex::new(Some(j))),
            end: std::sync::OnceLock::new(),
        })
    }

    /// The exam id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The exam's folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The station this exam runs on.
    pub fn station(&self) -> &Arc<Station> {
        &self.station
    }

    /// A handle for recorder threads: create sealed files and journal events in this exam.
    /// Only reachable through a [`Capture`](crate::session::Capture) grant.
    pub(crate) fn handle(&self) -> ExamHandle {
        ExamHandle {
            dir: self.dir.clone(),
            recipient: self.station.recipient.clone(),
            journal: self.journal.clone(),
        }
    }

    /// Appends an event to the journal (durable at the next sync).
    pub fn record(&self, event: Event) -> Result<(), ExamError> {
        if let Event::ExamEnded { reason } = &event {
            let _ = self.end.set(*reason);
        }
        self.handle().record(event)
    }

    /// Appends an event and makes the journal durable.
    pub fn record_sync(&self, event: Event) -> Result<(), ExamError> {
        self.handle().record_sync(event)
    }

    /// Creates a sealed file `name` (relative, may contain one folder) in the exam folder.
    pub fn create_sealed(&self, name: &str) -> Result<seal::Writer, ExamError> {
        self.handle().create_sealed(name)
    }

    /// Records the moment recording began (kept for reviewers in the journal).
    pub fn mark_started(&self) {
        tracing::info!(exam = %self.id, "exam started");
    }

    /// Closes the journal and writes the signed manifest: the exam becomes a sealed bundle.
    pub fn seal(self, interrupted: bool) -> Result<PathBuf, ExamError> {
        let ended = if interrupted {
            last_write_ms(&self.dir).unwrap_or_else(journal::now_ms)
        } else {
            journal::now_ms()
        };
        self.seal_ended(interrupted, ended)
    }

    /// Seals an exam cut short at `cut_ms` (its files' last write before recovery touched
    /// them): the manifest's end is the cut.
    pub fn seal_cut(self, cut_ms: u64) -> Result<PathBuf, ExamError> {
        self.seal_ended(true, cut_ms)
    }

    fn seal_ended(self, interrupted: bool, ended: u64) -> Result<PathBuf, ExamError> {
        let files = manifest::list_files(&self.dir)?;
        let count = files
            .iter()
            .filter(|f| f.as_str() != manifest::FILE)
            .count();
        self.record(Event::Sealing {
            files: count.min(u16::MAX as usize) as u16,
        })?;
        let j = self
            .journal
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
            .ok_or_else(|| bundle::Error::Format("journal already closed".into()))?;
        let head = j.finish()?;
        let mut entries = Vec::new();
        for name in manifest::list_files(&self.dir)? {
            if name == manifest::FILE || name.ends_with(".tmp") {
                continue;
            }
            let (size, sha256) = manifest::hash_file(&self.dir.join(&name))?;
            entries.push(FileEntry { name, size, sha256 });
        }
        let mut m = Manifest {
            format: manifest::FORMAT,
            station: self.station.site.station.id.clone(),
            exam: self.id.clone(),
            exam_date: bundle::rfc3339(self.created_ms)[..10].to_string(),
            started_at: bundle::rfc3339(self.created_ms),
            ended_at: bundle::rfc3339(ended),
            interrupted,
            journal_head: hex::encode(head),
            files: entries,
            image: self.station.image.clone(),
            machine: self.station.machine.clone(),
            station_key: String::new(),
            signature: String::new(),
        };
        m.sign(&self.station.key);
        bundle::fsutil::write_atomic(&self.dir.join(manifest::FILE), &m.to_json())?;
        let reason = match (interrupted, self.end.get()) {
            (true, _) => EndReason::Interrupted,
            (false, Some(r)) => *r,
            (false, None) => EndReason::TimeUp,
        };
        // The station's report names the exam at once: the uplink, woken by the manifest,
        // pushes it before the bundle.
        crate::health::ledger::sealed(&self.station.data_dir, &m, &reason);
        crate::health::write_logged(&self.station, "exam");
        Ok(self.dir)
    }
}

/// What recorder threads need of an exam: its folder, the recipient and the journal.
#[derive(Clone)]
pub(crate) struct ExamHandle {
    dir: PathBuf,
    recipient: bundle::keys::Recipient,
    journal: Arc<Mutex<Option<journal::Writer>>>,
}

impl ExamHandle {
    fn with_journal<T>(
        &self,
        f: impl FnOnce(&mut journal::Writer) -> Result<T, bundle::Error>,
    ) -> Result<T, ExamError> {
        let mut g = self.journal.lock().unwrap_or_else(|p| p.into_inner());
        let j = g
            .as_mut()
            .ok_or_else(|| bundle::Error::Format("journal already closed".into()))?;
        Ok(f(j)?)
    }

    /// Appends an event to the journal.
    pub fn record(&self, event: Event) -> Result<(), ExamError> {
        self.with_journal(|j| j.append(event))
    }

    /// Appends an event and syncs the journal.
    pub fn record_sync(&self, event: Event) -> Result<(), ExamError> {
        self.with_journal(|j| j.append_sync(event))
    }

    /// Creates a sealed file `name` (relative, may contain one folder) in the exam folder.
    pub fn create_sealed(&self, name: &str) -> Result<seal::Writer, ExamError> {
        let path = self.dir.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| bundle::Error::io(parent, e))?;
        }
        let w = seal::Writer::create(&path, &self.recipient, [0; 32])?;
        bundle::fsutil::sync_dir(&path)?;
        Ok(w)
    }
}

/// The newest modification time of the files in exam folder `dir`, ms since the epoch.
pub fn last_write_ms(dir: &Path) -> Option<u64> {
    manifest::list_files(dir)
        .ok()?
        .iter()
        .filter_map(|n| std::fs::metadata(dir.join(n)).ok()?.modified().ok())
        .max()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_millis() as u64)
}
