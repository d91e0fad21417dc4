//! Test support: headless Chromium (DevTools protocol) and Firefox (WebDriver BiDi), launched
//! for a test with a fresh profile and driven as a person would: real mouse clicks and key
//! presses, values read back, screenshots. The review's page and the fleet page are checked
//! with it. Debian's `chromium` and `firefox-esr`; no driver package, no Node.

mod ws;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{json, Value};

use ws::Ws;

/// A browser process and its page.
pub struct Browser {
    child: Child,
    ws: Ws,
    /// Firefox: the browsing context; Chromium: unused (commands go to the session).
    context: String,
    firefox: bool,
    _profile: tempfile::TempDir,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Reads the child's stderr until a line holds `marker`; returns the `ws://` URL on it.
fn ws_url(child: &mut Child, marker: &str) -> String {
    let err = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let wanted = marker.to_owned();
    std::thread::spawn(move || {
        let mut sent = false;
        for line in BufReader::new(err).lines().map_while(Result::ok) {
            if !sent && line.contains(&wanted) {
                if let Some(i) = line.find("ws://") {
                    let _ = tx.send(line[i..].trim().to_owned());
                    sent = true;
                }
            }
        }
    });
    rx.recv_timeout(Duration::from_secs(60))
        .unwrap_or_else(|_| panic!("the browser did not print {marker:?} within 60 s"))
}

impl Browser {
    /// Headless Chromium (Debian's `chromium`) with a page open on `about:blank`.
    pub fn chromium() -> Browser {
        let profile = tempfile::tempdir().unwrap();
        let mut child = Command::new("chromium")
            .args([
                "--headless",
                "--no-sandbox",
                "--remote-debugging-port=0",
                "--autoplay-policy=no-user-gesture-required",
                "--window-size=1280,1000",
                "--no-first-run",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("chromium runs (cargo xtask test installs it)");
        let url = ws_url(&mut child, "DevTools listening on");
        let mut ws = Ws::connect(&url);
        let target = ws.call("Target.createTarget", json!({"url": "about:blank"}));
        let session = ws.call(
            "Target.attachToTarget",
            json!({"targetId": target["targetId"], "flatten": true}),
        );
        ws.session = session["sessionId"].as_str().map(str::to_owned);
        ws.call("Page.enable", json!({}));
        Browser {
            child,
            ws,
            context: String::new(),
            firefox: false,
            _profile: profile,
        }
    }

    /// Headless Firefox ESR (Debian's `firefox-esr`) over WebDriver BiDi, media allowed to play
    /// without a click.
    pub fn firefox() -> Browser {
        let profile = tempfile::tempdir().unwrap();
        std::fs::write(
            profile.path().join("user.js"),
            "user_pref(\"media.autoplay.default\", 0);\nuser_pref(\"media.autoplay.blocking_policy\", 0);\n",
        )
        .unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut child = Command::new("firefox-esr")
            .args(["--headless", "--no-remote", "--remote-debugging-port"])
            .arg(port.to_string())
            .arg("--profile")
            .arg(profile.path())
            .args(["--width", "1280", "--height", "1000"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("firefox-esr runs (cargo xtask test installs it)");
        let url = ws_url(&mut child, "WebDriver BiDi listening on");
        let mut ws = Ws::connect(&format!("{}/session", url.trim_end_matches('/')));
        ws.call("session.new", json!({"capabilities": {}}));
        let tree = ws.call("browsingContext.getTree", json!({}));
        let context = tree["contexts"][0]["context"].as_str().unwrap().to_owned();
        Browser {
            child,
            ws,
            context,
            firefox: true,
            _profile: profile,
        }
    }

    /// Opens `url` and waits until it has loaded.
    pub fn open(&mut self, url: &str) {
        self.open_until(url, "document.readyState === 'complete'");
    }

    /// Opens `url` and waits until the JavaScript expression `ready` is true.
    pub fn open_until(&mut self, url: &str, ready: &str) {
        if self.firefox {
            self.ws.call(
                "browsingContext.navigate",
                json!({"context": self.context, "url": url, "wait": "complete"}),
            );
        } else {
            self.ws.call("Page.navigate", json!({"url": url}));
        }
        self.wait_for(ready);
    }

    /// Reloads a page that says it is ready with `data-ready="true"` on its body (the
    /// review's pages), and waits until it is ready again.
    pub fn reload(&mut self) {
        if self.firefox {
            self.ws.call(
                "browsingContext.reload",
                json!({"context": self.context, "wait": "complete"}),
            );
        } else {
            self.eval("document.body.dataset.ready = 'reloading'; 0");
            self.ws.call("Page.reload", json!({}));
        }
        self.wait_for("document.body && document.body.dataset.ready === 'true'");
    }

    /// The value of a JavaScript expression (awaited when it is a promise).
    pub fn eval(&mut self, expr: &str) -> Value {
        if self.firefox {
            let r = self.ws.call(
                "script.evaluate",
                json!({"expression": expr, "target": {"context": self.context}, "awaitPromise": true}),
            );
            assert_eq!(r["type"], "success", "{expr}: {r}");
            bidi_value(&r["result"])
        } else {
            let r = self.ws.call(
                "Runtime.evaluate",
                json!({"expression": expr, "returnByValue": true, "awaitPromise": true}),
            );
            assert!(r.get("exceptionDetails").is_none(), "{expr}: {r}");
            r["result"]["value"].clone()
        }
    }

    /// Waits up to 20 s for `expr` to be true.
    pub fn wait_for(&mut self, expr: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if self.eval(&format!("!!({expr})")) == json!(true) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("not true within 20 s: {expr}");
    }

    /// Clicks the middle of the element `selector` with the mouse (Chromium).
    pub fn click(&mut self, selector: &str) {
        let r = self.eval(&format!(
            "(() => {{ const e = document.querySelector({s}); e.scrollIntoView({{block: 'center'}}); const r = e.getBoundingClientRect(); return [r.left + Math.min(r.width / 2, 8), r.top + r.height / 2]; }})()",
            s = json!(selector)
        ));
        let (x, y) = (r[0].as_f64().unwrap(), r[1].as_f64().unwrap());
        for kind in ["mousePressed", "mouseReleased"] {
            self.ws.call(
                "Input.dispatchMouseEvent",
                json!({"type": kind, "x": x, "y": y, "button": "left", "clickCount": 1}),
            );
        }
    }

    /// Presses and releases a letter key (Chromium).
    pub fn key(&mut self, letter: char) {
        let upper = letter.to_ascii_uppercase();
        for kind in ["keyDown", "keyUp"] {
            let mut e = json!({"type": kind, "key": letter.to_string(), "code": format!("Key{upper}"), "windowsVirtualKeyCode": upper as u32});
            if kind == "keyDown" {
                e["text"] = json!(letter.to_string());
            }
            self.ws.call("Input.dispatchKeyEvent", e);
        }
    }

    /// Types `text` into the focused field (Chromium).
    pub fn type_text(&mut self, text: &str) {
        self.ws.call("Input.insertText", json!({"text": text}));
    }

    /// Saves a PNG of the page.
    pub fn screenshot(&mut self, to: &Path) {
        let data = if self.firefox {
            self.ws.call(
                "browsingContext.captureScreenshot",
                json!({"context": self.context}),
            )["data"]
                .clone()
        } else {
            self.ws
                .call("Page.captureScreenshot", json!({"format": "png"}))["data"]
                .clone()
        };
        let png = base64::engine::general_purpose::STANDARD
            .decode(data.as_str().unwrap())
            .unwrap();
        if let Some(p) = to.parent() {
            std::fs::create_dir_all(p).unwrap();
        }
        std::fs::write(to, png).unwrap();
    }
}

/// A BiDi remote value as plain JSON (numbers, strings, booleans, arrays, objects).
fn bidi_value(v: &Value) -> Value {
    match v["type"].as_str() {
        Some("number" | "string" | "boolean") => v["value"].clone(),
        Some("array") => Value::Array(
            v["value"]
                .as_array()
                .map_or(vec![], |a| a.iter().map(bidi_value).collect()),
        ),
        Some("object") => {
            let mut m = serde_json::Map::new();
            for pair in v["value"].as_array().into_iter().flatten() {
                if let Some(k) = pair[0].as_str() {
                    m.insert(k.to_owned(), bidi_value(&pair[1]));
                }
            }
            Value::Object(m)
        }
        _ => Value::Null,
    }
}
