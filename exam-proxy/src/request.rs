//! Request heads as the proxy reads them: `CONNECT host:port` (HTTPS tunnels) and absolute-form
//! plain-HTTP requests (`GET http://host/path`), read against a deadline for the whole head, and
//! checked for a `Host` header that names another host than the request line.

use std::io::{self, Read};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// Largest request head accepted.
pub const HEAD_MAX: usize = 8192;

/// What a client asked for.
#[derive(Debug, PartialEq, Eq)]
pub struct Request {
    /// `CONNECT` tunnel (HTTPS) or a plain-HTTP request.
    pub tunnel: bool,
    /// The host of the request line, as written.
    pub host: String,
    /// Its port.
    pub port: u16,
    /// For plain HTTP: the head to send upstream (origin-form request line, `Connection:
    /// close`, hop-by-hop headers dropped).
    pub head: Vec<u8>,
    /// For plain HTTP: the body's length (`Content-Length`, 0 without one).
    pub body: u64,
    /// The `Host` header when it names another host or port than the request line.
    pub host_mismatch: Option<String>,
}

/// Why a head was not a request the proxy serves.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Not a well-formed proxy request (400).
    Malformed,
    /// A plain-HTTP request body in chunks: its end cannot be known without decoding, so a
    /// second request could hide in it (411).
    Chunked,
}

/// Splits `host:port` (or `[v6]:port`); `default` if no port.
pub fn host_port(s: &str, default: u16) -> Option<(String, u16)> {
    let (host, port) = match s.rsplit_once(':') {
        Some((h, p)) if !p.contains(']') => (h, p.parse().ok()?),
        _ => (s, default),
    };
    let valid = !host.is_empty() && !host.contains(['/', '@', ' ']);
    valid.then(|| (host.to_string(), port))
}

/// Headers that belong to one connection: not passed upstream.
const HOP_BY_HOP: &[&str] = &[
    "connection",
    "proxy-connection",
    "keep-alive",
    "proxy-authorization",
    "te",
    "upgrade",
];

/// Parses a request head (up to and including the blank line).
pub fn parse(head: &[u8]) -> Result<Request, Refusal> {
    let text = std::str::from_utf8(head).map_err(|_| Refusal::Malformed)?;
    let (line, rest) = text.split_once("\r\n").ok_or(Refusal::Malformed)?;
    let mut parts = line.split(' ');
    let (method, target, version) = match (parts.next(), parts.next(), parts.next()) {
        (Some(m), Some(t), Some(v)) => (m, t, v),
        _ => return Err(Refusal::Malformed),
    };
    if parts.next().is_some() || !version.starts_with("HTTP/1.") {
        return Err(Refusal::Malformed);
    }
    let headers: Vec<(&str, &str)> = rest
        .split("\r\n")
        .filter(|l| !l.is_empty())
        .map(|l| l.split_once(':').map(|(k, v)| (k.trim(), v.trim())))
        .collect::<Option<_>>()
        .ok_or(Refusal::Malformed)?;
    let header = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| *v)
    };
    let (tunnel, authority, path, default) = if method == "CONNECT" {
        (true, target, "", 443)
    } else {
        let after = target.strip_prefix("http://").ok_or(Refusal::Malformed)?;
        match after.find('/') {
            Some(i) => (false, &after[..i], &after[i..], 80),
            None => (false, after, "/", 80),
        }
    };
    let (host, port) = host_port(authority, default).ok_or(Refusal::Malformed)?;
    let host_mismatch = header("host").filter(|h| {
        host_port(h, default).is_none_or(|(hh, hp)| !hh.eq_ignore_ascii_case(&host) || hp != port)
    });
    if tunnel {
        return Ok(Request {
            tunnel,
            host,
            port,
            head: Vec::new(),
            body: 0,
            host_mismatch: host_mismatch.map(str::to_owned),
        });
    }
    if header("transfer-encoding").is_some() {
        return Err(Refusal::Chunked);
    }
    let body = match header("content-length") {
        Some(n) => n.parse().map_err(|_| Refusal::Malformed)?,
        None => 0,
    };
    let mut out = format!("{method} {path} {version}\r\n");
    for (k, v) in &headers {
        if !HOP_BY_HOP.iter().any(|h| k.eq_ignore_ascii_case(h)) {
            out.push_str(&format!("{k}: {v}\r\n"));
        }
    }
    out.push_str("Connection: close\r\n\r\n");
    Ok(Request {
        tunnel,
        host,
        port,
        head: out.into_bytes(),
        body,
        host_mismatch: host_mismatch.map(str::to_owned),
    })
}

