//! Scheme and host of a URL as a browser or the URL crate reads it (WHATWG: `\\` is `/`,
//! user info ends at the last `@` before the path, IPv4 in any notation is normalized), and
//! whether a host is loopback.

use std::net::{Ipv4Addr, Ipv6Addr};

/// The scheme and host of a URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct UrlParts {
    /// The scheme, lowercase (e.g. `https`).
    pub(crate) scheme: String,
    /// The host without port, normalized; IPv6 addresses keep their brackets (`[::1]`).
    pub(crate) host: String,
}

/// Parses `url` with the URL standard's parser; `None` if it is not a URL with a host.
pub(crate) fn url_parts(url: &str) -> Option<UrlParts> {
    let u = url::Url::parse(url).ok()?;
    let host = match u.host()? {
        url::Host::Ipv6(a) => format!("[{a}]"),
        h => h.to_string(),
    };
    Some(UrlParts {
        scheme: u.scheme().to_string(),
        host,
    })
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
    url_parts(url).is_some_and(|p| is_loopback_host(&p.host))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_urls_as_a_browser_does() {
        let p = url_parts("https://user:pw@S3.ca-central-1.amazonaws.com:443/b?x#y");
        assert_eq!(
            p,
            Some(UrlParts {
                scheme: "https".into(),
                host: "s3.ca-central-1.amazonaws.com".into()
            })
        );
        assert_eq!(
            url_parts("http://[::1]:9000").map(|p| p.host).as_deref(),
            Some("[::1]")
        );
        // A backslash ends the authority: the host is the name before it.
        assert_eq!(
            url_parts(r"http://evil.example\@exam.example.ca/")
                .map(|p| p.host)
                .as_deref(),
            Some("evil.example")
        );
        assert_eq!(
            url_parts("http://0x7f.1/").map(|p| p.host).as_deref(),
            Some("127.0.0.1")
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
