//! A JSON command channel over a WebSocket, as both browsers' remote protocols use: Chromium's
//! DevTools protocol and Firefox's WebDriver BiDi send `{id, method, params}` and answer with
//! the same id.

use std::net::TcpStream;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tungstenite::{Message, WebSocket};

/// A connection to a browser's remote protocol.
pub struct Ws {
    socket: WebSocket<TcpStream>,
    next: u64,
    /// The CDP session commands go to (Chromium, flattened targets), if any.
    pub session: Option<String>,
}

impl Ws {
    /// Connects to `url` (`ws://127.0.0.1:PORT/...`).
    pub fn connect(url: &str) -> Ws {
        let addr = url
            .trim_start_matches("ws://")
            .split('/')
            .next()
            .unwrap()
            .to_owned();
        let stream = TcpStream::connect(&addr).unwrap_or_else(|e| panic!("{addr}: {e}"));
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .unwrap();
        let (socket, _) = tungstenite::client(url, stream).unwrap_or_else(|e| panic!("{url}: {e}"));
        Ws {
            socket,
            next: 1,
            session: None,
        }
    }

    /// Sends a command and waits for its answer; events in between are dropped. Panics on an
    /// error answer (naming the command).
    pub fn call(&mut self, method: &str, params: Value) -> Value {
        let id = self.next;
        self.next += 1;
        let mut msg = json!({"id": id, "method": method, "params": params});
        if let Some(s) = &self.session {
            msg["sessionId"] = json!(s);
        }
        self.socket
            .send(Message::Text(msg.to_string().into()))
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            let text = match self.socket.read().unwrap() {
                Message::Text(t) => t.to_string(),
                _ => continue,
            };
            let v: Value = serde_json::from_str(&text).unwrap();
            if v["id"] != json!(id) {
                continue;
            }
            if v.get("error").is_some() && !v["error"].is_null() {
                panic!("{method}: {}", v);
            }
            return v["result"].clone();
        }
        panic!("{method}: no answer in 60 s");
    }
}
