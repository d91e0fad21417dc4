//! Retention on the central bucket (promise P7), applied and checked by `examctl retention`:
//! lifecycle rules `recordings/` expire after 180 days, `profiles/` after 365 days, incomplete
//! multipart uploads are aborted after 7 days; object lock (default COMPLIANCE retention) where
//! the bucket supports it. SeaweedFS and AWS allow object lock only on buckets created with it:
//! on other buckets it is skipped and reported, never an error.

use rusty_s3::Method;

use crate::error::UplinkError;
use crate::store::key_under;
use crate::store::s3::{answer_error, S3Store};
use crate::xml;

/// Days before recordings and profile data expire: the numbers the station's privacy notice
/// states.
pub use board_config::retention::{PROFILES_DAYS, RECORDINGS_DAYS};
/// Days before an incomplete multipart upload is aborted.
pub const ABORT_DAYS: u32 = 7;

/// One lifecycle rule, as this tool writes and reads them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// Rule id.
    pub id: String,
    /// Key prefix the rule applies to.
    pub prefix: String,
    /// `Status` is `Enabled`.
    pub enabled: bool,
    /// `Expiration/Days`.
    pub expire_days: Option<u32>,
    /// `AbortIncompleteMultipartUpload/DaysAfterInitiation`.
    pub abort_days: Option<u32>,
    /// `NoncurrentVersionExpiration/NoncurrentDays` (versioned buckets).
    pub noncurrent_days: Option<u32>,
    /// `Expiration/ExpiredObjectDeleteMarker` (versioned buckets).
    pub delete_markers: bool,
}

/// Days a version is kept once it is no longer current (on a versioned or object-locked bucket
/// an expiry only hides the object behind a delete marker; the version itself must go too).
pub const NONCURRENT_DAYS: u32 = 1;

/// The rules the institution's bucket must have, below the site's `prefix`; on a versioned (or
/// object-locked) bucket the expiries also remove the versions they make noncurrent, and the
/// delete markers left alone. Their ids name the prefix, so that the rules of every station
/// live side by side in the bucket's one lifecycle configuration.
pub fn wanted(prefix: &str, versioned: bool) -> Vec<Rule> {
    let noncurrent = versioned.then_some(NONCURRENT_DAYS);
    let rule = |id: &str, p: String, expire_days, abort_days| Rule {
        id: format!("exam-station {id} {p}"),
        prefix: p,
        enabled: true,
        expire_days,
        abort_days,
        noncurrent_days: expire_days.and(noncurrent),
        delete_markers: false,
    };
    let mut rules = vec![
        rule(
            "recordings-expire",
            key_under(prefix, "recordings/"),
            Some(RECORDINGS_DAYS),
            None,
        ),
        rule(
            "profiles-expire",
            key_under(prefix, "profiles/"),
            Some(PROFILES_DAYS),
            None,
        ),
        rule(
            "abort-incomplete-uploads",
            key_under(prefix, ""),
            None,
            Some(ABORT_DAYS),
        ),
    ];
    if versioned {
        let mut markers = rule("delete-markers", key_under(prefix, ""), None, None);
        markers.delete_markers = true;
        rules.push(markers);
    }
    rules
}

/// One `<Rule>` element.
fn rule_xml(r: &Rule) -> String {
    let mut s = format!(
        "<Rule><ID>{}</ID><Filter><Prefix>{}</Prefix></Filter><Status>{}</Status>",
        xml::escape(&r.id),
        xml::escape(&r.prefix),
        if r.enabled { "Enabled" } else { "Disabled" }
    );
    if let Some(d) = r.expire_days {
        s += &format!("<Expiration><Days>{d}</Days></Expiration>");
    }
    if r.delete_markers {
        s += "<Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration>";
    }
    if let Some(d) = r.noncurrent_days {
        s += &format!(
            "<NoncurrentVersionExpiration><NoncurrentDays>{d}</NoncurrentDays></NoncurrentVersionExpiration>"
        );
    }
    if let Some(d) = r.abort_days {
        s += &format!("<AbortIncompleteMultipartUpload><DaysAfterInitiation>{d}</DaysAfterInitiation></AbortIncompleteMultipartUpload>");
    }
    s + "</Rule>"
}

