//! A small HTTP forward proxy on loopback: `CONNECT host:port` (HTTPS) and absolute-form
//! requests (`GET http://host/path`) to allowlisted hosts on allowed ports are relayed,
//! everything else gets 403.
//!
//! The decision is taken on the requested name before anything is resolved or connected, so a
//! refused host is never contacted. An allowed name is then resolved, and an internal address
//! (loopback, private, link-local: [`board_config::is_internal`]) is refused unless it is in one
//! of the site's private networks; the proxy connects to the addresses it checked, so a name
//! cannot re-resolve somewhere else in between. Every request is checked and reported to the
//! [`Sink`], not only a connection's first: a plain-HTTP request goes upstream with `Connection: close` and
//! its exchange ends the connection; anything the client sends after it is read as a request,
//! checked and reported, and never sent anywhere. A `Host` header naming another host than the
//! request line is refused. Limits: connections served at once (one more gets 503 at once),
//! a deadline for the whole request head, and an idle limit on tunnels and exchanges.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use board_config::{is_internal, Network};
use bundle::event::{text, Event};

use crate::allow::Allowlist;
use crate::request::{self, Refusal, Request};

/// Where reports go (`HostVisited` / `HostBlocked`).
pub type Sink = Arc<dyn Fn(Event) + Send + Sync>;

/// Resolves `host:port` to the addresses the proxy may connect to (the system resolver by
/// default).
pub type Resolver = Arc<dyn Fn(&str, u16) -> io::Result<Vec<SocketAddr>> + Send + Sync>;

/// Ports the proxy connects to unless the site says otherwise: HTTPS and HTTP.
pub const DEFAULT_PORTS: [u16; 2] = [443, 80];

/// How long the proxy waits for a request after a plain-HTTP exchange (to check and report
/// one sent on the same connection).
const NEXT_WAIT: Duration = Duration::from_secs(2);

/// The proxy's limits.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Connections served at once; one more is answered 503 at once.
    pub connections: usize,
    /// Time for a whole request head.
    pub head: Duration,
    /// Time for the upstream host to accept the connection (per address tried).
    pub connect: Duration,
    /// A tunnel or exchange with no byte either way for this long is closed.
    pub idle: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            connections: 256,
            head: Duration::from_secs(10),
            connect: Duration::from_secs(10),
            idle: Duration::from_secs(300),
        }
    }
}

/// A bound proxy; [`Proxy::spawn`] serves it on a thread.
pub struct Proxy {
    listener: TcpListener,
    served: Arc<Served>,
}

/// What every connection is served with.
struct Served {
    allow: Allowlist,
    ports: Vec<u16>,
    private: Vec<Network>,
    sink: Sink,
    resolve: Resolver,
    limits: Limits,
}

/// Answers `status` with no body and closes.
fn answer(client: &mut TcpStream, status: &str) -> io::Result<()> {
    client.write_all(
        format!("HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").as_bytes(),
    )
}

impl Served {
    /// Checks `req`: `None` when it may go; else the status it gets, reported as `HostBlocked`
    /// with what was refused (the host, its port, or the disagreeing `Host` header).
    fn refused(&self, req: &Request) -> Option<&'static str> {
        let why = if !self.allow.allows(&req.host) {
            req.host.clone()
        } else if !self.ports.contains(&req.port) {
            format!("{}:{}", req.host, req.port)
        } else if let Some(h) = &req.host_mismatch {
            format!("{} (Host: {h})", req.host)
        } else {
            return None;
        };
        (self.sink)(Event::HostBlocked { host: text(&why) });
        Some("403 Forbidden")
    }

    /// The addresses the proxy may connect to: internet addresses, and internal ones only in
    /// the site's private networks; `None` when that leaves none.
    fn reachable(&self, addrs: &[SocketAddr]) -> Option<Vec<SocketAddr>> {
        let ok: Vec<SocketAddr> = addrs
            .iter()
            .filter(|a| !is_internal(a.ip()) || self.private.iter().any(|n| n.contains(a.ip())))
            .copied()
            .collect();
        (!ok.is_empty()).then_some(ok)
    }

    fn handle(&self, mut client: TcpStream) -> io::Result<()> {
        let (head, extra) = request::read_head(&mut client, Vec::new(), self.limits.head)?;
        let req = match request::parse(&head) {
            Ok(r) => r,
            Err(Refusal::Malformed) => return answer(&mut client, "400 Bad Request"),
            Err(Refusal::Chunked) => return answer(&mut client, "411 Length Required"),
        };
        if let Some(status) = self.refused(&req) {
            return answer(&mut client, status);
        }
        let addrs = match (self.resolve)(&req.host, req.port) {
            Ok(a) if !a.is_empty() => a,
            _ => return answer(&mut client, "502 Bad Gateway"),
        };
        let Some(addrs) = self.reachable(&addrs) else {
            let ips: Vec<String> = addrs.iter().map(|a| a.ip().to_string()).collect();
            let why = format!("{} (resolves to {})", req.host, ips.join(", "));
            (self.sink)(Event::HostBlocked { host: text(&why) });
            return answer(&mut client, "403 Forbidden");
        };
        (self.sink)(Event::HostVisited {
            host: text(&req.host),
        });
        let Some(mut upstream) = connect(&addrs, self.limits.connect) else {
            return answer(&mut client, "502 Bad Gateway");
        };
        if req.tunnel {
            client.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")?;
            upstream.write_all(&extra)?;
            return tunnel(client, upstream, self.limits.idle);
        }
        self.exchange(client, upstream, &req, extra)
    }

    /// One plain-HTTP request and its response; then what the client sends next is checked.
    fn exchange(
        &self,
        mut client: TcpStream,
        mut upstream: TcpStream,
        req: &Request,
        mut extra: Vec<u8>,
    ) -> io::Result<()> {
        upstream.write_all(&req.head)?;
        let now = extra
            .len()
            .min(usize::try_from(req.body).unwrap_or(usize::MAX));
        upstream.write_all(&extra[..now])?;
        let after = extra.split_off(now);
        client.set_read_timeout(Some(self.limits.idle))?;
        io::copy(&mut (&client).take(req.body - now as u64), &mut upstream)?;
        // The response, until the upstream closes (it was asked to).
        upstream.set_read_timeout(Some(self.limits.idle))?;
        let _ = io::copy(&mut upstream, &mut client);
        let _ = client.shutdown(Shutdown::Write);
        // A request sent after this one on the same connection: checked and reported, never
        // sent anywhere.
        if let Ok((head, _)) = request::read_head(&mut client, after, NEXT_WAIT) {
            if let Ok(next) = request::parse(&head) {
                // Reported if refused; an allowed one is simply not served (the client asks
                // again on a new connection).
                let _ = self.refused(&next);
            }
        }
        Ok(())
    }
}

