//! The proxy against a tiny upstream server on 127.0.0.1. Its resolver maps `localhost` and
//! `intranet.lms.example.ca` to 127.0.0.1 and knows no other name, so no test can leave
//! loopback; the proxy is told loopback is a private network it may reach, except where a test
//! checks that internal addresses are refused. The proxy lookups only to the ports it is given:
//! each test gives it its upstream's.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use board_config::Network;
use bundle::event::{text, Event};
use exam_proxy::allow::Allowlist;
use exam_proxy::proxy::{Limits, Proxy, Resolver, Sink};

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
    lookups: Arc<AtomicUsize>,
}

fn proxy(ports: &[u16]) -> Running {
    proxy_with(ports, Limits::default(), &["127.0.0.0/8"])
}

fn proxy_with(ports: &[u16], limits: Limits, private: &[&str]) -> Running {
    let reports = Arc::new(Mutex::new(Vec::new()));
    let r = reports.clone();
    let sink: Sink = Arc::new(move |e| r.lock().unwrap().push(e));
    let lookups = Arc::new(AtomicUsize::new(0));
    let c = lookups.clone();
    let resolve: Resolver = Arc::new(move |host, port| {
        c.fetch_add(1, Ordering::SeqCst);
        if host == "localhost" || host == "intranet.lms.example.ca" {
            Ok(vec![SocketAddr::from(([127, 0, 0, 1], port))])
        } else {
            Err(std::io::Error::other(format!(
                "{host}: not loopback, not contacted"
            )))
        }
    });
    let private: Vec<Network> = private.iter().map(|n| n.parse().unwrap()).collect();
    let p = Proxy::bind(
        "127.0.0.1:0".parse().unwrap(),
        Allowlist::new(&["localhost".into(), "*.lms.example.ca".into()]),
        sink,
    )
    .unwrap()
    .with_resolver(resolve)
    .with_private_networks(&private)
    .with_ports(ports)
    .with_limits(limits);
    let addr = p.local_addr().unwrap();
    p.spawn();
    Running {
        addr,
        reports,
        lookups,
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
    let p = proxy(&[up.port()]);
    let out = exchange(
        p.addr,
        &format!(
            "CONNECT localhost:{0} HTTP/1.1\r\nHost: localhost:{0}\r\n\r\n",
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
    let p = proxy(&[up.port()]);
    let out = exchange(
        p.addr,
        &format!(
            "GET http://localhost:{0}/exam?q=1 HTTP/1.1\r\nHost: localhost:{0}\r\nProxy-Connection: keep-alive\r\n\r\n",
            up.port()
        ),
        b"",
    );
    assert_eq!(
        out,
        format!(
            "upstream got: GET /exam?q=1 HTTP/1.1\r\nHost: localhost:{}\r\nConnection: close\r\n\r\n",
            up.port()
        )
    );
}

#[test]
fn other_hosts_get_403_and_are_reported_without_being_contacted() {
    let p = proxy(&[443, 80]);
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
        p.lookups.load(Ordering::SeqCst),
        0,
        "a refused host was looked up"
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

/// The reports so far, waiting up to 5 s until `want` is among them.
fn reported(p: &Running, want: &Event) -> Vec<Event> {
    let t0 = Instant::now();
    loop {
        let r = p.reports.lock().unwrap().clone();
        if r.contains(want) || t0.elapsed() > Duration::from_secs(5) {
            return r;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_second_request_on_a_kept_alive_connection_is_checked_and_never_sent() {
    let up = upstream();
    let p = proxy(&[up.port()]);
    let first = format!(
        "GET http://localhost:{0}/a HTTP/1.1\r\nHost: localhost:{0}\r\n\r\n",
        up.port()
    );
    let second = "GET http://chat.example.com/ HTTP/1.1\r\nHost: chat.example.com\r\n\r\n";
    let blocked = Event::HostBlocked {
        host: text("chat.example.com"),
    };
    // Pipelined behind the first, and sent after the first answer was read.
    for pipelined in [true, false] {
        p.reports.lock().unwrap().clear();
        let mut s = TcpStream::connect(p.addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        if pipelined {
            s.write_all(format!("{first}{second}").as_bytes()).unwrap();
        } else {
            s.write_all(first.as_bytes()).unwrap();
        }
        let mut answer = String::new();
        s.read_to_string(&mut answer).unwrap();
        assert!(
            answer.starts_with("upstream got: GET /a HTTP/1.1\r\n"),
            "{answer}"
        );
        assert!(
            !answer.contains("chat.example.com"),
            "sent upstream: {answer}"
        );
        if !pipelined {
            let _ = s.write_all(second.as_bytes());
        }
        let r = reported(&p, &blocked);
        assert!(r.contains(&blocked), "pipelined {pipelined}: {r:?}");
    }
    assert_eq!(
        p.lookups.load(Ordering::SeqCst),
        2,
        "only the first requests went out"
    );
}

#[test]
fn a_host_header_for_another_host_and_a_port_not_allowed_get_403() {
    let up = upstream();
    let p = proxy(&[up.port()]);
    let other = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    for (req, host) in [
        (
            format!(
                "GET http://localhost:{}/ HTTP/1.1\r\nHost: chat.example.com\r\n\r\n",
                up.port()
            ),
            "localhost (Host: chat.example.com)".to_string(),
        ),
        (
            format!("CONNECT localhost:{other} HTTP/1.1\r\nHost: localhost:{other}\r\n\r\n"),
            format!("localhost:{other}"),
        ),
    ] {
        let out = exchange(p.addr, &req, b"");
        assert!(out.starts_with("HTTP/1.1 403 Forbidden\r\n"), "{out}");
        let want = Event::HostBlocked { host: text(&host) };
        assert!(reported(&p, &want).contains(&want), "{host}");
    }
    assert_eq!(p.lookups.load(Ordering::SeqCst), 0, "nothing was contacted");
}

#[test]
fn one_connection_over_the_cap_gets_an_answer_not_a_hang() {
    let p = proxy_with(
        &[443],
        Limits {
            connections: 3,
            head: Duration::from_secs(20),
            ..Limits::default()
        },
        &[],
    );
    // Three clients that send nothing hold every slot.
    let held: Vec<TcpStream> = (0..3)
        .map(|_| TcpStream::connect(p.addr).unwrap())
        .collect();
    std::thread::sleep(Duration::from_millis(200));
    let t0 = Instant::now();
    let mut s = TcpStream::connect(p.addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    assert!(
        out.starts_with("HTTP/1.1 503 Service Unavailable\r\n"),
        "{out}"
    );
    assert!(t0.elapsed() < Duration::from_secs(2), "{:?}", t0.elapsed());
    drop(held);
}

#[test]
fn a_head_sent_a_byte_at_a_time_is_closed_at_the_deadline() {
    let p = proxy_with(
        &[443],
        Limits {
            head: Duration::from_secs(2),
            ..Limits::default()
        },
        &[],
    );
    let mut s = TcpStream::connect(p.addr).unwrap();
    s.set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let t0 = Instant::now();
    let mut closed = None;
    for b in b"CONNECT localhost:443 HTTP/1.1\r\n"
        .iter()
        .cycle()
        .take(40)
    {
        if s.write_all(&[*b]).is_err() {
            closed = Some(t0.elapsed());
            break;
        }
        let mut buf = [0u8; 16];
        match s.read(&mut buf) {
            Ok(0) => {
                closed = Some(t0.elapsed());
                break;
            }
            Ok(_) => panic!("an answer to half a head"),
            Err(_) => std::thread::sleep(Duration::from_millis(300)),
        }
    }
    let closed = closed.expect("still open after 20 s of a byte every half second");
    assert!(
        closed >= Duration::from_secs(2) && closed < Duration::from_secs(4),
        "closed after {closed:?}"
    );
    assert!(p.reports.lock().unwrap().is_empty());
}

/// An upstream that counts the connections it accepts.
fn counting_upstream() -> (SocketAddr, Arc<AtomicUsize>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let a = accepted.clone();
    std::thread::spawn(move || {
        for s in l.incoming().flatten() {
            a.fetch_add(1, Ordering::SeqCst);
            drop(s);
        }
    });
    (addr, accepted)
}

#[test]
fn an_allowlisted_name_resolving_to_loopback_gets_403_unless_its_network_is_allowed() {
    let (up, accepted) = counting_upstream();
    for (private, status) in [
        (&[][..], "403 Forbidden"),
        (&["10.0.0.0/8", "fd00::/8"][..], "403 Forbidden"),
        (&["127.0.0.1/32"][..], "200 Connection established"),
    ] {
        let p = proxy_with(&[up.port()], Limits::default(), private);
        let mut s = TcpStream::connect(p.addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let host = format!("intranet.lms.example.ca:{}", up.port());
        write!(s, "CONNECT {host} HTTP/1.1\r\nHost: {host}\r\n\r\n").unwrap();
        let mut out = vec![0u8; 64];
        let n = s.read(&mut out).unwrap();
        let out = String::from_utf8_lossy(&out[..n]).to_string();
        assert!(
            out.starts_with(&format!("HTTP/1.1 {status}\r\n")),
            "{private:?}: {out}"
        );
        if status.starts_with("403") {
            let want = Event::HostBlocked {
                host: text("intranet.lms.example.ca (resolves to 127.0.0.1)"),
            };
            assert!(reported(&p, &want).contains(&want), "{private:?}");
        }
    }
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(
        accepted.load(Ordering::SeqCst),
        1,
        "only the proxy allowed to reach 127.0.0.1/32 connected"
    );
}