/// A `LifecycleConfiguration` document of `<Rule>` elements.
fn document(rules: &[String]) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><LifecycleConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">{}</LifecycleConfiguration>"#,
        rules.concat()
    )
}

/// `LifecycleConfiguration` XML for `rules`.
pub fn to_xml(rules: &[Rule]) -> String {
    document(&rules.iter().map(rule_xml).collect::<Vec<_>>())
}

/// Reads the rules of a `GetBucketLifecycleConfiguration` answer.
pub fn parse_rules(body: &str) -> Vec<Rule> {
    xml::blocks(body, "Rule")
        .into_iter()
        .map(|b| {
            let num = |outer: &str, tag: &str| {
                xml::text(b, outer)
                    .and_then(|o| xml::text(o, tag))
                    .and_then(|t| t.parse().ok())
            };
            Rule {
                id: xml::unescape(xml::text(b, "ID").unwrap_or("")),
                prefix: xml::unescape(xml::text(b, "Prefix").unwrap_or("")),
                enabled: xml::text(b, "Status") == Some("Enabled"),
                expire_days: num("Expiration", "Days"),
                abort_days: num("AbortIncompleteMultipartUpload", "DaysAfterInitiation"),
                noncurrent_days: num("NoncurrentVersionExpiration", "NoncurrentDays"),
                delete_markers: xml::text(b, "Expiration")
                    .and_then(|e| xml::text(e, "ExpiredObjectDeleteMarker"))
                    == Some("true"),
            }
        })
        .collect()
}

/// The bucket's lifecycle configuration with `ours` put in: every rule already there is kept
/// as it was written (S3 replaces the whole document on each PUT), in its place; an earlier
/// version of one of ours (same id) is replaced where it stands; the others are added last.
pub fn merge(existing: &str, ours: &[Rule]) -> String {
    let mut placed = vec![false; ours.len()];
    let mut rules: Vec<String> = Vec::new();
    for b in xml::blocks(existing, "Rule") {
        let id = xml::unescape(xml::text(b, "ID").unwrap_or(""));
        match ours.iter().position(|r| r.id == id) {
            Some(i) if !placed[i] => {
                rules.push(rule_xml(&ours[i]));
                placed[i] = true;
            }
            Some(_) => {}
            None => rules.push(format!("<Rule>{b}</Rule>")),
        }
    }
    for (r, done) in ours.iter().zip(placed) {
        if !done {
            rules.push(rule_xml(r));
        }
    }
    document(&rules)
}

/// The kinds of data the rules expire, with their days: every key below a `recordings/` or
/// `profiles/` folder must be covered.
const EXPIRING: [(&str, u32); 2] = [
    ("recordings/", RECORDINGS_DAYS),
    ("profiles/", PROFILES_DAYS),
];

/// Data prefixes (`.../recordings/`, `.../profiles/`) of `keys` that no enabled rule expires
/// after their days ([`RECORDINGS_DAYS`], [`PROFILES_DAYS`]), with those days: every station's
/// recordings and every site's profiles must be covered, not only one site's.
pub fn uncovered<'a>(keys: impl IntoIterator<Item = &'a str>, have: &[Rule]) -> Vec<(String, u32)> {
    let mut out: Vec<(String, u32)> = Vec::new();
    for key in keys {
        for (folder, days) in EXPIRING {
            let Some(at) = key.find(folder) else {
                continue;
            };
            if at > 0 && !key[..at].ends_with('/') {
                continue;
            }
            let prefix = &key[..at + folder.len()];
            let covered = have
                .iter()
                .any(|r| r.enabled && r.expire_days == Some(days) && prefix.starts_with(&r.prefix));
            if !covered && !out.iter().any(|(p, _)| p == prefix) {
                out.push((prefix.to_string(), days));
            }
            break;
        }
    }
    out
}