/// The first of `addrs` that accepts a connection within `timeout`.
fn connect(addrs: &[SocketAddr], timeout: Duration) -> Option<TcpStream> {
    addrs
        .iter()
        .find_map(|a| TcpStream::connect_timeout(a, timeout).ok())
}

/// The system resolver's addresses for `host:port`.
fn system_resolver(host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
    Ok((host, port).to_socket_addrs()?.collect())
}

/// Relays both ways until either side closes, or nothing moved either way for `idle`.
fn tunnel(client: TcpStream, upstream: TcpStream, idle: Duration) -> io::Result<()> {
    let t0 = Instant::now();
    let last = Arc::new(AtomicU64::new(0));
    let pump = {
        let last = last.clone();
        move |mut from: TcpStream, mut to: TcpStream| {
            let _ = from.set_read_timeout(Some(Duration::from_secs(1)));
            let mut buf = [0u8; 16 * 1024];
            loop {
                match from.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => {
                        if to.write_all(&buf[..n]).is_err() {
                            break;
                        }
                        last.store(t0.elapsed().as_millis() as u64, Ordering::Relaxed);
                    }
                    Err(e)
                        if matches!(
                            e.kind(),
                            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                        ) =>
                    {
                        let quiet = t0.elapsed().as_millis() as u64 - last.load(Ordering::Relaxed);
                        if quiet >= idle.as_millis() as u64 {
                            // Idle both ways: close both, which ends the other direction too.
                            let _ = from.shutdown(Shutdown::Both);
                            let _ = to.shutdown(Shutdown::Both);
                            break;
                        }
                    }
                    Err(_) => break,
                }
            }
            let _ = to.shutdown(Shutdown::Write);
        }
    };
    let up = {
        let (from, to) = (client.try_clone()?, upstream.try_clone()?);
        let pump = pump.clone();
        std::thread::spawn(move || pump(from, to))
    };
    pump(upstream, client);
    let _ = up.join();
    Ok(())
}

/// Counts a served connection while it lives.
struct Slot(Arc<AtomicUsize>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
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
            served: Arc::new(Served {
                allow,
                ports: DEFAULT_PORTS.to_vec(),
                private: Vec::new(),
                sink,
                resolve: Arc::new(system_resolver),
                limits: Limits::default(),
            }),
        })
    }

    fn served(&mut self) -> &mut Served {
        Arc::get_mut(&mut self.served).expect("configured before it is spawned")
    }

    /// Resolves names with `resolve` instead of the system resolver.
    pub fn with_resolver(mut self, resolve: Resolver) -> Proxy {
        self.served().resolve = resolve;
        self
    }

    /// Lets allowlisted names resolve to internal addresses in `networks` (the site's
    /// `exam.private_networks`); any other internal address is refused.
    pub fn with_private_networks(mut self, networks: &[Network]) -> Proxy {
        self.served().private = networks.to_vec();
        self
    }

    /// Connects only to `ports` (the site's `exam.ports`).
    pub fn with_ports(mut self, ports: &[u16]) -> Proxy {
        self.served().ports = ports.to_vec();
        self
    }

    /// Serves within `limits`.
    pub fn with_limits(mut self, limits: Limits) -> Proxy {
        self.served().limits = limits;
        self
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves clients on a thread, one thread per connection up to the connection limit,
    /// until the process ends.
    pub fn spawn(self) -> JoinHandle<()> {
        let active = Arc::new(AtomicUsize::new(0));
        std::thread::spawn(move || {
            for mut client in self.listener.incoming().flatten() {
                if active.load(Ordering::SeqCst) >= self.served.limits.connections {
                    let _ = client.set_write_timeout(Some(Duration::from_secs(1)));
                    let _ = answer(&mut client, "503 Service Unavailable");
                    continue;
                }
                active.fetch_add(1, Ordering::SeqCst);
                let slot = Slot(active.clone());
                let served = self.served.clone();
                std::thread::spawn(move || {
                    let _slot = slot;
                    let _ = served.handle(client);
                });
            }
        })
    }
}
