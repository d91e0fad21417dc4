//! Recovery at start: every exam folder without a manifest was cut short by a crash or power
//! cut. Its sealed files keep every whole frame (torn tails are cut), a new journal segment
//! records the recovery, and the bundle is sealed as interrupted, to be uploaded like any other.

use std::path::PathBuf;
use std::sync::Arc;

use bundle::event::{EndReason, Event};
use bundle::manifest;
use bundle::seal::{self, Tail};

use crate::exam::{Exam, ExamError};
use crate::resume::Record;
use crate::station::Station;
use bundle::spool::is_sealed;

/// Exam folders in the spool that are not sealed, oldest first. Dot folders are not exams
/// (the uplink deletes verified bundles through `spool/.trash/`).
pub fn unsealed(station: &Station) -> Result<Vec<PathBuf>, ExamError> {
    let spool = station.spool();
    bundle::spool::exams(&spool, |p| !is_sealed(p)).map_err(|e| bundle::Error::io(&spool, e).into())
}

/// Seals every interrupted exam; returns the sealed folders.
pub fn recover(station: &Arc<Station>) -> Result<Vec<PathBuf>, ExamError> {
    let mut sealed = Vec::new();
    for dir in unsealed(station)? {
        // When it was cut: before recovery writes anything into the folder.
        let cut = crate::exam::last_write_ms(&dir);
        let mut damaged = 0u16;
        for name in manifest::list_files(&dir)? {
            let path = dir.join(&name);
            if name.ends_with(".tmp") {
                std::fs::remove_file(&path).map_err(|e| bundle::Error::io(&path, e))?;
                continue;
            }
            match seal::cut_torn_tail(&path) {
                Ok(s) if matches!(s.tail, Tail::Corrupt { .. }) => damaged += 1,
                Ok(_) => {}
                Err(e) => {
                    // A file whose header never reached the disk holds nothing readable.
                    tracing::warn!("recover: {}: {e}; keeping it as evidence", path.display());
                    damaged += 1;
                }
            }
        }
        let exam = Exam::reopen(station, &dir)?;
        exam.record(Event::Recovered {
            lost_segments: damaged,
        })?;
        exam.record(Event::ExamEnded {
            reason: EndReason::Interrupted,
        })?;
        let id = exam.id().to_owned();
        let out = match cut {
            Some(cut) => exam.seal_cut(cut)?,
            None => exam.seal(true)?,
        };
        tracing::info!("recovered interrupted exam {}", out.display());
        mark_cut(station, &id, &out, cut)?;
        sealed.push(out);
    }
    crate::health::ledger::add_unclean(&station.data_dir, sealed.len() as u64);
    Ok(sealed)
}

/// If the resume record names exam `id`, notes when it was cut and its sealed journal head:
/// the readiness card then offers to resume it.
fn mark_cut(
    station: &Station,
    id: &str,
    sealed: &std::path::Path,
    cut: Option<u64>,
) -> Result<(), ExamError> {
    let Some(mut record) = Record::load(&station.data_dir)? else {
        return Ok(());
    };
    if record.exam != id {
        return Ok(());
    }
    let head = manifest::Manifest::load(sealed)?.journal_head;
    record.cut_ms = Some(cut.unwrap_or_else(bundle::journal::now_ms));
    record.head = Some(head);
    record.save(&station.data_dir)?;
    tracing::info!(
        exam = id,
        part = record.part,
        "the interrupted exam may be resumed"
    );
    Ok(())
}