/// What is wrong with `have` against `want`; empty when every wanted rule is present.
pub fn problems(want: &[Rule], have: &[Rule]) -> Vec<String> {
    want.iter()
        .filter(|w| {
            !have.iter().any(|h| {
                h.enabled
                    && h.prefix == w.prefix
                    && h.expire_days == w.expire_days
                    && h.abort_days == w.abort_days
                    && h.noncurrent_days == w.noncurrent_days
                    && h.delete_markers == w.delete_markers
            })
        })
        .map(|w| match (w.expire_days, w.abort_days, w.noncurrent_days) {
            (Some(d), _, Some(n)) => format!(
                "missing or wrong: objects under {:?} expire after {d} days and their noncurrent versions {n} day(s) later (versioned bucket)",
                w.prefix
            ),
            (Some(d), _, None) => format!(
                "missing or wrong: objects under {:?} expire after {d} days",
                w.prefix
            ),
            (_, Some(d), _) => format!(
                "missing or wrong: incomplete uploads under {:?} aborted after {d} days",
                w.prefix
            ),
            _ if w.delete_markers => format!(
                "missing or wrong: expired delete markers under {:?} removed (versioned bucket)",
                w.prefix
            ),
            _ => format!("missing: rule {}", w.id),
        })
        .collect()
}

/// Whether the bucket keeps versions: versioning enabled or suspended, or object lock (`lock`,
/// as [`object_lock`] read it).
pub fn versioned(s3: &S3Store, lock: &Lock) -> Result<bool, UplinkError> {
    if matches!(lock, Lock::Enabled(_)) {
        return Ok(true);
    }
    let a = s3.bucket_subresource(Method::Get, "versioning", None)?;
    Ok(a.ok() && matches!(xml::text(&a.body, "Status"), Some("Enabled" | "Suspended")))
}

/// Object lock state of the bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lock {
    /// Enabled; default retention (mode, days) if any.
    Enabled(Option<(String, u32)>),
    /// Not available on this bucket, with the store's reason.
    Unavailable(String),
}

/// Reads the bucket's object-lock configuration.
pub fn object_lock(s3: &S3Store) -> Result<Lock, UplinkError> {
    let a = s3.bucket_subresource(Method::Get, "object-lock", None)?;
    if !a.ok() {
        return Ok(Lock::Unavailable(format!(
            "HTTP {} {}",
            a.status,
            a.code().unwrap_or("")
        )));
    }
    if xml::text(&a.body, "ObjectLockEnabled") != Some("Enabled") {
        return Ok(Lock::Unavailable(
            "object lock not enabled on this bucket".into(),
        ));
    }
    let mode = xml::text(&a.body, "Mode").map(str::to_owned);
    let days = xml::text(&a.body, "Days").and_then(|d| d.parse().ok());
    Ok(Lock::Enabled(mode.zip(days)))
}

/// The bucket's lifecycle configuration document (empty when it has none).
pub fn lifecycle(s3: &S3Store) -> Result<String, UplinkError> {
    let a = s3.bucket_subresource(Method::Get, "lifecycle", None)?;
    if a.ok() {
        Ok(a.body)
    } else if a.status == 404 || a.code() == Some("NoSuchLifecycleConfiguration") {
        Ok(String::new())
    } else {
        Err(answer_error(
            s3.bucket_name(),
            "GetBucketLifecycleConfiguration",
            &a,
        ))
    }
}

/// Replaces the bucket's lifecycle configuration with `document`.
pub fn put_lifecycle(s3: &S3Store, document: &str) -> Result<(), UplinkError> {
    let a = s3.bucket_subresource(Method::Put, "lifecycle", Some(document.as_bytes()))?;
    if a.ok() {
        Ok(())
    } else {
        Err(answer_error(
            s3.bucket_name(),
            "PutBucketLifecycleConfiguration",
            &a,
        ))
    }
}

/// Installs the lifecycle rules of `prefix` beside the rules already there (another station's,
/// the institution's own), and a default COMPLIANCE retention where object lock is enabled.
/// Returns the rules put in and the lock state.
pub fn apply(s3: &S3Store, prefix: &str) -> Result<(Vec<Rule>, Lock), UplinkError> {
    let lock = object_lock(s3)?;
    let ours = wanted(prefix, versioned(s3, &lock)?);
    put_lifecycle(s3, &merge(&lifecycle(s3)?, &ours))?;
    let lock = match lock {
        Lock::Enabled(_) => {
            let cfg = format!(
                r#"<ObjectLockConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention><Mode>COMPLIANCE</Mode><Days>{RECORDINGS_DAYS}</Days></DefaultRetention></Rule></ObjectLockConfiguration>"#
            );
            let a = s3.bucket_subresource(Method::Put, "object-lock", Some(cfg.as_bytes()))?;
            if !a.ok() {
                return Err(answer_error(
                    s3.bucket_name(),
                    "PutObjectLockConfiguration",
                    &a,
                ));
            }
            object_lock(s3)?
        }
        other => other,
    };
    Ok((ours, lock))
}

