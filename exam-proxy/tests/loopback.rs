//! The proxy against a tiny upstream server on 127.0.0.1. Its connector reaches 127.0.0.1 for
//! `localhost` and refuses anything else, so no test can leave loopback.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bundle::event::{text, Event};
use exam_proxy::allow::Allowlist;
use exam_proxy::proxy::{Connector, Proxy, Sink};

/// An upstream on 127.0.0.1 that answers each connection with what it read, after a prefix.
fn upstream() -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    std::thread::spawn(move || {
        for mut s in l.incoming().flatten() {
            std::thread::spawn(move || {
                let mut buf = [0u8; 1024];
                let n = s.read(&mut buf).unwrap_or(0);
                let _ = s.write_all(b"upstream got: ");
                let _ = s.write_all(&buf[..n]);
            });
        }
    });
    addr
}

/// A running proxy allowing `localhost` and `*.lms.example.ca`.
struct Running {
    addr: SocketAddr,
    reports: Arc<Mutex<Vec<Event>>>,
    connects: Arc<AtomicUsize>,
}

fn proxy() -> Running {
    let reports = Arc::new(Mutex::new(Vec::new()));
    let r = reports.clone();
    let sink: Sink = Arc::new(move |e| r.lock().unwrap().push(e));
    let connects = Arc::new(AtomicUsize::new(0));
    let c = connects.clone();
    let connect: Connector = Arc::new(move |host, port| {
        c.fetch_add(1, Ordering::SeqCst);
        if host == "localhost" {
            TcpStream::connect(("127.0.0.1", port))
        } else {
            Err(std::io::Error::other(format!(
                "{host}: not loopback, not contacted"
            )))
        }
    });
    let p = Proxy::bind(
        "127.0.0.1:0".parse().unwrap(),
        Allowlist::new(&["localhost".into(), "*.lms.example.ca".into()]),
        sink,
    )
    .unwrap()
    .with_connector(connect);
    let addr = p.local_addr().unwrap();
    p.spawn();
    Running {
        addr,
        reports,
        connects,
    }
}

/// Sends `request` (and, after the tunnel is up, `then`); reads until the server closes.
fn exchange(proxy: SocketAddr, request: &str, then: &[u8]) -> String {
    let mut s = TcpStream::connect(proxy).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    if !then.is_empty() {
        let mut first = [0u8; 39];
        s.read_exact(&mut first).unwrap();
        assert_eq!(&first, b"HTTP/1.1 200 Connection established\r\n\r\n");
        s.write_all(then).unwrap();
    }
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

#[test]
fn connect_to_an_allowlisted_host_is_tunnelled_and_reported() {
    let up = upstream();
    let p = proxy();
    let out = exchange(
        p.addr,
        &format!(
            "CONNECT localhost:{} HTTP/1.1\r\nHost: localhost\r\n\r\n",
            up.port()
        ),
        b"hello through the tunnel",
    );
    assert_eq!(out, "upstream got: hello through the tunnel");
    assert_eq!(
        *p.reports.lock().unwrap(),
        vec![Event::HostVisited {
            host: text("localhost")
        }]
    );
}

#[test]
fn plain_http_is_forwarded_in_origin_form() {
    let up = upstream();
    let p = proxy();
    let out = exchange(
        p.addr,
        &format!(
            "GET http://localhost:{}/exam?q=1 HTTP/1.1\r\nHost: localhost\r\n\r\n",
            up.port()
        ),
        b"",
    );
    assert_eq!(
        out,
        "upstream got: GET /exam?q=1 HTTP/1.1\r\nHost: localhost\r\n\r\n"
    );
}

#[test]
fn other_hosts_get_403_and_are_reported_without_being_contacted() {
    let p = proxy();
    for (req, host) in [
        (
            "CONNECT www.example.org:443 HTTP/1.1\r\n\r\n",
            "www.example.org",
        ),
        (
            "GET http://lms.example.ca/ HTTP/1.1\r\n\r\n",
            "lms.example.ca",
        ),
    ] {
        let out = exchange(p.addr, req, b"");
        assert!(out.starts_with("HTTP/1.1 403 Forbidden\r\n"), "{out}");
        assert!(p
            .reports
            .lock()
            .unwrap()
            .contains(&Event::HostBlocked { host: text(host) }));
    }
    assert_eq!(
        p.connects.load(Ordering::SeqCst),
        0,
        "a refused host was contacted"
    );
}

#[test]
fn refuses_to_listen_beyond_loopback() {
    let sink: Sink = Arc::new(|_| {});
    let err = Proxy::bind("0.0.0.0:0".parse().unwrap(), Allowlist::new(&[]), sink)
        .err()
        .unwrap();
    assert!(err.to_string().contains("loopback only"), "{err}");
}
