//! Retention on the central bucket (promise P7), applied and checked by `examctl retention`:
//! lifecycle rules `recordings/` expire after 180 days, `profiles/` after 365 days, incomplete
//! multipart uploads are aborted after 7 days; object lock (default COMPLIANCE retention) where
//! the bucket supports it. SeaweedFS and AWS allow object lock only on buckets created with it:
//! on other buckets it is skipped and reported, never an error.

use rusty_s3::Method;

use crate::error::UplinkError;
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
}

fn with_prefix(prefix: &str, tail: &str) -> String {
    let p = prefix.trim_matches('/');
    if p.is_empty() {
        tail.into()
    } else {
        format!("{p}/{tail}")
    }
}

/// The rules the institution's bucket must have, below the site's `prefix`.
pub fn wanted(prefix: &str) -> Vec<Rule> {
    let rule = |id: &str, p: String, e, a| Rule {
        id: id.into(),
        prefix: p,
        enabled: true,
        expire_days: e,
        abort_days: a,
    };
    vec![
        rule(
            "recordings-expire",
            with_prefix(prefix, "recordings/"),
            Some(RECORDINGS_DAYS),
            None,
        ),
        rule(
            "profiles-expire",
            with_prefix(prefix, "profiles/"),
            Some(PROFILES_DAYS),
            None,
        ),
        rule(
            "abort-incomplete-uploads",
            with_prefix(prefix, ""),
            None,
            Some(ABORT_DAYS),
        ),
    ]
}

/// `LifecycleConfiguration` XML for `rules`.
pub fn to_xml(rules: &[Rule]) -> String {
    let mut s = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?><LifecycleConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">"#,
    );
    for r in rules {
        s += &format!(
            "<Rule><ID>{}</ID><Filter><Prefix>{}</Prefix></Filter><Status>{}</Status>",
            xml::escape(&r.id),
            xml::escape(&r.prefix),
            if r.enabled { "Enabled" } else { "Disabled" }
        );
        if let Some(d) = r.expire_days {
            s += &format!("<Expiration><Days>{d}</Days></Expiration>");
        }
        if let Some(d) = r.abort_days {
            s += &format!("<AbortIncompleteMultipartUpload><DaysAfterInitiation>{d}</DaysAfterInitiation></AbortIncompleteMultipartUpload>");
        }
        s += "</Rule>";
    }
    s + "</LifecycleConfiguration>"
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
            }
        })
        .collect()
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
            })
        })
        .map(|w| match (w.expire_days, w.abort_days) {
            (Some(d), _) => format!(
                "missing or wrong: objects under {:?} expire after {d} days",
                w.prefix
            ),
            (_, Some(d)) => format!(
                "missing or wrong: incomplete uploads under {:?} aborted after {d} days",
                w.prefix
            ),
            _ => format!("missing: rule {}", w.id),
        })
        .collect()
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

/// Installs the lifecycle rules, and a default COMPLIANCE retention where object lock is enabled.
pub fn apply(s3: &S3Store, prefix: &str) -> Result<Lock, UplinkError> {
    let body = to_xml(&wanted(prefix));
    let a = s3.bucket_subresource(Method::Put, "lifecycle", Some(body.as_bytes()))?;
    if !a.ok() {
        return Err(answer_error(
            s3.bucket_name(),
            "PutBucketLifecycleConfiguration",
            &a,
        ));
    }
    match object_lock(s3)? {
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
            object_lock(s3)
        }
        other => Ok(other),
    }
}

/// Reads the rules back: the problems found (empty when all is right) and the lock state.
pub fn check(s3: &S3Store, prefix: &str) -> Result<(Vec<String>, Lock), UplinkError> {
    let a = s3.bucket_subresource(Method::Get, "lifecycle", None)?;
    let have = if a.ok() {
        parse_rules(&a.body)
    } else if a.status == 404 {
        Vec::new()
    } else {
        return Err(answer_error(
            s3.bucket_name(),
            "GetBucketLifecycleConfiguration",
            &a,
        ));
    };
    Ok((problems(&wanted(prefix), &have), object_lock(s3)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_round_trip() {
        let w = wanted("stations/a");
        let back = parse_rules(&to_xml(&w));
        assert_eq!(back, w);
        assert!(problems(&w, &back).is_empty());
        assert_eq!(problems(&w, &back[1..]).len(), 1);
    }
}