/// Reads the rules back: the problems found (empty when all is right) and the lock state. Besides
/// the rules of `prefix`, every station's recordings and every site's profiles in the bucket
/// must be covered by an expiry rule of their days.
pub fn check(s3: &S3Store, prefix: &str) -> Result<(Vec<String>, Lock), UplinkError> {
    use crate::store::CentralStore;
    let have = parse_rules(&lifecycle(s3)?);
    let lock = object_lock(s3)?;
    let mut problems = problems(&wanted(prefix, versioned(s3, &lock)?), &have);
    let listed = s3.list("")?;
    for (p, days) in uncovered(listed.iter().map(|l| l.key.as_str()), &have) {
        problems.push(format!(
            "objects under {p:?} are not expired after {days} days by any rule (run `examctl retention apply` with that station's or site's file)"
        ));
    }
    Ok((problems, lock))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merging_keeps_other_rules_and_replaces_our_own() {
        let foreign = "<Rule><ID>logs</ID><Filter><Prefix>logs/</Prefix></Filter><Status>Enabled</Status><Expiration><Days>30</Days></Expiration><Transition><Days>1</Days><StorageClass>GLACIER</StorageClass></Transition></Rule>";
        let a = merge(
            &format!("<LifecycleConfiguration>{foreign}</LifecycleConfiguration>"),
            &wanted("stations/a", false),
        );
        let both = merge(&a, &wanted("stations/b", false));
        let again = merge(&both, &wanted("stations/a", false));
        assert_eq!(again, both, "applying a station twice changes nothing");
        let rules = parse_rules(&both);
        assert_eq!(rules.len(), 7);
        assert!(
            both.contains("<StorageClass>GLACIER</StorageClass>"),
            "{both}"
        );
        assert!(problems(&wanted("stations/a", false), &rules).is_empty());
        assert!(problems(&wanted("stations/b", false), &rules).is_empty());
        assert_eq!(
            parse_rules(&merge("", &wanted("s", false))),
            wanted("s", false)
        );
    }

    #[test]
    fn every_station_s_recordings_must_be_covered() {
        let rules = parse_rules(&to_xml(&wanted("stations/a", false)));
        let keys = [
            "stations/a/recordings/2026-11-25/a/e1/manifest.json",
            "stations/b/recordings/2026-11-25/b/e2/manifest.json",
            "stations/b/recordings/2026-11-25/b/e3/manifest.json",
            "stations/b/profiles/x.json",
            "stations/a/profiles/p/1.age",
            "stations/c/myrecordings/x",
            "stations/c/myprofiles/x",
        ];
        assert_eq!(
            uncovered(keys, &rules),
            [
                ("stations/b/recordings/".to_owned(), RECORDINGS_DAYS),
                ("stations/b/profiles/".to_owned(), PROFILES_DAYS)
            ]
        );
    }

    #[test]
    fn a_versioned_bucket_also_needs_noncurrent_versions_and_delete_markers_gone() {
        let plain = wanted("stations/a", false);
        let versioned = wanted("stations/a", true);
        assert_eq!(parse_rules(&to_xml(&versioned)), versioned);
        let found = problems(&versioned, &plain);
        assert_eq!(found.len(), 3, "{found:?}");
        assert!(
            found[0].contains("noncurrent versions 1 day(s) later"),
            "{found:?}"
        );
        assert!(found[2].contains("delete markers"), "{found:?}");
        assert!(
            problems(&plain, &versioned).len() == 2,
            "a plain bucket's rules differ too"
        );
    }

    #[test]
    fn rules_round_trip() {
        let w = wanted("stations/a", false);
        let back = parse_rules(&to_xml(&w));
        assert_eq!(back, w);
        assert!(problems(&w, &back).is_empty());
        assert_eq!(problems(&w, &back[1..]).len(), 1);
    }
}
