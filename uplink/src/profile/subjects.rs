//! Which exam is whose, without a student number in clear: the index
//! `<site prefix>/recordings/subjects/<pseudonym>/<exam>.json` (`none` for an exam without a
//! check-in). Each entry names the exam, its station, dates, receipt and where its bundle is;
//! it lives under `recordings/` so it expires with the recordings it points to (180 days).
//!
//! `examctl open` adds the exam it opens; [`scan`] adds every exam in the bucket not yet
//! indexed by reading only its manifest (signature checked) and journal (hashes checked against
//! the manifest, decrypted with the institution's identity): an exam never opened is found too.

use std::collections::BTreeMap;
use std::path::Path;

use bundle::event::Event;
use bundle::manifest::{self, Manifest};
use serde::{Deserialize, Serialize};

use super::{config, pseudonym, Profiles};
use crate::error::UplinkError;
use crate::store::key_under;

/// The pseudonym folder of exams without a check-in.
pub const NOBODY: &str = "none";

/// One exam in the index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// Exam id (its first part's).
    pub exam: String,
    /// Station id.
    pub station: String,
    /// Exam date (the bundle's folder).
    pub exam_date: String,
    /// Started, RFC 3339.
    pub started_at: String,
    /// The receipt the station showed the student.
    pub receipt: String,
    /// The station's key prefix (where its `recordings/` are).
    pub prefix: String,
}

fn root(p: &Profiles<'_>) -> String {
    key_under(p.prefix, "recordings/subjects/")
}

/// Notes `m`'s exam (stored under `station_prefix`) as `student`'s (or nobody's).
pub fn record(
    p: &Profiles<'_>,
    student: Option<&str>,
    m: &Manifest,
    station_prefix: &str,
) -> Result<(), UplinkError> {
    let exam = crate::parts::first_id(&m.exam).to_owned();
    let who = student.map_or(NOBODY.to_owned(), |s| pseudonym(p.identity, s));
    let entry = Entry {
        exam: exam.clone(),
        station: m.station.clone(),
        exam_date: m.exam_date.clone(),
        started_at: m.started_at.clone(),
        receipt: m.receipt().unwrap_or_default(),
        prefix: station_prefix.to_owned(),
    };
    let json = serde_json::to_vec(&entry).map_err(|e| config("subjects index", e))?;
    p.store
        .put(&format!("{}{who}/{exam}.json", root(p)), &json)?;
    Ok(())
}

/// Every indexed exam: exam id to the pseudonym (or [`NOBODY`]) it is under.
pub fn indexed(p: &Profiles<'_>) -> Result<BTreeMap<String, String>, UplinkError> {
    let root = root(p);
    Ok(p.store
        .list(&root)?
        .into_iter()
        .filter_map(|l| {
            let (who, file) = l.key.get(root.len()..)?.split_once('/')?;
            Some((file.strip_suffix(".json")?.to_owned(), who.to_owned()))
        })
        .collect())
}

/// The exams indexed as `student`'s, oldest first.
pub fn of(p: &Profiles<'_>, student: &str) -> Result<Vec<Entry>, UplinkError> {
    let folder = format!("{}{}/", root(p), pseudonym(p.identity, student));
    let mut out = Vec::new();
    for l in p.store.list(&folder)? {
        let text = p.store.read(&l.key)?;
        let e: Entry = serde_json::from_slice(&text).map_err(|e| UplinkError::Store {
            key: l.key.clone(),
            why: format!("index entry unreadable: {e}"),
            retryable: false,
        })?;
        out.push(e);
    }
    out.sort_by(|a, b| (&a.started_at, &a.exam).cmp(&(&b.started_at, &b.exam)));
    Ok(out)
}

/// A bundle's manifest key split: the station prefix (before `recordings/`) and the exam's
/// folder key (`.../recordings/<date>/<station>/<exam>/`).
fn bundle_of(key: &str) -> Option<(String, String)> {
    let base = key.strip_suffix(manifest::FILE)?;
    let mut up = base.trim_end_matches('/').rsplitn(4, '/');
    let (_exam, _station, date, rest) = (up.next()?, up.next()?, up.next()?, up.next()?);
    if date == "subjects" {
        return None;
    }
    let prefix = match rest.strip_suffix("recordings")? {
        "" => "",
        p => p.strip_suffix('/')?,
    };
    Some((prefix.to_owned(), base.to_owned()))
}

/// The student checked in to the bundle at `base` (manifest and journal only).
fn student_in(
    p: &Profiles<'_>,
    base: &str,
    tmp: &Path,
) -> Result<(Manifest, Option<String>), UplinkError> {
    let exam = base
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or(base)
        .to_owned();
    let bad = |source| UplinkError::Bundle {
        exam: exam.clone(),
        source,
    };
    p.store.get(
        &format!("{base}{}", manifest::FILE),
        &tmp.join(manifest::FILE),
    )?;
    let m = manifest::load_signed(tmp).map_err(bad)?;
    for f in m.files.iter().filter(|f| f.name.starts_with("journal-")) {
        p.store
            .get(&format!("{base}{}", f.name), &tmp.join(&f.name))?;
        manifest::verify_file(tmp, f).map_err(bad)?;
    }
    let records = crate::open::journal_of(tmp, &m, p.identity).map_err(|e| config(&exam, e))?;
    let student = records.into_iter().find_map(|r| match r.event {
        Event::CheckedIn { student } => Some(student.to_string()),
        _ => None,
    });
    Ok((m, student))
}

/// Indexes every first part in the bucket not yet indexed; returns how many were added.
pub fn scan(p: &Profiles<'_>) -> Result<usize, UplinkError> {
    let known = indexed(p)?;
    let mut added = 0;
    for l in p.store.list("")? {
        let Some((prefix, base)) = bundle_of(&l.key) else {
            continue;
        };
        let exam = base.trim_end_matches('/').rsplit('/').next().unwrap_or("");
        if crate::parts::first_id(exam) != exam || known.contains_key(exam) {
            continue;
        }
        let tmp = tempfile::tempdir().map_err(|e| UplinkError::io(Path::new("/tmp"), e))?;
        let (m, student) = student_in(p, &base, tmp.path())?;
        record(p, student.as_deref(), &m, &prefix)?;
        added += 1;
    }
    Ok(added)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundle_keys_are_told_from_index_entries() {
        let b = |k: &str| bundle_of(k);
        assert_eq!(
            b("stations/a/recordings/2026-12-01/a/e1/manifest.json"),
            Some((
                "stations/a".into(),
                "stations/a/recordings/2026-12-01/a/e1/".into()
            ))
        );
        assert_eq!(
            b("recordings/2026-12-01/a/e1/manifest.json"),
            Some(("".into(), "recordings/2026-12-01/a/e1/".into()))
        );
        assert_eq!(b("site/recordings/subjects/abc/e1.json"), None);
        assert_eq!(b("site/recordings/subjects/abc/e1/manifest.json"), None);
        assert_eq!(b("site/myrecordings/d/s/e/manifest.json"), None);
        assert_eq!(b("site/recordings/d/s/e/journal-00000.bin"), None);
    }
}
