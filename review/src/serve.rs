//! `examctl review --serve`: the review folder on 127.0.0.1 only, so reviewers' decisions go
//! straight into each exam's `review.json` (PUT from the page). Files are served with byte
//! ranges (media seek); nothing but `exams/<exam>/review.json` can be written, and only a
//! valid review of that exam. A request naming another host (DNS rebinding) is refused.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};

use crate::state::{Review, MAX_FILE};

/// A parsed request head.
#[derive(Debug, PartialEq)]
pub struct Head {
    /// `GET`, `HEAD`, `PUT`.
    pub method: String,
    /// The path, without query.
    pub path: String,
    /// `Host`.
    pub host: String,
    /// `Range: bytes=a-b`.
    pub range: Option<(u64, Option<u64>)>,
    /// `Content-Length`.
    pub length: u64,
}

/// Parses a request head (the lines up to the blank one).
pub fn parse_head(lines: &[String]) -> Option<Head> {
    let mut first = lines.first()?.split(' ');
    let method = first.next()?.to_owned();
    let target = first.next()?;
    let path = target.split('?').next()?.to_owned();
    let mut head = Head {
        method,
        path,
        host: String::new(),
        range: None,
        length: 0,
    };
    for l in &lines[1..] {
        let (k, v) = l.split_once(':')?;
        let v = v.trim();
        match k.to_ascii_lowercase().as_str() {
            "host" => head.host = v.to_owned(),
            "content-length" => head.length = v.parse().ok()?,
            "range" => {
                let (a, b) = v.strip_prefix("bytes=")?.split_once('-')?;
                head.range = Some((a.parse().ok()?, b.parse().ok()));
            }
            _ => {}
        }
    }
    Some(head)
}

/// The file under `root` that `path` names, if it is a plain path inside it.
pub fn resolve(root: &Path, path: &str) -> Option<PathBuf> {
    let rel = path.strip_prefix('/')?;
    let rel = if rel.is_empty() || rel.ends_with('/') {
        format!("{rel}index.html")
    } else {
        rel.to_owned()
    };
    crate::flags::is_plain_relative(&rel).then(|| root.join(rel))
}

fn content_type(p: &Path) -> &'static str {
    match p.extension().and_then(|e| e.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("json") => "application/json",
        Some("jpg") => "image/jpeg",
        Some("mp4") => "video/mp4",
        Some("webm") => "audio/webm",
        _ => "application/octet-stream",
    }
}

fn reply(s: &mut TcpStream, status: &str, kind: &str, extra: &str, body: &[u8]) {
    let _ = write!(
        s,
        "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n{extra}\r\n",
        body.len()
    );
    let _ = s.write_all(body);
}

fn get(s: &mut TcpStream, root: &Path, head: &Head) {
    let Some(file) = resolve(root, &head.path) else {
        return reply(s, "400 Bad Request", "text/plain", "", b"bad path\n");
    };
    let Ok(bytes) = std::fs::read(&file) else {
        return reply(s, "404 Not Found", "text/plain", "", b"not found\n");
    };
    let kind = content_type(&file);
    let total = bytes.len() as u64;
    let body: &[u8] = if head.method == "HEAD" { &[] } else { &bytes };
    match head.range {
        Some((a, b)) if a < total => {
            let end = b.unwrap_or(total - 1).min(total - 1);
            let part = if head.method == "HEAD" {
                &[][..]
            } else {
                &bytes[a as usize..=end as usize]
            };
            reply(
                s,
                "206 Partial Content",
                kind,
                &format!("Accept-Ranges: bytes\r\nContent-Range: bytes {a}-{end}/{total}\r\n"),
                part,
            )
        }
        Some(_) => reply(
            s,
            "416 Range Not Satisfiable",
            kind,
            &format!("Content-Range: bytes */{total}\r\n"),
            b"",
        ),
        None => reply(s, "200 OK", kind, "Accept-Ranges: bytes\r\n", body),
    }
}

/// Checks and writes a PUT of `exams/<exam>/review.json`: `Err` is the status and message.
pub fn put_review(root: &Path, path: &str, body: &[u8]) -> Result<(), (&'static str, String)> {
    let exam = path
        .strip_prefix("/exams/")
        .and_then(|p| p.strip_suffix("/review.json"))
        .filter(|e| crate::flags::is_plain_relative(e) && !e.contains('/'))
        .ok_or((
            "405 Method Not Allowed",
            "only exams/<exam>/review.json can be written".to_string(),
        ))?;
    let dir = root.join("exams").join(exam);
    if !dir.join("data.js").is_file() {
        return Err(("404 Not Found", format!("no exam {exam} here")));
    }
    let text =
        std::str::from_utf8(body).map_err(|_| ("400 Bad Request", "not UTF-8".to_string()))?;
    let file = dir.join("review.json");
    let review = Review::parse(text, &file).map_err(|e| ("400 Bad Request", e.to_string()))?;
    if review.exam != exam {
        return Err((
            "400 Bad Request",
            format!("a review of {} sent for {exam}", review.exam),
        ));
    }
    // Two reviewers on one folder: each flag keeps its newest decision, whoever sent it.
    let mut current = crate::state::gather(&dir, exam)
        .map_err(|e| ("500 Internal Server Error", e.to_string()))?;
    current.merge(review);
    crate::state::settle(&dir, &current).map_err(|e| ("500 Internal Server Error", e.to_string()))
}

