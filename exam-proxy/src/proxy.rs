//! A small HTTP forward proxy on loopback: `CONNECT host:port` (HTTPS) and absolute-form
//! requests (`GET http://host/path`) to allowlisted hosts are relayed, everything else gets 403.
//!
//! The decision is taken on the requested name before anything is resolved or connected, so a
//! refused host is never contacted. Each request is reported once to the [`Sink`].

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use bundle::event::{text, Event};

use crate::allow::Allowlist;

/// Where reports go (`HostVisited` / `HostBlocked`).
pub type Sink = Arc<dyn Fn(Event) + Send + Sync>;

/// Opens the upstream connection to `host:port` (resolving the name).
pub type Connector = Arc<dyn Fn(&str, u16) -> io::Result<TcpStream> + Send + Sync>;

/// Largest request head accepted.
const HEAD_MAX: usize = 8192;
/// How long a client may take to send its request head.
const HEAD_TIMEOUT: Duration = Duration::from_secs(10);

/// A bound proxy; [`Proxy::spawn`] serves it on a thread.
pub struct Proxy {
    listener: TcpListener,
    allow: Arc<Allowlist>,
    sink: Sink,
    connect: Connector,
}

/// What a client asked for.
#[derive(Debug, PartialEq, Eq)]
struct Request {
    /// `CONNECT` tunnel (HTTPS) or a plain-HTTP request.
    tunnel: bool,
    host: String,
    port: u16,
    /// For plain HTTP: the head to send upstream (origin-form request line).
    head: Vec<u8>,
}

/// Splits `host:port` (or `[v6]:port`); `default` if no port.
fn host_port(s: &str, default: u16) -> Option<(String, u16)> {
    let (host, port) = match s.rsplit_once(':') {
        Some((h, p)) if !p.contains(']') => (h, p.parse().ok()?),
        _ => (s, default),
    };
    let valid = !host.is_empty() && !host.contains(['/', '@', ' ']);
    valid.then(|| (host.to_string(), port))
}

/// Parses a request head (up to and including the blank line).
fn parse(head: &[u8]) -> Option<Request> {
    let text = std::str::from_utf8(head).ok()?;
    let (line, rest) = text.split_once("\r\n")?;
    let mut parts = line.split(' ');
    let (method, target, version) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || !version.starts_with("HTTP/1.") {
        return None;
    }
    if method == "CONNECT" {
        let (host, port) = host_port(target, 443)?;
        return Some(Request {
            tunnel: true,
            host,
            port,
            head: Vec::new(),
        });
    }
    let after = target.strip_prefix("http://")?;
    let (authority, path) = match after.find('/') {
        Some(i) => (&after[..i], &after[i..]),
        None => (after, "/"),
    };
    let (host, port) = host_port(authority, 80)?;
    let head = format!("{method} {path} {version}\r\n{rest}").into_bytes();
    Some(Request {
        tunnel: false,
        host,
        port,
        head,
    })
}

/// Reads until the end of the request head; returns the head and any bytes after it.
fn read_head(client: &mut TcpStream) -> io::Result<(Vec<u8>, Vec<u8>)> {
    let mut buf = Vec::new();
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
        let n = client.read(&mut chunk)?;
        if n == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// Copies both ways until either side closes.
fn splice(client: TcpStream, upstream: TcpStream) -> io::Result<()> {
    let (mut c_read, mut u_write) = (client.try_clone()?, upstream.try_clone()?);
    let up = std::thread::spawn(move || {
        let _ = io::copy(&mut c_read, &mut u_write);
        let _ = u_write.shutdown(Shutdown::Write);
    });
    let (mut u_read, mut c_write) = (upstream, client);
    let _ = io::copy(&mut u_read, &mut c_write);
    let _ = c_write.shutdown(Shutdown::Write);
    let _ = up.join();
    Ok(())
}

fn handle(
    mut client: TcpStream,
    allow: &Allowlist,
    sink: &Sink,
    connect: &Connector,
) -> io::Result<()> {
    client.set_read_timeout(Some(HEAD_TIMEOUT))?;
    let (head, extra) = read_head(&mut client)?;
    let Some(req) = parse(&head) else {
        client.write_all(
            b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        )?;
        return Ok(());
    };
    if !allow.allows(&req.host) {
        sink(Event::HostBlocked {
            host: text(&req.host),
        });
        client.write_all(
            b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        )?;
        return Ok(());
    }
    sink(Event::HostVisited {
        host: text(&req.host),
    });
    let mut upstream = match connect(&req.host, req.port) {
        Ok(s) => s,
        Err(_) => {
            client.write_all(
                b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            )?;
            return Ok(());
        }
    };
    client.set_read_timeout(None)?;
    if req.tunnel {
        client.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")?;
    } else {
        upstream.write_all(&req.head)?;
    }
    upstream.write_all(&extra)?;
    splice(client, upstream)
}

impl Proxy {
    /// Binds `addr`, which must be a loopback address (the proxy never listens on the network).
    pub fn bind(addr: SocketAddr, allow: Allowlist, sink: Sink) -> io::Result<Proxy> {
        if !addr.ip().is_loopback() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("the exam proxy listens on loopback only, not {addr}"),
            ));
        }
        Ok(Proxy {
            listener: TcpListener::bind(addr)?,
            allow: Arc::new(allow),
            sink,
            connect: Arc::new(|host, port| TcpStream::connect((host, port))),
        })
    }

    /// Uses `connect` to reach upstream hosts instead of resolving and connecting directly.
    pub fn with_connector(mut self, connect: Connector) -> Proxy {
        self.connect = connect;
        self
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves clients on a thread, one thread per connection, until the process ends.
    pub fn spawn(self) -> JoinHandle<()> {
        std::thread::spawn(move || {
            for client in self.listener.incoming().flatten() {
                let (allow, sink) = (self.allow.clone(), self.sink.clone());
                let connect = self.connect.clone();
                std::thread::spawn(move || {
                    let _ = handle(client, &allow, &sink, &connect);
                });
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_connect_and_absolute_form() {
        let r = parse(b"CONNECT exam.example.ca:443 HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
        assert!(r.tunnel);
        assert_eq!((r.host.as_str(), r.port), ("exam.example.ca", 443));
        let r =
            parse(b"GET http://a.lms.example.ca:8080/q?x=1 HTTP/1.1\r\nHost: a\r\n\r\n").unwrap();
        assert!(!r.tunnel);
        assert_eq!((r.host.as_str(), r.port), ("a.lms.example.ca", 8080));
        assert_eq!(r.head, b"GET /q?x=1 HTTP/1.1\r\nHost: a\r\n\r\n");
        let r = parse(b"GET http://exam.example.ca HTTP/1.0\r\n\r\n").unwrap();
        assert_eq!(
            (r.port, r.head.as_slice()),
            (80, &b"GET / HTTP/1.0\r\n\r\n"[..])
        );
        assert!(parse(b"GET /relative HTTP/1.1\r\n\r\n").is_none());
        assert!(parse(b"GET https://x/ HTTP/1.1\r\n\r\n").is_none());
        assert!(parse(b"CONNECT :443 HTTP/1.1\r\n\r\n").is_none());
        // Userinfo would let `exam.example.ca@evil.com` look allowlisted: refused outright.
        assert!(parse(b"GET http://exam.example.ca@evil.com/ HTTP/1.1\r\n\r\n").is_none());
    }
}
