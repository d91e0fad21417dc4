//! Identity profiles (the privacy notice's second lifetime: 365 days) and a student's access
//! to what is held about them.
//!
//! A profile is made on the institution's side, never on a station (P6): when `examctl open`
//! is given the site (`--site`), the first exam opened for a student leaves one profile in the
//! bucket, `<site prefix>/profiles/<pseudonym>/<created>.age`: the student number, the name
//! the site's roster gives ([`roster`]), when and from which exam it was made, and that
//! check-in's photo-ID still and face scan, all sealed to the institution's key (age, as a
//! bundle's files). Later exams of the student find it and copy it beside their own stills for
//! the review page; a new one is made only when the institution asks (`--refresh-profile`),
//! the old one left to expire: a profile's age is from its creation, which is what the
//! bucket's 365-day rule on `profiles/` counts.
//!
//! No student number is in the bucket in clear: the folder is a keyed pseudonym
//! ([`pseudonym`]), HMAC-SHA-256 of the student number under a key derived from the
//! institution's identity. Without that identity, the folder names cannot be tied to student
//! numbers (a plain hash of an 8-digit number could be reversed by trying them all).
//!
//! [`subjects`] keeps the index of which exam is whose (by pseudonym), [`access`] gathers
//! everything held about one student, [`command`] is `examctl`'s side of it.

pub mod access;
pub mod command;
mod page;
pub mod roster;
pub mod subjects;

use std::path::Path;

use base64::Engine;
use bundle::keys::Identity;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::UplinkError;
use crate::store::{key_under, CentralStore};

/// An error about `what` (a file, field or exam).
pub(crate) fn config(what: &str, why: impl std::fmt::Display) -> UplinkError {
    UplinkError::Config {
        field: what.to_owned(),
        why: why.to_string(),
    }
}

/// The profile format written.
pub const FORMAT: u32 = 1;

/// The folder of an opened exam (and of a subject-access answer) that holds the profile.
pub const DIR: &str = "profile";

/// One still of a profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Still {
    /// File name (`photo-id.jpg`, `face-00.jpg`).
    pub name: String,
    /// `PhotoId` or `Face`.
    pub kind: String,
    /// The JPEG, base64.
    pub jpeg: String,
}

/// A student's identity profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    /// [`FORMAT`].
    pub format: u32,
    /// Student number, as typed at check-in.
    pub student: String,
    /// Name, from the site's roster (absent when none was given or the student is not on it).
    pub name: Option<String>,
    /// When it was made, RFC 3339 (its 365 days count from here).
    pub created_at: String,
    /// The exam whose check-in it was made from.
    pub exam: String,
    /// That exam's station.
    pub station: String,
    /// The check-in's photo-ID still and face scan.
    pub stills: Vec<Still>,
}

/// A profile as kept in the bucket.
#[derive(Debug, Clone)]
pub struct Kept {
    /// Its object key.
    pub key: String,
    /// The profile.
    pub profile: Profile,
}

/// Where the institution's profiles are: the bucket and the site's prefix.
pub struct Profiles<'a> {
    /// The central store.
    pub store: &'a dyn CentralStore,
    /// The site's key prefix.
    pub prefix: &'a str,
    /// The institution's identity (seals, opens, and keys the pseudonyms).
    pub identity: &'a Identity,
}

/// The keyed pseudonym of `student`: 32 hex digits of HMAC-SHA-256 under a key derived from the
/// institution's identity (SHA-256 of a fixed label and the identity's secret). The same
/// student number always gives the same pseudonym for one institution; rotating the identity
/// starts new pseudonyms (and so new profiles: the old ones expire).
pub fn pseudonym(identity: &Identity, student: &str) -> String {
    let mut k = Sha256::new();
    k.update(b"exam-station profile pseudonym v1\n");
    k.update(identity.to_secret_string().as_bytes());
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&k.finalize()).expect("any key length");
    mac.update(student.trim().as_bytes());
    hex::encode(&mac.finalize().into_bytes()[..16])
}

