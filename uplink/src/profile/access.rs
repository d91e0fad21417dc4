//! Subject access: everything the institution holds about one student, in one folder.
//!
//! `OUT/index.html` (opens from disk), `OUT/profile/` (the identity profile, if one is held),
//! `OUT/exams/<exam>/` for each of the student's exams (its `timeline.json`, `flags.json` and
//! the hints' stills, the check-in's `identity/` stills, and with `media` the recordings), and
//! `OUT/SHA256SUMS` (`sha256sum -c` checks it) over every file. Each exam is fetched and
//! verified as `examctl fetch` does, opened, its journal's student checked against the one asked
//! for (an index entry naming the wrong exam is refused, never passed on), and analysed.

use std::path::{Path, PathBuf};

use super::page::Heading;
pub use super::page::Held;
use super::subjects::{self, Entry};
use super::{config, student_of, write_into, Card, Profiles};
use crate::error::UplinkError;
use crate::registry::Registry;

/// What to gather.
pub struct Request<'a> {
    /// The student number.
    pub student: &'a str,
    /// Only the exam with this receipt code (as the station showed it).
    pub receipt: Option<&'a str>,
    /// Also copy the recordings (camera, microphone, screen).
    pub media: bool,
    /// The answer's folder (new or empty).
    pub out: &'a Path,
    /// Station keys are checked against it when given.
    pub registry: Option<&'a Registry>,
    /// Detector threads for the review hints.
    pub workers: usize,
    /// The institution's name, for the page.
    pub institution: &'a str,
}

/// What [`gather`] wrote.
#[derive(Debug)]
pub struct Answer {
    /// The profile, if one is held.
    pub profile: Option<Card>,
    /// The student's exams, oldest first.
    pub exams: Vec<Held>,
    /// `OUT/index.html`.
    pub index: PathBuf,
    /// Files listed in `SHA256SUMS`.
    pub files: usize,
}

/// The receipt code as typed: case and dashes do not matter.
fn plain_code(code: &str) -> String {
    code.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// Copies the files of `from` (not folders) whose name `keep` accepts into `to`; returns their
/// names.
fn copy_files(
    from: &Path,
    to: &Path,
    keep: &dyn Fn(&str) -> bool,
) -> Result<Vec<String>, UplinkError> {
    let Ok(rd) = std::fs::read_dir(from) else {
        return Ok(Vec::new());
    };
    let mut names = Vec::new();
    for e in rd.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if e.path().is_file() && keep(&name) {
            std::fs::create_dir_all(to).map_err(|e| UplinkError::io(to, e))?;
            std::fs::copy(e.path(), to.join(&name))
                .map_err(|err| UplinkError::io(&e.path(), err))?;
            names.push(name);
        }
    }
    names.sort();
    Ok(names)
}

/// Fetches, verifies, opens and analyses one exam into `out/exams/<exam>/`.
fn one(p: &Profiles<'_>, r: &Request<'_>, e: &Entry, work: &Path) -> Result<Held, UplinkError> {
    let sealed = work.join("sealed");
    let opened = work.join("opened");
    crate::fetch::fetch(p.store, &e.prefix, &e.exam, &sealed, r.registry)?;
    crate::open::open(&sealed, p.identity, &opened).map_err(|err| config(&e.exam, err))?;
    let timeline = review::timeline::Timeline::load(&opened.join("timeline.json"))
        .map_err(|err| config(&e.exam, err))?;
    if student_of(&timeline).as_deref() != Some(r.student.trim()) {
        return Err(config(
            &e.exam,
            "the index lists it as this student's, but its journal's check-in is not: left out (run again after removing its index entry)",
        ));
    }
    let a = review::analyse(&opened, r.workers).map_err(|err| config(&e.exam, err))?;
    let dest = r.out.join("exams").join(&e.exam);
    let media = r.media;
    let mut files = copy_files(&opened, &dest, &|n| {
        n == "timeline.json"
            || n == "flags.json"
            || (media && (n.ends_with(".mkv") || n.ends_with(".mka")))
    })?;
    for sub in ["identity", "evidence"] {
        let names = copy_files(&opened.join(sub), &dest.join(sub), &|n| n.ends_with(".jpg"))?;
        files.extend(names.into_iter().map(|n| format!("{sub}/{n}")));
    }
    Ok(Held {
        entry: e.clone(),
        ended_at: timeline.ended_at,
        flags: a.flags,
        files,
    })
}

/// Writes `out/SHA256SUMS` over every other file; returns how many.
fn write_sums(out: &Path) -> Result<usize, UplinkError> {
    let mut files = bundle::manifest::list_files(out).map_err(|e| config("answer", e))?;
    files.retain(|f| f != "SHA256SUMS");
    let mut text = String::new();
    for f in &files {
        let (_, sha) = bundle::manifest::hash_file(&out.join(f)).map_err(|e| config(f, e))?;
        text.push_str(&format!("{sha}  {f}\n"));
    }
    let path = out.join("SHA256SUMS");
    std::fs::write(&path, text).map_err(|e| UplinkError::io(&path, e))?;
    Ok(files.len())
}

/// Gathers everything held about `r.student` into `r.out`.
pub fn gather(p: &Profiles<'_>, r: &Request<'_>) -> Result<Answer, UplinkError> {
    if std::fs::read_dir(r.out).is_ok_and(|mut d| d.next().is_some()) {
        return Err(config(
            &r.out.display().to_string(),
            "not empty: an answer goes into a new folder, so nothing of another student mixes in",
        ));
    }
    std::fs::create_dir_all(r.out).map_err(|e| UplinkError::io(r.out, e))?;
    subjects::scan(p)?;
    let mut entries = subjects::of(p, r.student)?;
    if let Some(code) = r.receipt {
        entries.retain(|e| plain_code(&e.receipt) == plain_code(code));
        if entries.is_empty() {
            return Err(config(
                "--receipt",
                format!("no exam of student {} has receipt {code}", r.student),
            ));
        }
    }
    let profile = match p.latest(r.student)? {
        Some(k) => Some(write_into(&k, r.out)?),
        None => None,
    };
    let work = r.out.join(".work");
    let mut exams = Vec::new();
    for e in &entries {
        let w = work.join(&e.exam);
        let held = one(p, r, e, &w);
        let _ = std::fs::remove_dir_all(&w);
        exams.push(held?);
    }
    let _ = std::fs::remove_dir_all(&work);
    let index = r.out.join("index.html");
    let heading = Heading {
        student: r.student,
        institution: r.institution,
        receipt: r.receipt,
        media: r.media,
    };
    let html = super::page::render(&heading, profile.as_ref(), &exams);
    std::fs::write(&index, html).map_err(|e| UplinkError::io(&index, e))?;
    let files = write_sums(r.out)?;
    Ok(Answer {
        profile,
        exams,
        index,
        files,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn receipt_codes_match_as_typed() {
        assert_eq!(super::plain_code("7k2m qx9d-ab3f"), "7K2MQX9DAB3F");
    }
}
