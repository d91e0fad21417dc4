//! Rules of site files, above all the residency promise: recordings go to Canada only.

use super::host::host_pattern;
use super::{in_range, invalid, is_name, missing, not_empty, shown, Check};
use crate::endpoint::check_endpoint;
use crate::network::Network;
use crate::path::FieldPath;
use crate::recipient;
use crate::site::{ExamPolicy, Institution, Site, StationId, Uplink, UplinkBackend};
use crate::suggest::did_you_mean;

/// Modifiers allowed in `exam.blocked_combinations`.
const MODIFIERS: &[&str] = &["Ctrl", "Alt", "Shift", "Super"];

/// Named keys allowed as the last part of a combination (besides A-Z, 0-9 and F1-F24).
const NAMED_KEYS: &[&str] = &[
    "Tab",
    "Escape",
    "Enter",
    "Space",
    "Backspace",
    "Delete",
    "Insert",
    "Home",
    "End",
    "PageUp",
    "PageDown",
    "Left",
    "Right",
    "Up",
    "Down",
    "Print",
    "Minus",
    "Equal",
    "Comma",
    "Period",
    "Slash",
    "Backslash",
    "Semicolon",
    "Apostrophe",
    "Grave",
    "LeftBracket",
    "RightBracket",
];

/// Checks every rule of a site file; the first problem found is returned.
pub(crate) fn site(s: &Site) -> Check {
    station(&s.station)?;
    institution(&s.institution)?;
    exam(&s.exam)?;
    uplink(&s.uplink)?;
    super::checkin::check(&s.checkin, s.proctor.as_ref(), &s.exams)
}

/// The recipient of the shipped example site: a valid key whose secret half nobody holds.
pub const EXAMPLE_RECIPIENT: &str =
    "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p";

/// The rules of a site that goes into an image a station boots with: every rule of [`site`],
/// and a recipient of the institution's own (an image sealing to the example's placeholder
/// would record exams nobody could ever open).
pub(crate) fn image_site(s: &Site) -> Check {
    site(s)?;
    if s.institution.recipient == EXAMPLE_RECIPIENT {
        return Err(invalid(
            FieldPath::of("institution.recipient"),
            "this is the example site's placeholder recipient: nobody holds its secret key, so nothing recorded could ever be opened",
            "valid: the institution's own key; make it with `examctl keygen --out institution.key` and put the recipient it prints here",
        ));
    }
    Ok(())
}

pub(crate) fn station(s: &StationId) -> Check {
    if !is_name(&s.id, 40, |c| {
        c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'
    }) {
        return Err(invalid(
            FieldPath::of("station.id"),
            format!("station id {} is not valid", shown(&s.id)),
            "valid: 1 to 40 of lowercase letters a-z, digits and `-`, e.g. \"hall-b-07\"",
        ));
    }
    not_empty(
        &FieldPath::of("station.location"),
        &s.location,
        "\"Hall B, seat 7\"",
    )
}

fn institution(i: &Institution) -> Check {
    not_empty(
        &FieldPath::of("institution.name"),
        &i.name,
        "\"Example University\"",
    )?;
    recipient::check(&i.recipient).map_err(|why| {
        invalid(
            FieldPath::of("institution.recipient"),
            format!("{} is not an age X25519 recipient: {why}", shown(&i.recipient)),
            "valid: the institution's public key as printed by `age-keygen` or `examctl keygen`: age1 followed by 58 characters",
        )
    })
}

/// Whether `key` can end a key combination.
fn is_key(key: &str) -> bool {
    let single = key.len() == 1
        && key
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
    let function = key
        .strip_prefix('F')
        .and_then(|n| n.parse::<u8>().ok())
        .is_some_and(|n| (1..=24).contains(&n) && !key.starts_with("F0"));
    single || function || NAMED_KEYS.contains(&key)
}

/// Checks one `Mod+...+Key` combination; the error is (message, hint).
fn combination(combo: &str) -> Result<(), (String, String)> {
    let parts: Vec<&str> = combo.split('+').collect();
    let Some((key, modifiers)) = parts.split_last() else {
        return Err((format!("{} is empty", shown(combo)), String::new()));
    };
    let modifier_hint = || {
        "valid: one or more of Ctrl, Alt, Shift, Super, then a key, e.g. \"Ctrl+Shift+I\", \"Alt+F4\"".to_owned()
    };
    if modifiers.is_empty() {
        return Err((format!("{} has no modifier", shown(combo)), modifier_hint()));
    }
    for (i, m) in modifiers.iter().enumerate() {
        if !MODIFIERS.contains(m) {
            let mut hint = modifier_hint();
            if let Some(best) = did_you_mean(m, MODIFIERS) {
                hint.push_str(&format!(" (did you mean `{best}`?)"));
            }
            return Err((format!("`{m}` in {} is not a modifier", shown(combo)), hint));
        }
        if modifiers[..i].contains(m) {
            return Err((
                format!("`{m}` appears twice in {}", shown(combo)),
                modifier_hint(),
            ));
        }
    }
    if !is_key(key) {
        return Err((
            format!("`{key}` in {} is not a key name", shown(combo)),
            format!("valid keys: A-Z, 0-9, F1-F24, {}", NAMED_KEYS.join(", ")),
        ));
    }
    Ok(())
}

