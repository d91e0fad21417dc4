//! `examctl`'s profile commands: the profile kept when an exam is opened (`open --site`),
//! `subject-access` and `erase`. Each runs with the institution's credentials and identity.

use std::path::{Path, PathBuf};

use bundle::keys::Identity;

use super::roster::Roster;
use super::{access, keep, subjects, Outcome, Profiles};
use crate::retention::{Lock, RECORDINGS_DAYS};

/// Where the profiles are: the site's bucket and prefix, the institution's keys.
#[derive(clap::Args, Debug, Clone)]
pub struct Bucket {
    /// The site file whose `[uplink]` names the bucket and the prefix profiles are kept under.
    #[arg(long)]
    pub site: PathBuf,
    /// The institution's credentials file (TOML access_key / secret_key).
    #[arg(long)]
    pub credentials: Option<PathBuf>,
    /// The institution's identity file.
    #[arg(long)]
    pub identity: PathBuf,
}

/// `examctl open`'s profile options.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct KeepArgs {
    /// Keep the student's identity profile in this site's bucket: found, or made from this
    /// exam's check-in the first time, and copied beside the exam for the review page.
    #[arg(long = "site")]
    pub site: Option<PathBuf>,
    /// The institution's credentials for `--site`.
    #[arg(long = "credentials")]
    pub credentials: Option<PathBuf>,
    /// The site's roster (CSV with `student` and `name` columns): the profile's name.
    #[arg(long)]
    pub roster: Option<PathBuf>,
    /// Make a new profile from this exam even if one is held (the old one is left to expire).
    #[arg(long)]
    pub refresh_profile: bool,
}

/// `examctl subject-access`.
#[derive(clap::Args, Debug, Clone)]
pub struct AccessArgs {
    #[command(flatten)]
    pub bucket: Bucket,
    /// The student number.
    #[arg(long)]
    pub student: String,
    /// Only the exam with this receipt code (the one the station showed the student).
    #[arg(long)]
    pub receipt: Option<String>,
    /// Also include the recordings (camera, microphone, screen).
    #[arg(long)]
    pub media: bool,
    /// The answer's folder (new or empty).
    #[arg(long)]
    pub out: PathBuf,
    /// The institution's registry of stations: station keys checked.
    #[arg(long)]
    pub registry: Option<PathBuf>,
    /// Detector threads (default: every core).
    #[arg(long)]
    pub workers: Option<usize>,
}

/// `examctl erase`.
#[derive(clap::Args, Debug, Clone)]
pub struct EraseArgs {
    #[command(flatten)]
    pub bucket: Bucket,
    /// The student number.
    #[arg(long)]
    pub student: String,
}

fn open_store(
    site: &Path,
    credentials: Option<&Path>,
) -> anyhow::Result<(board_config::Site, Box<dyn crate::store::CentralStore>)> {
    let site = board_config::load_site(site)?;
    let store = crate::store::open(&site, credentials, &Default::default())?;
    Ok((site, store))
}

/// After `examctl open` into `opened`: keeps the profile when `--site` is given; returns what
/// to tell the user.
pub fn after_open(k: &KeepArgs, identity: &Identity, opened: &Path) -> anyhow::Result<String> {
    let Some(site) = &k.site else {
        return Ok("profile: not kept (give --site to keep the student's identity profile)".into());
    };
    let roster = k
        .roster
        .as_deref()
        .map(Roster::load)
        .transpose()
        .map_err(anyhow::Error::msg)?;
    let (site, store) = open_store(site, k.credentials.as_deref())?;
    let p = Profiles {
        store: store.as_ref(),
        prefix: &site.uplink.prefix,
        identity,
    };
    let name_of = |s: &str| roster.as_ref().and_then(|r| r.name(s));
    Ok(match keep(&p, opened, &name_of, k.refresh_profile)? {
        Outcome::NoStudent => "profile: none (the exam has no check-in)".into(),
        Outcome::NoStills => {
            "profile: none held, and this check-in has no stills to make one from".into()
        }
        Outcome::Found(kept) => format!(
            "profile: held since {} (made from exam {}), copied into {}",
            kept.profile.created_at,
            kept.profile.exam,
            opened.join(super::DIR).display()
        ),
        Outcome::Made(kept) => format!(
            "profile: made from this check-in{} ({} still(s)), kept as {}",
            match (&kept.profile.name, &roster) {
                (Some(n), _) => format!(" for {n}"),
                (None, Some(_)) => " (student not on the roster: no name)".into(),
                (None, None) => String::new(),
            },
            kept.profile.stills.len(),
            store.locate(&kept.key)
        ),
    })
}

