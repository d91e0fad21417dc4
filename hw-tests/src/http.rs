//! A minimal HTTP GET, run as the browser's user by the network test (`hw-tests --http-get`):
//! through the forward proxy (absolute-form request) or straight to the host; and a Unix
//! socket connect and a read of files, run as the station user by the kiosk and storage tests
//! (`hw-tests --unix-connect`, `hw-tests --try-read`).

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

/// `hw-tests --http-get [--proxy HOST:PORT] http://HOST[:PORT]/PATH`: prints the status line
/// and returns 0, or prints why it failed and returns 1.
pub fn main(args: &[String]) -> u8 {
    let (proxy, url) = match args {
        [flag, p, u] if flag == "--proxy" => (Some(p.as_str()), u.as_str()),
        [u] => (None, u.as_str()),
        _ => {
            println!("usage: hw-tests --http-get [--proxy HOST:PORT] http://HOST/PATH");
            return 2;
        }
    };
    match get(proxy, url) {
        Ok(status) => {
            println!("{status}");
            0
        }
        Err(e) => {
            println!("error: {e}");
            1
        }
    }
}

fn get(proxy: Option<&str>, url: &str) -> Result<String, String> {
    let rest = url.strip_prefix("http://").ok_or("only http:// URLs")?;
    let (authority, path) = rest.split_once('/').map_or((rest, ""), |(a, p)| (a, p));
    let host = authority.split(':').next().unwrap_or(authority);
    let target = proxy.map_or_else(|| authority.to_string(), str::to_string);
    let target = if target.contains(':') {
        target
    } else {
        format!("{target}:80")
    };
    let addr = target
        .to_socket_addrs()
        .map_err(|e| format!("{target}: {e}"))?
        .next()
        .ok_or(format!("{target}: no address"))?;
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(3))
        .map_err(|e| format!("connect {addr}: {e}"))?;
    s.set_read_timeout(Some(Duration::from_secs(10)))
        .map_err(|e| e.to_string())?;
    let line = match proxy {
        Some(_) => format!("GET {url} HTTP/1.1"),
        None => format!("GET /{path} HTTP/1.1"),
    };
    write!(s, "{line}\r\nHost: {host}\r\nConnection: close\r\n\r\n")
        .map_err(|e| format!("send: {e}"))?;
    let mut answer = Vec::new();
    let _ = s.take(64 * 1024).read_to_end(&mut answer);
    let text = String::from_utf8_lossy(&answer);
    let status = text.lines().next().unwrap_or("").to_string();
    if status.is_empty() {
        return Err(format!("no answer from {addr}"));
    }
    let body = text.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    Ok(format!("{status} | {}", body.trim()))
}

/// `hw-tests --unix-connect PATH`: connects to a Unix socket and prints `connected`, or
/// `error: ...` (as another user, whether that user may reach it).
pub fn unix_connect(args: &[String]) -> u8 {
    let [path] = args else {
        println!("usage: hw-tests --unix-connect PATH");
        return 2;
    };
    match std::os::unix::net::UnixStream::connect(path) {
        Ok(_) => {
            println!("connected");
            0
        }
        Err(e) => {
            println!("error: {e}");
            1
        }
    }
}

/// `hw-tests --try-read PATH...`: reads the first block of each file and prints `PATH: read N
/// bytes` or `PATH: error: ...`, a line each.
pub fn try_read(paths: &[String]) -> u8 {
    for p in paths {
        let got = std::fs::File::open(p).and_then(|mut f| {
            let mut buf = [0u8; 512];
            f.read(&mut buf)
        });
        match got {
            Ok(n) => println!("{p}: read {n} bytes"),
            Err(e) => println!("{p}: error: {e}"),
        }
    }
    0
}