fn exam(e: &ExamPolicy) -> Check {
    let allowlist = FieldPath::of("exam.allowlist");
    if e.allowlist.is_empty() {
        return Err(invalid(
            allowlist,
            "`exam.allowlist` is empty: the exam shell could open nothing",
            "list the exam's hosts, e.g. allowlist = [\"exam.example.ca\", \"*.lms.example.ca\"]",
        ));
    }
    for (i, pattern) in e.allowlist.iter().enumerate() {
        host_pattern(pattern)
            .map_err(|(message, hint)| invalid(allowlist.index(i), message, hint))?;
    }
    for (i, network) in e.private_networks.iter().enumerate() {
        network.parse::<Network>().map_err(|why| {
            invalid(
                FieldPath::of("exam.private_networks").index(i),
                why,
                "valid: a network in CIDR form that allowlisted names may resolve to, e.g. \"10.20.0.0/16\"",
            )
        })?;
    }
    start_url(e)?;
    let ports = FieldPath::of("exam.ports");
    if e.ports.is_empty() {
        return Err(invalid(
            ports,
            "`exam.ports` is empty: the exam shell could reach no port",
            "leave it out for HTTPS and HTTP (ports = [443, 80]), or list the exam's ports",
        ));
    }
    if let Some(i) = e.ports.iter().position(|p| *p == 0) {
        return Err(invalid(
            ports.index(i),
            "port 0 is not a port",
            "ports are 1 to 65535, e.g. ports = [443, 80]",
        ));
    }
    for (i, combo) in e.blocked_combinations.iter().enumerate() {
        if let Err((message, hint)) = combination(combo) {
            return Err(invalid(
                FieldPath::of("exam.blocked_combinations").index(i),
                message,
                hint,
            ));
        }
    }
    in_range(
        "exam.segment_seconds",
        e.segment_seconds,
        10,
        600,
        "seconds",
    )?;
    in_range("exam.sync_seconds", e.sync_seconds, 1, 10, "seconds")
}

/// The kiosk's first page must be web content the allowlist lets through.
fn start_url(e: &ExamPolicy) -> Check {
    let field = FieldPath::of("exam.start_url");
    let Some(url) = e.start_url() else {
        return Err(invalid(
            field,
            "`exam.start_url` is missing and the allowlist has only `*.` patterns: the kiosk has no page to open",
            "set start_url = \"https://exam.example.ca/\" on an allowlisted host",
        ));
    };
    let parts = crate::net::url_parts(&url);
    let host = match parts {
        Some(p) if p.scheme == "https" || p.scheme == "http" => p.host,
        _ => {
            return Err(invalid(
                field,
                format!("{} is not an http:// or https:// URL", shown(&url)),
                "e.g. start_url = \"https://exam.example.ca/login\"",
            ))
        }
    };
    if !crate::Allowlist::new(&e.allowlist).allows(&host) {
        return Err(invalid(
            field,
            format!(
                "{} is on host {}, which `exam.allowlist` does not allow",
                shown(&url),
                shown(&host)
            ),
            "use a page of an allowlisted host, or add its host to exam.allowlist",
        ));
    }
    Ok(())
}

fn absolute_path(path: &str, value: &str, example: &str) -> Check {
    if value.starts_with('/') && !value.split('/').any(|s| s == "..") {
        return Ok(());
    }
    Err(invalid(
        FieldPath::of(path),
        format!("`{path}` = {} is not an absolute path", shown(value)),
        format!("valid: an absolute path without `..`, e.g. \"{example}\""),
    ))
}

/// A key prefix in the bucket: relative, no `..`, no control characters.
pub(crate) fn prefix(path: &FieldPath, prefix: &str) -> Check {
    if prefix.starts_with('/')
        || prefix.split('/').any(|s| s == "..")
        || prefix.chars().any(char::is_control)
    {
        return Err(invalid(
            path.clone(),
            format!("prefix {} is not a valid key prefix", shown(prefix)),
            "valid: a relative key prefix without leading `/` or `..`, e.g. \"stations/hall-b-07\", or \"\"",
        ));
    }
    Ok(())
}