/// The student number checked in, from an opened exam's timeline (its first `CheckedIn`).
pub fn student_of(timeline: &review::timeline::Timeline) -> Option<String> {
    timeline.events.iter().find_map(|e| {
        (e.kind == "CheckedIn")
            .then(|| e.details.get("student")?.as_str().map(str::to_owned))
            .flatten()
    })
}

/// The first part's check-in stills of an opened exam (`identity/`): the photo ID first,
/// then the face scan.
pub fn stills_of(opened: &Path) -> Result<Vec<Still>, UplinkError> {
    let dir = opened.join("identity");
    let mut names: Vec<String> = match std::fs::read_dir(&dir) {
        Ok(rd) => rd
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| n.ends_with(".jpg") && (n.starts_with("photo-id") || n.starts_with("face")))
            .collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(UplinkError::io(&dir, e)),
    };
    names.sort_by_key(|n| (review::still_kind(n) != "PhotoId", n.clone()));
    names
        .into_iter()
        .map(|name| {
            let p = dir.join(&name);
            let bytes = std::fs::read(&p).map_err(|e| UplinkError::io(&p, e))?;
            Ok(Still {
                kind: review::still_kind(&name).into(),
                name,
                jpeg: base64::engine::general_purpose::STANDARD.encode(bytes),
            })
        })
        .collect()
}

impl Profiles<'_> {
    /// The folder of `student`'s profiles in the bucket (ends in `/`).
    pub fn folder(&self, student: &str) -> String {
        key_under(
            self.prefix,
            &format!("profiles/{}/", pseudonym(self.identity, student)),
        )
    }

    /// The keys of `student`'s profiles, oldest first.
    pub fn keys(&self, student: &str) -> Result<Vec<String>, UplinkError> {
        let mut keys: Vec<String> = self
            .store
            .list(&self.folder(student))?
            .into_iter()
            .map(|l| l.key)
            .filter(|k| k.ends_with(".age"))
            .collect();
        keys.sort();
        Ok(keys)
    }

    /// `student`'s newest profile, if any is held.
    pub fn latest(&self, student: &str) -> Result<Option<Kept>, UplinkError> {
        let Some(key) = self.keys(student)?.pop() else {
            return Ok(None);
        };
        let tmp =
            tempfile::NamedTempFile::new().map_err(|e| UplinkError::io(Path::new("/tmp"), e))?;
        self.store.get(&key, tmp.path())?;
        let sealed = std::fs::read(tmp.path()).map_err(|e| UplinkError::io(tmp.path(), e))?;
        let bad = |why: String| UplinkError::Store {
            key: key.clone(),
            why,
            retryable: false,
        };
        let json = self
            .identity
            .unwrap(&sealed)
            .map_err(|e| bad(format!("profile does not open with this identity: {e}")))?;
        let profile: Profile =
            serde_json::from_slice(&json).map_err(|e| bad(format!("profile unreadable: {e}")))?;
        if profile.student != student.trim() {
            return Err(bad(format!(
                "profile is of another student number than its pseudonym says ({}): refused",
                profile.student
            )));
        }
        Ok(Some(Kept { key, profile }))
    }

    /// Seals `profile` to the institution and stores it as the student's newest.
    pub fn store(&self, profile: Profile) -> Result<Kept, UplinkError> {
        let json = serde_json::to_vec(&profile).map_err(|e| config("profile", e))?;
        let sealed = self
            .identity
            .recipient()
            .wrap(&json)
            .map_err(|e| config("profile", format!("sealing: {e}")))?;
        let stamp = profile.created_at.replace([':', '-'], "");
        let key = format!("{}{stamp}.age", self.folder(&profile.student));
        self.store.put(&key, &sealed)?;
        Ok(Kept { key, profile })
    }

    /// Deletes every profile of `student`; returns the keys deleted.
    pub fn erase(&self, student: &str) -> Result<Vec<String>, UplinkError> {
        let keys = self.keys(student)?;
        for k in &keys {
            self.store.delete(k)?;
        }
        Ok(keys)
    }
}

/// A profile as the review page and a subject-access answer read it (`profile/profile.json`):
/// no pictures inside, they are files beside it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Card {
    /// Student number.
    pub student: String,
    /// Name from the roster.
    pub name: Option<String>,
    /// Made, RFC 3339.
    pub created_at: String,
    /// Made from this exam.
    pub exam: String,
    /// At this station.
    pub station: String,
    /// `(kind, file name)` of each still.
    pub stills: Vec<(String, String)>,
    /// Its key in the bucket.
    pub key: String,
}

