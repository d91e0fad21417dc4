//! The uplink endpoint, parsed the way the uplink's HTTP stack reads it (promise P4).
//!
//! The uplink builds each request URL with rusty-s3 from a `url::Url` of the endpoint (the
//! WHATWG URL parser) and sends it with ureq, which parses it again as an `http::Uri`. A check
//! that reads the endpoint any other way can be fooled: `https://evil.example\@s3.ca-central-1.amazonaws.com`
//! is an AWS host to a split at `@`, but `evil.example` to the URL parser, which takes `\` for
//! `/`. So the endpoint is parsed by both, they must agree on scheme, host and port, and
//! anything odd in the authority (user info, `%`, `\`, spaces, a host the URL parser rewrites,
//! such as `0x7f.1` to `127.0.0.1`) is refused. board-config checks it when the site is loaded
//! and uplink again before it opens any connection.

/// Scheme, host and port of an endpoint both parsers read alike.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// `https` or `http`, lowercase.
    pub scheme: String,
    /// The host as the client connects to it, lowercase; IPv6 addresses in brackets.
    pub host: String,
    /// The port, if the URL names one.
    pub port: Option<u16>,
}

/// Parses `endpoint` with the URL parser and with the HTTP client's URI parser; the error
/// says what is odd in it.
///
/// ```
/// use board_config::parse_endpoint;
/// let e = parse_endpoint("https://s3.ca-central-1.amazonaws.com").unwrap();
/// assert_eq!(e.host, "s3.ca-central-1.amazonaws.com");
/// assert!(parse_endpoint(r"https://evil.example\@s3.ca-central-1.amazonaws.com").is_err());
/// ```
pub fn parse_endpoint(endpoint: &str) -> Result<Endpoint, String> {
    if let Some(c) = endpoint
        .chars()
        .find(|c| c.is_whitespace() || c.is_control() || *c == '\\')
    {
        return Err(format!("it contains {c:?}"));
    }
    let (scheme, rest) = endpoint
        .split_once("://")
        .ok_or("it has no scheme (https://...)")?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.contains('@') {
        return Err(
            "it has user info (`@` before the host): credentials never go in the URL".into(),
        );
    }
    if authority.contains('%') {
        return Err("its host part contains `%`".into());
    }
    let url = url::Url::parse(endpoint).map_err(|e| format!("the URL parser refuses it: {e}"))?;
    let uri: http::Uri = endpoint
        .parse()
        .map_err(|e| format!("the HTTP client refuses it: {e}"))?;
    if !matches!(url.path(), "" | "/") || url.query().is_some() || url.fragment().is_some() {
        return Err("it has a path, query or fragment: give the store's base URL only".into());
    }
    let url_host = url.host_str().unwrap_or_default().to_ascii_lowercase();
    let uri_host = uri.host().unwrap_or_default().to_ascii_lowercase();
    let written = authority_host(authority).to_ascii_lowercase();
    if url_host.is_empty() || url_host != uri_host || url_host != written {
        return Err(format!(
            "its host reads differently to the URL parser ({url_host:?}) and the HTTP client ({uri_host:?}) than as written ({written:?})"
        ));
    }
    let url_port = url.port_or_known_default();
    let uri_port = uri.port_u16().or(match uri.scheme_str() {
        Some("https") => Some(443),
        Some("http") => Some(80),
        _ => None,
    });
    if url_port != uri_port {
        return Err(format!(
            "its port reads differently to the URL parser ({url_port:?}) and the HTTP client ({uri_port:?})"
        ));
    }
    let scheme = scheme.to_ascii_lowercase();
    if url.scheme() != scheme
        || uri.scheme_str().map(str::to_ascii_lowercase) != Some(scheme.clone())
    {
        return Err("its scheme reads differently to the two parsers".into());
    }
    Ok(Endpoint {
        scheme,
        host: url_host,
        port: url.port(),
    })
}

/// Why an endpoint is refused: the field to fix, what is wrong, what would be valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// `uplink.endpoint` or `uplink.region`.
    pub field: &'static str,
    /// What is wrong.
    pub why: String,
    /// What would be valid.
    pub hint: String,
}