fn uplink(u: &Uplink) -> Check {
    if u.residency != "CA" {
        return Err(invalid(
            FieldPath::of("uplink.residency"),
            format!(
                "residency {} is not allowed: recordings are stored in Canada only",
                shown(&u.residency)
            ),
            "valid: \"CA\"",
        ));
    }
    prefix(&FieldPath::of("uplink.prefix"), &u.prefix)?;
    in_range(
        "uplink.part_size_mib",
        u.part_size_mib,
        5,
        512,
        "MiB; S3 parts are at least 5 MiB",
    )?;
    in_range(
        "uplink.parts_in_flight",
        u.parts_in_flight,
        1,
        16,
        "requests at once; memory holds this many parts",
    )?;
    in_range(
        "uplink.start_jitter_seconds",
        u.start_jitter_seconds,
        0,
        3600,
        "seconds",
    )?;
    match u.backend {
        UplinkBackend::S3 => s3(u),
        UplinkBackend::Folder => match &u.folder {
            None => Err(missing(
                FieldPath::of("uplink.folder"),
                "`backend = \"folder\"` needs `folder`",
                "add `folder = \"/mnt/exam-archive\"` (a mounted folder in Canada)",
            )),
            Some(folder) => absolute_path("uplink.folder", folder, "/mnt/exam-archive"),
        },
    }
}

/// A field that backend s3 requires.
fn required<'a>(
    value: &'a Option<String>,
    name: &str,
    example: &str,
) -> Result<&'a str, super::Problem> {
    value.as_deref().ok_or_else(|| {
        missing(
            FieldPath::of("uplink").key(name),
            format!("`backend = \"s3\"` needs `{name}`"),
            format!("add `{name} = {example}`"),
        )
    })
}

fn s3(u: &Uplink) -> Check {
    let endpoint = required(
        &u.endpoint,
        "endpoint",
        "\"https://s3.ca-central-1.amazonaws.com\"",
    )?;
    let region = required(&u.region, "region", "\"ca-central-1\"")?;
    let bucket = required(&u.bucket, "bucket", "\"example-exam-recordings\"")?;
    let credentials = required(
        &u.credentials_file,
        "credentials_file",
        "\"/data/credentials/uplink.toml\"",
    )?;

    if u.on_premises
        && !is_name(region, 64, |c| {
            c.is_ascii_alphanumeric() || c == '-' || c == '_'
        })
    {
        return Err(invalid(
            FieldPath::of("uplink.region"),
            format!("region {} is not a region name", shown(region)),
            "valid: the store's region name, letters, digits, `-`, `_`, e.g. \"campus-1\"",
        ));
    }
    let url = check_endpoint(endpoint, region, u.on_premises)
        .map_err(|r| invalid(FieldPath::of(r.field), r.why, r.hint))?;

    let bucket_ok = is_name(bucket, 63, |c| {
        c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.'
    }) && bucket.len() >= 3
        && bucket.starts_with(|c: char| c.is_ascii_alphanumeric())
        && bucket.ends_with(|c: char| c.is_ascii_alphanumeric());
    if !bucket_ok {
        return Err(invalid(
            FieldPath::of("uplink.bucket"),
            format!("bucket {} is not a valid bucket name", shown(bucket)),
            "valid: 3 to 63 of lowercase letters, digits, `-` and `.`, starting and ending with a letter or digit",
        ));
    }
    if let Some(ca) = &u.ca_file {
        if url.scheme != "https" {
            return Err(invalid(
                FieldPath::of("uplink.ca_file"),
                format!("ca_file is set but the endpoint {} is not https", shown(endpoint)),
                "valid: ca_file only with an https:// endpoint; remove it for a loopback http store",
            ));
        }
        absolute_path("uplink.ca_file", ca, "/etc/station/store-ca.pem")?;
    }
    absolute_path(
        "uplink.credentials_file",
        credentials,
        "/data/credentials/uplink.toml",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn combinations() {
        for ok in [
            "Ctrl+Shift+I",
            "Alt+F4",
            "Super+L",
            "Ctrl+Alt+Delete",
            "Ctrl+1",
            "Alt+Tab",
        ] {
            assert_eq!(combination(ok), Ok(()), "{ok}");
        }
        for bad in [
            "I",
            "Ctrl",
            "Ctrl+",
            "Ctl+C",
            "Ctrl+Ctrl+C",
            "Ctrl+F25",
            "Ctrl+F0",
            "Ctrl+c",
            "Ctrl+Shift+Banana",
            "",
        ] {
            assert!(combination(bad).is_err(), "{bad}");
        }
        let (_, hint) = combination("Ctl+C").unwrap_err();
        assert!(hint.ends_with("(did you mean `Ctrl`?)"), "{hint}");
    }
}
