//! Allowlist entries: host names, never addresses, and wildcards only below a registrable
//! domain (`*.lms.example.ca`, never `*.ca` or `*.co.uk`).

use super::{is_name, shown};

/// Why one allowlist entry is refused: (message, hint).
pub(super) type Refused = (String, String);

/// Checks one `exam.allowlist` entry: `host.name` or `*.host.name` in lowercase DNS labels, not
/// an IP address in any form a browser reads as one, and no wildcard over a public suffix.
pub(super) fn host_pattern(pattern: &str) -> Result<(), Refused> {
    let (wildcard, host) = match pattern.strip_prefix("*.") {
        Some(h) => (true, h),
        None => (false, pattern),
    };
    let labels_ok = host.len() <= 253
        && host.split('.').all(|label| {
            is_name(label, 63, |c| {
                c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'
            }) && !label.starts_with('-')
                && !label.ends_with('-')
        });
    if !labels_ok {
        let hint = if pattern.contains(':') || pattern.contains('[') {
            "IP addresses are not allowed (the proxy matches names); name the host, e.g. \"exam.example.ca\""
        } else {
            "valid: a host name \"exam.example.ca\" or \"*.example.ca\" for its subdomains; lowercase, no scheme, port or path"
        };
        return Err((
            format!("{} is not a host pattern", shown(pattern)),
            hint.into(),
        ));
    }
    if ends_in_a_number(host) {
        return Err((
            format!(
                "{} is an IP address (browsers read a name whose last label is a number as one)",
                shown(pattern)
            ),
            "allowlist host names only, e.g. \"exam.example.ca\"; for a server on the campus network add its network to exam.private_networks and its name here".into(),
        ));
    }
    if wildcard && is_public_suffix(host) {
        return Err((
            format!(
                "{} covers every site under the public suffix {}",
                shown(pattern),
                shown(host)
            ),
            format!("a wildcard must sit below a registered domain, e.g. \"*.exam.{host}\""),
        ));
    }
    Ok(())
}

/// Whether the URL standard's host parser would take `host` as an IPv4 address: its last label
/// is decimal digits or `0x` and hex digits (`10.0.2.1`, `127.1`, `2130706433`, `0x7f.1`).
fn ends_in_a_number(host: &str) -> bool {
    let last = host.rsplit('.').next().unwrap_or(host);
    let hex = last
        .strip_prefix("0x")
        .is_some_and(|h| h.bytes().all(|b| b.is_ascii_hexdigit()));
    hex || last.bytes().all(|b| b.is_ascii_digit())
}

/// Whether `domain` is a public suffix (`ca`, `co.uk`, `github.io`), from the Public Suffix
/// List compiled into the `psl` crate; a single label is always one (the list's `*` rule).
fn is_public_suffix(domain: &str) -> bool {
    psl::suffix_str(domain) == Some(domain)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_pass() {
        for ok in [
            "exam.example.ca",
            "*.lms.example.ca",
            "*.example.ca",
            "*.utoronto.ca",
            "localhost",
            "exam.station.test",
            "*.station.test",
            "x1.example.ca",
            "0x.example.ca",
            "a-b.c1.ca",
        ] {
            assert_eq!(host_pattern(ok), Ok(()), "{ok}");
        }
    }

    #[test]
    fn malformed_patterns_are_refused() {
        for bad in [
            "https://exam.example.ca",
            "exam.example.ca/x",
            "*",
            "*.",
            "a..b",
            "-a.ca",
            "Exam.ca",
            "a.*.ca",
            "exam.example.ca:443",
            "",
        ] {
            let (message, _) = host_pattern(bad).unwrap_err();
            assert!(message.contains("not a host pattern"), "{bad}: {message}");
        }
    }

    #[test]
    fn ip_literals_in_every_form_are_refused() {
        for ip in [
            "10.0.2.100",
            "127.0.0.1",
            "127.1",
            "2130706433",
            "0x7f.0.0.1",
            "0x7f000001",
            "0177.0.0.1",
            "*.0.0.1",
            "*.2.100",
            "1.2.3.0x",
        ] {
            let (message, _) = host_pattern(ip).unwrap_err();
            assert!(message.contains("is an IP address"), "{ip}: {message}");
            assert!(message.contains(ip), "{ip}: {message}");
        }
        for ip in [
            "::1",
            "[::1]",
            "fe80::1%eth0",
            "[::ffff:127.0.0.1]",
            "1.2.3.4:80",
        ] {
            let (message, hint) = host_pattern(ip).unwrap_err();
            assert!(message.contains("not a host pattern"), "{ip}: {message}");
            assert!(
                hint.contains("IP addresses are not allowed"),
                "{ip}: {hint}"
            );
        }
        for other in ["%31%30.0.0.1", "1.2.3.4.", "Exam.example.ca"] {
            assert!(host_pattern(other).is_err(), "{other}");
        }
    }

    #[test]
    fn wildcards_over_public_suffixes_are_refused() {
        for wide in [
            "*.com",
            "*.ca",
            "*.co.uk",
            "*.on.ca",
            "*.github.io",
            "*.test",
            "*.qc.ca",
        ] {
            let (message, _) = host_pattern(wide).unwrap_err();
            assert!(message.contains("public suffix"), "{wide}: {message}");
            assert!(message.contains(wide), "{wide}: {message}");
        }
    }
}