/// The residency rules of an S3 endpoint, shared by site validation and the uplink's check
/// before it connects: both parsers read it alike; https, or plain http to a loopback host
/// only; an institution's own store (`on_premises`) is not AWS; otherwise the region is
/// Canadian and the host is that region's own S3 host (or a loopback test store).
pub fn check_endpoint(
    endpoint: &str,
    region: &str,
    on_premises: bool,
) -> Result<Endpoint, Refusal> {
    let refuse = |field, why: String, hint: String| Refusal { field, why, hint };
    let example = "valid: an https:// URL, e.g. \"https://s3.ca-central-1.amazonaws.com\"";
    let e = parse_endpoint(endpoint).map_err(|why| {
        refuse(
            "uplink.endpoint",
            format!("endpoint {endpoint:?} is not a URL the uplink can trust: {why}"),
            example.into(),
        )
    })?;
    let loopback = crate::net::is_loopback_host(&e.host);
    match e.scheme.as_str() {
        "https" => {}
        "http" if loopback => {}
        "http" => {
            return Err(refuse(
                "uplink.endpoint",
                format!("plain http to {} would send recordings unprotected", e.host),
                "valid: https://...; http:// only to a loopback host (127.0.0.1, localhost, [::1])"
                    .into(),
            ))
        }
        other => {
            return Err(refuse(
                "uplink.endpoint",
                format!("endpoint scheme `{other}` is not https"),
                example.into(),
            ))
        }
    }
    let aws = e.host == "amazonaws.com" || e.host.ends_with(".amazonaws.com");
    if on_premises {
        if aws {
            return Err(refuse(
                "uplink.endpoint",
                format!("{} is AWS, not on premises", e.host),
                "for AWS set `on_premises = false` and a Canadian region; for an on-campus store give its own URL".into(),
            ));
        }
        return Ok(e);
    }
    if !crate::CANADIAN_REGIONS.contains(&region) {
        return Err(refuse(
            "uplink.region",
            format!(
                "region {region:?} is not a Canadian region: recordings are stored in Canada only"
            ),
            format!(
                "valid: {}; or set `on_premises = true` for the institution's own store in Canada",
                crate::CANADIAN_REGIONS.join(", ")
            ),
        ));
    }
    let hosts = aws_s3_hosts(region);
    if !loopback && !hosts.contains(&e.host) {
        return Err(refuse(
            "uplink.endpoint",
            format!("endpoint host {} is not AWS S3 in {region}", e.host),
            format!(
                "valid: https://{} (or https://{}); or set `on_premises = true` for the institution's own store in Canada",
                hosts[0], hosts[1]
            ),
        ));
    }
    Ok(e)
}

/// The host of `host[:port]` as written (IPv6 with its brackets).
fn authority_host(authority: &str) -> &str {
    if authority.starts_with('[') {
        authority.find(']').map_or(authority, |i| &authority[..=i])
    } else {
        authority.split(':').next().unwrap_or_default()
    }
}

/// The S3 hosts of an AWS region: `s3.REGION.amazonaws.com` and its dual-stack name.
pub fn aws_s3_hosts(region: &str) -> [String; 2] {
    [
        format!("s3.{region}.amazonaws.com"),
        format!("s3.dualstack.{region}.amazonaws.com"),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_endpoints_parse() {
        for (e, host, port) in [
            (
                "https://s3.ca-central-1.amazonaws.com",
                "s3.ca-central-1.amazonaws.com",
                None,
            ),
            (
                "https://s3.ca-central-1.amazonaws.com/",
                "s3.ca-central-1.amazonaws.com",
                None,
            ),
            (
                "https://S3.Campus.Example.ca:8443",
                "s3.campus.example.ca",
                Some(8443),
            ),
            ("http://127.0.0.1:8333", "127.0.0.1", Some(8333)),
            ("http://[::1]:8333", "[::1]", Some(8333)),
            ("http://localhost:9000", "localhost", Some(9000)),
        ] {
            let p = parse_endpoint(e).unwrap_or_else(|why| panic!("{e}: {why}"));
            assert_eq!((p.host.as_str(), p.port), (host, port), "{e}");
        }
    }

    /// Every form tried; each would be read as another host by one of the parsers, or is
    /// ambiguous enough that a person reading it could be fooled.
    #[test]
    fn odd_authorities_are_refused() {
        for (e, says) in [
            (
                r"https://evil.example\@s3.ca-central-1.amazonaws.com",
                "contains '\\\\'",
            ),
            (
                "https://s3.ca-central-1.amazonaws.com@evil.example",
                "user info",
            ),
            ("https://user:pw@s3.ca-central-1.amazonaws.com", "user info"),
            (
                "https://evil.example#@s3.ca-central-1.amazonaws.com",
                "path, query or fragment",
            ),
            (
                "https://evil.example?@s3.ca-central-1.amazonaws.com",
                "path, query or fragment",
            ),
            ("https://s3.ca-central-1.amazonaws.com%2F@evil", "user info"),
            ("https://s3%2eca-central-1.amazonaws.com", "contains `%`"),
            ("https://s3.ca-central-1.amazonaws.com /", "contains ' '"),
            ("https://s3.ca-central-1.amazonaws.com\t", "contains '\\t'"),
            ("http://0x7f.1:8333", "reads differently"),
            ("http://127.1:8333", "reads differently"),
            ("http://2130706433:8333", "reads differently"),
            ("http://0177.0.0.1:8333", "reads differently"),
            ("https://ＳＳＳ.example", "refuses it"),
            ("https://s3.ca-central-1.amazonaws.com/bucket", "path"),
            ("https://s3.ca-central-1.amazonaws.com:99999", "refuses it"),
            ("https:s3.ca-central-1.amazonaws.com", "no scheme"),
            ("https:///s3.ca-central-1.amazonaws.com", "refuses it"),
        ] {
            let why = parse_endpoint(e).expect_err(e);
            assert!(why.contains(says), "{e}: {why}");
        }
    }

    #[test]
    fn aws_hosts_of_a_region() {
        assert_eq!(
            aws_s3_hosts("ca-west-1"),
            [
                "s3.ca-west-1.amazonaws.com",
                "s3.dualstack.ca-west-1.amazonaws.com"
            ]
        );
    }
}