/// Reads until the end of the request head, within `deadline` for the whole head (a head
/// sent a byte at a time is cut off there); returns the head and any bytes after it.
pub fn read_head(
    client: &mut TcpStream,
    mut buf: Vec<u8>,
    deadline: Duration,
) -> io::Result<(Vec<u8>, Vec<u8>)> {
    let until = Instant::now() + deadline;
    let mut chunk = [0u8; 2048];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let extra = buf.split_off(end + 4);
            return Ok((buf, extra));
        }
        if buf.len() > HEAD_MAX {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "request head too long",
            ));
        }
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "request head not complete at the deadline",
            ));
        }
        client.set_read_timeout(Some(left))?;
        let n = client.read(&mut chunk)?;
        if n == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// Fuzz entry point: any bytes as a request head must never panic.
pub fn fuzz_head(data: &[u8]) {
    let _ = parse(data);
    let _ = host_port(&String::from_utf8_lossy(data), 443);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_connect_and_absolute_form() {
        let r = parse(b"CONNECT exam.example.ca:443 HTTP/1.1\r\nHost: exam.example.ca:443\r\n\r\n")
            .unwrap();
        assert!(r.tunnel);
        assert_eq!(
            (r.host.as_str(), r.port, r.host_mismatch),
            ("exam.example.ca", 443, None)
        );
        let r = parse(
            b"GET http://a.lms.example.ca:8080/q?x=1 HTTP/1.1\r\nHost: a.lms.example.ca:8080\r\n\
              Proxy-Connection: keep-alive\r\n\r\n",
        )
        .unwrap();
        assert!(!r.tunnel);
        assert_eq!((r.host.as_str(), r.port), ("a.lms.example.ca", 8080));
        assert_eq!(
            r.head,
            b"GET /q?x=1 HTTP/1.1\r\nHost: a.lms.example.ca:8080\r\nConnection: close\r\n\r\n"
        );
        let r = parse(b"GET http://exam.example.ca HTTP/1.0\r\n\r\n").unwrap();
        assert_eq!(
            (r.port, r.head.as_slice()),
            (80, &b"GET / HTTP/1.0\r\nConnection: close\r\n\r\n"[..])
        );
        let r = parse(b"POST http://x.ca/ HTTP/1.1\r\nHost: x.ca\r\nContent-Length: 12\r\n\r\n")
            .unwrap();
        assert_eq!(r.body, 12);
    }

    #[test]
    fn refuses_what_it_cannot_check() {
        assert_eq!(
            parse(b"GET /relative HTTP/1.1\r\n\r\n"),
            Err(Refusal::Malformed)
        );
        assert_eq!(
            parse(b"GET https://x/ HTTP/1.1\r\n\r\n"),
            Err(Refusal::Malformed)
        );
        assert_eq!(
            parse(b"CONNECT :443 HTTP/1.1\r\n\r\n"),
            Err(Refusal::Malformed)
        );
        // Userinfo would let `exam.example.ca@evil.com` look allowlisted: refused outright.
        assert_eq!(
            parse(b"GET http://exam.example.ca@evil.com/ HTTP/1.1\r\n\r\n"),
            Err(Refusal::Malformed)
        );
        assert_eq!(
            parse(b"POST http://x.ca/ HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"),
            Err(Refusal::Chunked)
        );
        assert_eq!(
            parse(b"GET http://x.ca/ HTTP/1.1\r\nno colon\r\n\r\n"),
            Err(Refusal::Malformed)
        );
    }

    #[test]
    fn a_host_header_for_another_host_is_noticed() {
        let r = parse(b"GET http://exam.example.ca/ HTTP/1.1\r\nHost: evil.com\r\n\r\n").unwrap();
        assert_eq!(r.host_mismatch.as_deref(), Some("evil.com"));
        let r = parse(b"GET http://exam.example.ca/ HTTP/1.1\r\nHost: EXAM.example.ca:80\r\n\r\n")
            .unwrap();
        assert_eq!(r.host_mismatch, None, "case and the default port agree");
        let r =
            parse(b"CONNECT exam.example.ca:443 HTTP/1.1\r\nHost: exam.example.ca:8443\r\n\r\n")
                .unwrap();
        assert_eq!(r.host_mismatch.as_deref(), Some("exam.example.ca:8443"));
    }
}
