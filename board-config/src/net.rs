//! Just enough URL handling for endpoint rules: scheme and host, and whether a host is loopback.

use std::net::{Ipv4Addr, Ipv6Addr};

/// The parts of an `scheme://[user@]host[:port][/path]` URL that the residency rules need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct UrlParts<'a> {
    /// The scheme, as written (e.g. `https`).
    pub(crate) scheme: &'a str,
    /// The host without port; IPv6 addresses keep their brackets (`[::1]`).
    pub(crate) host: &'a str,
}

/// Splits `url` into scheme and host; `None` if it has no `://` or no host.
pub(crate) fn url_parts(url: &str) -> Option<UrlParts<'_>> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    // Userinfo ends at the last '@' of the authority.
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if host_port.starts_with('[') {
        let end = host_port.find(']')?;
        &host_port[..=end]
    } else {
        host_port.split(':').next().unwrap_or_default()
    };
    if scheme.is_empty() || host.is_empty() {
        return None;
    }
    Some(UrlParts { scheme, host })
}

/// Whether a host name or address is loopback: `localhost`, `127.0.0.0/8` or `[::1]`.
pub(crate) fn is_loopback_host(host: &str) -> bool {
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    if let Some(inner) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        return inner.parse::<Ipv6Addr>().is_ok_and(|a| a.is_loopback());
    }
    host.parse::<Ipv4Addr>().is_ok_and(|a| a.is_loopback())
}

/// Whether `url`'s host is loopback: `localhost`, an address in `127.0.0.0/8`, or `[::1]`.
///
/// Plain `http://` endpoints are accepted only to such hosts (a test store on the station
/// itself); uplink re-checks this at connect time.
///
/// ```
/// use board_config::is_loopback_url;
/// assert!(is_loopback_url("http://127.0.0.1:8333"));
/// assert!(is_loopback_url("http://[::1]:9000/bucket"));
/// assert!(is_loopback_url("http://localhost/"));
/// assert!(!is_loopback_url("http://127.0.0.1.example.com"));
/// assert!(!is_loopback_url("http://localhost@example.com"));
/// assert!(!is_loopback_url("not a url"));
/// ```
pub fn is_loopback_url(url: &str) -> bool {
    url_parts(url).is_some_and(|p| is_loopback_host(p.host))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_urls() {
        let p = url_parts("https://user:pw@s3.ca-central-1.amazonaws.com:443/b?x#y");
        assert_eq!(
            p,
            Some(UrlParts {
                scheme: "https",
                host: "s3.ca-central-1.amazonaws.com"
            })
        );
        assert_eq!(
            url_parts("http://[::1]:9000").map(|p| p.host),
            Some("[::1]")
        );
        assert_eq!(url_parts("http://"), None);
        assert_eq!(url_parts("http://[::1"), None);
        assert_eq!(url_parts("s3.amazonaws.com"), None);
    }

    #[test]
    fn loopback() {
        for yes in [
            "http://127.0.0.1:8333",
            "http://127.1.2.3",
            "http://LOCALHOST:1",
            "http://[::1]",
        ] {
            assert!(is_loopback_url(yes), "{yes}");
        }
        for no in [
            "http://128.0.0.1",
            "http://[::2]",
            "http://10.0.0.1",
            "http://localhost.evil.ca",
            "http://0.0.0.0",
        ] {
            assert!(!is_loopback_url(no), "{no}");
        }
    }
}