/// Writes `kept` into `dir/profile/`: `profile.json` and the stills as JPEG files.
pub fn write_into(kept: &Kept, dir: &Path) -> Result<Card, UplinkError> {
    let out = dir.join(DIR);
    std::fs::create_dir_all(&out).map_err(|e| UplinkError::io(&out, e))?;
    let p = &kept.profile;
    let mut stills = Vec::new();
    for s in &p.stills {
        if !bundle::manifest::safe_name(&s.name) || s.name.contains('/') {
            continue;
        }
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(&s.jpeg)
            .map_err(|e| config(&format!("profile still {}", s.name), e))?;
        let path = out.join(&s.name);
        std::fs::write(&path, bytes).map_err(|e| UplinkError::io(&path, e))?;
        stills.push((s.kind.clone(), s.name.clone()));
    }
    let card = Card {
        student: p.student.clone(),
        name: p.name.clone(),
        created_at: p.created_at.clone(),
        exam: p.exam.clone(),
        station: p.station.clone(),
        stills,
        key: kept.key.clone(),
    };
    let path = out.join("profile.json");
    let json = serde_json::to_vec_pretty(&card).map_err(|e| config("profile.json", e))?;
    std::fs::write(&path, json).map_err(|e| UplinkError::io(&path, e))?;
    Ok(card)
}

/// What [`keep`] did for an opened exam.
#[derive(Debug)]
pub enum Outcome {
    /// The exam has no check-in (no student): nothing kept.
    NoStudent,
    /// The student's profile was there already; copied beside the exam.
    Found(Kept),
    /// No profile is held and this check-in has no stills to make one from (the next exam's
    /// check-in will).
    NoStills,
    /// A profile was made from this exam's check-in.
    Made(Kept),
}

/// After `examctl open`: finds (or, first time or on `refresh`, makes) the profile of the
/// student of the opened exam in `opened` and copies it into `opened/profile/`. `name_of` gives the roster's name of a student number.
pub fn keep(
    p: &Profiles<'_>,
    opened: &Path,
    name_of: &dyn Fn(&str) -> Option<String>,
    refresh: bool,
) -> Result<Outcome, UplinkError> {
    let tl_path = opened.join("timeline.json");
    let timeline =
        review::timeline::Timeline::load(&tl_path).map_err(|e| config("opened exam", e))?;
    let Some(student) = student_of(&timeline) else {
        return Ok(Outcome::NoStudent);
    };
    let outcome = match p.latest(&student)? {
        Some(k) if !refresh => Outcome::Found(k),
        held => {
            let stills = stills_of(opened)?;
            if stills.is_empty() {
                // Nothing to make one from: the one held (on a refresh) stays the newest.
                held.map_or(Outcome::NoStills, Outcome::Found)
            } else {
                Outcome::Made(p.store(Profile {
                    format: FORMAT,
                    name: name_of(&student),
                    student,
                    created_at: bundle::rfc3339(bundle::journal::now_ms()),
                    exam: timeline.exam.clone(),
                    station: timeline.station.clone(),
                    stills,
                })?)
            }
        }
    };
    if let Outcome::Found(k) | Outcome::Made(k) = &outcome {
        write_into(k, opened)?;
    }
    Ok(outcome)
}