/// `examctl subject-access`.
pub fn subject_access(a: &AccessArgs) -> anyhow::Result<access::Answer> {
    let identity = Identity::load(&a.bucket.identity)?;
    let (site, store) = open_store(&a.bucket.site, a.bucket.credentials.as_deref())?;
    let registry = a
        .registry
        .as_deref()
        .map(crate::registry::Registry::load)
        .transpose()
        .map_err(anyhow::Error::msg)?;
    let p = Profiles {
        store: store.as_ref(),
        prefix: &site.uplink.prefix,
        identity: &identity,
    };
    let answer = access::gather(
        &p,
        &access::Request {
            student: &a.student,
            receipt: a.receipt.as_deref(),
            media: a.media,
            out: &a.out,
            registry: registry.as_ref(),
            workers: review::workers_or_cores(a.workers),
            institution: &site.institution.name,
        },
    )?;
    println!(
        "student {}: {} exam(s), {}",
        a.student,
        answer.exams.len(),
        match &answer.profile {
            Some(c) => format!("identity profile made {}", c.created_at),
            None => "no identity profile held".into(),
        }
    );
    for h in &answer.exams {
        println!(
            "  exam {} at {} started {} (receipt {}): {} review hint(s)",
            h.entry.exam,
            h.entry.station,
            h.entry.started_at,
            h.entry.receipt,
            h.flags.flags.len()
        );
    }
    println!(
        "{} files listed in {} ; open {}",
        answer.files,
        a.out.join("SHA256SUMS").display(),
        answer.index.display()
    );
    Ok(answer)
}

/// What [`erase`] did and found.
#[derive(Debug)]
pub struct Erased {
    /// The profile objects deleted.
    pub removed: Vec<String>,
    /// With object lock: each removed profile's versions and the day their lock ends
    /// (`YYYY-MM-DD`, from the day it was made).
    pub locked: Vec<(String, String)>,
    /// The student's exams still held.
    pub exams: Vec<subjects::Entry>,
}

/// The day `days` after the day a profile key's stamp (`.../<YYYYMMDD>T...age`) names.
fn lock_ends(key: &str, days: u32) -> String {
    let stamp = key.rsplit('/').next().unwrap_or("");
    let day = |a: usize, b: usize| stamp.get(a..b).and_then(|x| x.parse::<i16>().ok());
    match (day(0, 4), day(4, 6), day(6, 8)) {
        (Some(y), Some(m), Some(d)) => jiff::civil::Date::new(y, m as i8, d as i8)
            .ok()
            .and_then(|date| {
                date.checked_add(jiff::Span::new().days(i64::from(days)))
                    .ok()
            })
            .map_or_else(|| "?".into(), |d| d.to_string()),
        _ => "?".into(),
    }
}

/// `examctl erase`: removes the student's profiles, and says what stays.
pub fn erase(a: &EraseArgs) -> anyhow::Result<Erased> {
    let identity = Identity::load(&a.bucket.identity)?;
    let site = board_config::load_site(&a.bucket.site)?;
    let credentials = a.bucket.credentials.as_deref();
    // The lock is the S3 bucket's: read on the one connection the erasure uses.
    let (store, lock): (Box<dyn crate::store::CentralStore>, Lock) = match site.uplink.backend {
        board_config::UplinkBackend::S3 => {
            let s3 = crate::store::open_s3(&site, credentials, &Default::default())?;
            let lock = crate::retention::object_lock(&s3)?;
            (Box::new(s3), lock)
        }
        board_config::UplinkBackend::Folder => (
            crate::store::open(&site, credentials, &Default::default())?,
            Lock::Unavailable("a folder store".into()),
        ),
    };
    let p = Profiles {
        store: store.as_ref(),
        prefix: &site.uplink.prefix,
        identity: &identity,
    };
    let removed = p.erase(&a.student)?;
    if removed.is_empty() {
        println!("student {}: no identity profile held", a.student);
    }
    for k in &removed {
        println!("removed profile {}", store.locate(k));
    }
    if !removed.is_empty() {
        println!(
            "copies beside exams opened on this side (their profile/ folders, and review pages built from them) are local files: delete them with those folders"
        );
    }
    let mut locked = Vec::new();
    if let Lock::Enabled(Some((mode, days))) = &lock {
        for k in &removed {
            let until = lock_ends(k, *days);
            println!(
                "object lock ({mode}, {days} days): {k} is hidden behind a delete marker, but its version stays locked until about {until}; then the lifecycle rules delete it"
            );
            locked.push((k.clone(), until));
        }
    }
    subjects::scan(&p)?;
    let exams = subjects::of(&p, &a.student)?;
    if exams.is_empty() {
        println!("no exam recordings of student {} are held", a.student);
    } else {
        println!(
            "still held (expire {RECORDINGS_DAYS} days after upload; `examctl subject-access` gives them):"
        );
    }
    for e in &exams {
        println!(
            "  exam {} at {} on {} (receipt {}): its recordings, journal and stills under {}",
            e.exam,
            e.station,
            e.exam_date,
            e.receipt,
            store.locate(&crate::store::key_under(&e.prefix, "recordings/"))
        );
    }
    Ok(Erased {
        removed,
        locked,
        exams,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_lock_ends_its_days_after_the_profile_was_made() {
        let k = "site/profiles/abc/20261202T141139.086Z.age";
        assert_eq!(super::lock_ends(k, 365), "2027-12-02");
        assert_eq!(super::lock_ends("x/garbage.age", 1), "?");
    }
}