fn handle(mut s: TcpStream, root: &Path, port: u16) {
    let _ = s.set_read_timeout(Some(std::time::Duration::from_secs(10)));
    let mut reader = BufReader::new(match s.try_clone() {
        Ok(c) => c,
        Err(_) => return,
    });
    let mut lines = Vec::new();
    loop {
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let line = line.trim_end().to_owned();
        if line.is_empty() {
            break;
        }
        if lines.len() > 100 {
            return reply(
                &mut s,
                "431 Request Header Fields Too Large",
                "text/plain",
                "",
                b"",
            );
        }
        lines.push(line);
    }
    let Some(head) = parse_head(&lines) else {
        return reply(
            &mut s,
            "400 Bad Request",
            "text/plain",
            "",
            b"bad request\n",
        );
    };
    if head.host != format!("127.0.0.1:{port}") && head.host != format!("localhost:{port}") {
        return reply(
            &mut s,
            "421 Misdirected Request",
            "text/plain",
            "",
            b"this server answers for 127.0.0.1 only\n",
        );
    }
    match head.method.as_str() {
        "GET" | "HEAD" => get(&mut s, root, &head),
        "PUT" if head.length <= MAX_FILE => {
            let mut body = vec![0; head.length as usize];
            if reader.read_exact(&mut body).is_err() {
                return;
            }
            match put_review(root, &head.path, &body) {
                Ok(()) => reply(&mut s, "204 No Content", "text/plain", "", b""),
                Err((status, msg)) => reply(
                    &mut s,
                    status,
                    "text/plain",
                    "",
                    format!("{msg}\n").as_bytes(),
                ),
            }
        }
        "PUT" => reply(&mut s, "413 Content Too Large", "text/plain", "", b""),
        _ => reply(
            &mut s,
            "405 Method Not Allowed",
            "text/plain",
            "Allow: GET, HEAD, PUT\r\n",
            b"",
        ),
    }
}

/// A review folder being served.
pub struct Server {
    listener: TcpListener,
    root: PathBuf,
}

impl Server {
    /// Binds 127.0.0.1:`port` (0: any free port) for `root`.
    pub fn bind(root: &Path, port: u16) -> std::io::Result<Server> {
        Ok(Server {
            listener: TcpListener::bind(("127.0.0.1", port))?,
            root: root.to_path_buf(),
        })
    }

    /// The address it answers on.
    pub fn url(&self) -> String {
        let port = self.listener.local_addr().map(|a| a.port()).unwrap_or(0);
        format!("http://127.0.0.1:{port}/")
    }

    /// Serves until the process ends, a thread per connection.
    pub fn run(self) {
        let port = self.listener.local_addr().map(|a| a.port()).unwrap_or(0);
        for s in self.listener.incoming().flatten() {
            let root = self.root.clone();
            std::thread::spawn(move || handle(s, &root, port));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heads_ranges_and_paths() {
        let h = parse_head(&[
            "GET /exams/e1/camera.mp4?x=1 HTTP/1.1".into(),
            "Host: 127.0.0.1:8080".into(),
            "Range: bytes=100-".into(),
        ])
        .unwrap();
        assert_eq!(
            (h.path.as_str(), h.range),
            ("/exams/e1/camera.mp4", Some((100, None)))
        );
        let root = Path::new("/r");
        assert_eq!(resolve(root, "/"), Some(root.join("index.html")));
        assert_eq!(resolve(root, "/../etc/passwd"), None);
        assert_eq!(resolve(root, "/exams//x"), None);
    }

    #[test]
    fn only_a_valid_review_of_that_exam_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let exam = dir.path().join("exams/e1");
        std::fs::create_dir_all(&exam).unwrap();
        std::fs::write(exam.join("data.js"), "").unwrap();
        let good = br#"{"exam":"e1","flags":{"no_face-1":{"state":"dismissed","note":"a pen","by":"","at":"2026-12-01T10:00:00Z"}}}"#;
        put_review(dir.path(), "/exams/e1/review.json", good).unwrap();
        assert!(exam.join("review.json").is_file());
        // A second reviewer's older decision on the same flag does not undo the newer one.
        let older = br#"{"exam":"e1","flags":{"no_face-1":{"state":"escalated","note":"","by":"b","at":"2026-12-01T09:00:00Z"}}}"#;
        put_review(dir.path(), "/exams/e1/review.json", older).unwrap();
        let kept = std::fs::read_to_string(exam.join("review.json")).unwrap();
        assert!(
            kept.contains("dismissed") && kept.contains("a pen"),
            "{kept}"
        );
        let e = put_review(dir.path(), "/exams/e1/data.js", good).unwrap_err();
        assert_eq!(e.0, "405 Method Not Allowed");
        let e = put_review(dir.path(), "/exams/e2/review.json", good).unwrap_err();
        assert_eq!(e.0, "404 Not Found");
        let e = put_review(
            dir.path(),
            "/exams/e1/review.json",
            b"{\"exam\":\"e1\",\"flags\":{\"x\":{\"state\":\"gone\"}}}",
        )
        .unwrap_err();
        assert!(e.1.contains("flags.x.state"), "{}", e.1);
    }
}