/// Fuzz entry: the outside data of this module (a roster, an index entry, a decrypted
/// profile) parse or fail cleanly, never panic.
pub fn fuzz(data: &[u8]) {
    roster::fuzz(data);
    let _ = serde_json::from_slice::<subjects::Entry>(data);
    if let Ok(p) = serde_json::from_slice::<Profile>(data) {
        let dir = std::env::temp_dir().join(format!("profile-fuzz-{}", std::process::id()));
        let _ = write_into(
            &Kept {
                key: String::new(),
                profile: p,
            },
            &dir,
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pseudonyms_are_keyed_stable_and_hide_the_number() {
        let a = Identity::generate();
        let b = Identity::generate();
        let p = pseudonym(&a, "20261234");
        assert_eq!(p.len(), 32);
        assert_eq!(
            p,
            pseudonym(&a, " 20261234\n"),
            "typed spaces do not matter"
        );
        assert_ne!(p, pseudonym(&a, "20261235"));
        assert_ne!(
            p,
            pseudonym(&b, "20261234"),
            "another institution, another pseudonym"
        );
        assert!(!p.contains("20261234"));
    }

    /// An opened exam of `student` with `stills` (file names) in `identity/`.
    fn opened(dir: &Path, exam: &str, student: &str, stills: &[&str]) {
        std::fs::create_dir_all(dir.join("identity")).unwrap();
        for s in stills {
            std::fs::write(dir.join("identity").join(s), b"\xff\xd8 jpeg").unwrap();
        }
        let t = format!(
            r#"{{"exam":"{exam}","station":"s1","started_at":"2026-12-02T10:00:00.000Z","ended_at":"2026-12-02T10:01:00.000Z","interrupted":false,
            "parts":[{{"exam":"{exam}","started_at":"2026-12-02T10:00:00.000Z","ended_at":"2026-12-02T10:01:00.000Z","interrupted":false}}],
            "events":[{{"seq":0,"time":"2026-12-02T09:59:00.000Z","mono_ms":0,"kind":"CheckedIn","details":{{"student":"{student}"}}}}]}}"#
        );
        std::fs::write(dir.join("timeline.json"), t).unwrap();
    }

    #[test]
    fn made_once_found_after_refreshed_on_request_and_never_empty() {
        let tmp = tempfile::tempdir().unwrap();
        let store = crate::store::folder::FolderStore::new(tmp.path().join("central"));
        let identity = Identity::generate();
        let p = Profiles {
            store: &store,
            prefix: "site",
            identity: &identity,
        };
        let name = |s: &str| (s == "7").then(|| "Ann".to_owned());
        let (a, b, c, d) = (
            tmp.path().join("a"),
            tmp.path().join("b"),
            tmp.path().join("c"),
            tmp.path().join("d"),
        );
        opened(&a, "e1", "7", &[]);
        assert!(matches!(
            keep(&p, &a, &name, false).unwrap(),
            Outcome::NoStills
        ));
        assert!(!a.join(DIR).exists());
        opened(
            &b,
            "e2",
            "7",
            &["face-00.jpg", "photo-id.jpg", "e9-p2-face-00.jpg"],
        );
        let Outcome::Made(made) = keep(&p, &b, &name, false).unwrap() else {
            panic!("not made")
        };
        let kinds: Vec<_> = made
            .profile
            .stills
            .iter()
            .map(|s| (s.kind.as_str(), s.name.as_str()))
            .collect();
        assert_eq!(
            kinds,
            [("PhotoId", "photo-id.jpg"), ("Face", "face-00.jpg")]
        );
        assert_eq!(made.profile.name.as_deref(), Some("Ann"));
        assert!(b.join("profile/photo-id.jpg").is_file());
        opened(&c, "e3", "7", &["photo-id.jpg"]);
        let Outcome::Found(found) = keep(&p, &c, &name, false).unwrap() else {
            panic!("not found")
        };
        assert_eq!(
            (found.key.as_str(), found.profile.exam.as_str()),
            (made.key.as_str(), "e2")
        );
        assert!(
            matches!(keep(&p, &a, &name, true).unwrap(), Outcome::Found(_)),
            "no stills: the held one stays"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
        assert!(matches!(
            keep(&p, &c, &name, true).unwrap(),
            Outcome::Made(_)
        ));
        assert_eq!(
            p.keys("7").unwrap().len(),
            2,
            "the old one is left to expire"
        );
        assert_eq!(p.latest("7").unwrap().unwrap().profile.exam, "e3");
        opened(&d, "e4", "8", &["photo-id.jpg"]);
        assert!(
            matches!(keep(&p, &d, &name, false).unwrap(), Outcome::Made(k) if k.profile.name.is_none())
        );
        assert_eq!(p.erase("7").unwrap().len(), 2);
        assert!(p.latest("7").unwrap().is_none() && p.latest("8").unwrap().is_some());
    }
}
