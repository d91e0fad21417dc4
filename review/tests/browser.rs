//! The reviewer's page in real browsers, driven as a reviewer uses it: headless Chromium over
//! the page served on 127.0.0.1 (both videos play, a click on a flag seeks both to its start,
//! J and K step between events, a note survives a reload and lands in review.json, which the
//! next build reads), and headless Firefox over the page opened from disk (it plays).
//! Screenshots are kept in target/tmp/review-browser/.

mod support;

use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

use headless::Browser;
use serde_json::Value;

/// The review's pages set `data-ready` on their body once their data is drawn.
const READY: &str = "document.body && document.body.dataset.ready === 'true'";
use support::EXAM;

/// The opened exam and its review folder, made once for both tests.
fn built() -> &'static (PathBuf, PathBuf) {
    static BUILT: OnceLock<(PathBuf, PathBuf)> = OnceLock::new();
    BUILT.get_or_init(|| {
        let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("review-browser");
        let _ = std::fs::remove_dir_all(&root);
        let (opened, out) = (root.join("opened"), root.join("page"));
        support::opened_exam(&opened);
        review::page::build(std::slice::from_ref(&opened), &out, 2).unwrap();
        (opened, out)
    })
}

fn shots() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("review-browser/screens")
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or(f64::NAN)
}

fn times(b: &mut Browser) -> (f64, f64) {
    b.wait_for("!reviewPage.media().camera.seeking && !reviewPage.media().screen.seeking");
    let v =
        b.eval("[reviewPage.media().camera.currentTime, reviewPage.media().screen.currentTime]");
    (f(&v[0]), f(&v[1]))
}

#[test]
fn chromium_plays_seeks_to_flags_steps_with_j_k_and_keeps_notes() {
    let (opened, out) = built();
    let server = review::serve::Server::bind(out, 0).unwrap();
    let url = server.url();
    std::thread::spawn(move || server.run());
    let mut b = Browser::chromium();
    b.open_until(&format!("{url}exams/{EXAM}/index.html"), READY);

    // Both videos play: their time advances.
    b.eval("reviewPage.play(); 0");
    std::thread::sleep(Duration::from_millis(2500));
    let (cam, screen) = times(&mut b);
    b.eval("reviewPage.pause(); 0");
    eprintln!("after 2.5 s of play: camera {cam:.2} s, screen {screen:.2} s");
    assert!(cam > 1.0 && screen > 1.0, "camera {cam}, screen {screen}");
    let mic = b.eval("reviewPage.media().microphone.currentTime");
    eprintln!("microphone {mic} s");

    // A click on each camera flag's bar seeks both videos to its start.
    let flags = b.eval("EXAM.flags.map(f => [f.id, f.start_s, f.kind])");
    let flags: Vec<(String, f64, String)> = flags
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x[0].as_str().unwrap().to_owned(),
                f(&x[1]),
                x[2].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let kinds: Vec<&str> = flags.iter().map(|x| x.2.as_str()).collect();
    for k in [
        "no_face",
        "more_than_one_face",
        "keys_blocked",
        "host_blocked",
    ] {
        assert!(kinds.contains(&k), "{kinds:?}");
    }
    for (id, start, _) in &flags {
        b.click(&format!(".flag-bar[data-id=\"{id}\"]"));
        let (cam, screen) = times(&mut b);
        eprintln!("flag {id} at {start} s: camera {cam:.2} s, screen {screen:.2} s");
        assert!(
            (cam - start).abs() < 0.5 && (screen - start).abs() < 0.5,
            "{id}: {start} vs camera {cam}, screen {screen}"
        );
    }
    b.screenshot(&shots().join("exam-chromium.png"));

    // J and K step between events and flags.
    let stops = b.eval("[...new Set(EXAM.events.map(e => e.t).concat(EXAM.flags.map(f => f.start_s)))].sort((a, b) => a - b)");
    let stops: Vec<f64> = stops.as_array().unwrap().iter().map(f).collect();
    b.eval("reviewPage.seek(0); 0");
    let mut clock = 0.0;
    for key in ['k', 'k', 'k', 'j'] {
        b.key(key);
        let want = if key == 'k' {
            *stops.iter().find(|&&t| t > clock + 0.05).unwrap()
        } else {
            *stops.iter().rev().find(|&&t| t < clock - 0.5).unwrap()
        };
        b.wait_for(&format!("Math.abs(reviewPage.clock() - {want}) < 0.3"));
        clock = f(&b.eval("reviewPage.clock()"));
        eprintln!("{key}: {clock:.2} s");
    }

    // A note and a decision survive a reload, in review.json next to the page.
    let card = ".flag[data-id=\"no_face-1\"]";
    let note = "bent down to pick up a pen";
    b.click(&format!("{card} textarea.note"));
    b.type_text(note);
    b.click(&format!("{card} .save-note"));
    b.click(&format!("{card} .dismiss"));
    let file = out.join("exams").join(EXAM).join("review.json");
    b.wait_for(
        "document.querySelector('#save-status').textContent.toLowerCase().includes('saved')",
    );
    let on_disk = std::fs::read_to_string(&file).unwrap();
    assert!(
        on_disk.contains(note) && on_disk.contains("dismissed"),
        "{on_disk}"
    );
    b.reload();
    let kept = b.eval(&format!(
        "[document.querySelector('{card} textarea.note').value, document.querySelector('{card} .state').textContent.trim()]"
    ));
    assert_eq!(kept, serde_json::json!([note, "dismissed"]));
    // The next build reads it: the page and the roster carry it.
    review::page::build(std::slice::from_ref(opened), out, 2).unwrap();
    let data = std::fs::read_to_string(out.join("exams").join(EXAM).join("data.js")).unwrap();
    assert!(data.contains(note), "data.js does not carry the note");
    let roster = std::fs::read_to_string(out.join("roster-data.js")).unwrap();
    assert!(roster.contains("\"dismissed\": 1"), "{roster}");
    b.open_until(&format!("{url}index.html"), READY);
    b.screenshot(&shots().join("roster-chromium.png"));
}

#[test]
fn firefox_opens_the_page_from_disk_and_plays() {
    let (_, out) = built();
    let mut b = Browser::firefox();
    let page = out.join("exams").join(EXAM).join("index.html");
    b.open_until(&format!("file://{}", page.display()), READY);
    b.eval("reviewPage.play(); 0");
    std::thread::sleep(Duration::from_millis(3000));
    let v = b.eval("[reviewPage.media().camera.currentTime, reviewPage.media().screen.currentTime, reviewPage.clock()]");
    eprintln!(
        "firefox after 3 s of play: camera {}, screen {}, clock {}",
        v[0], v[1], v[2]
    );
    assert!(f(&v[0]) > 1.0 && f(&v[1]) > 1.0, "{v}");
    // The microphone decodes (its time advances) even where there is no sound device.
    let m = b.eval("(() => { const m = reviewPage.media().microphone; return [m.currentTime, m.error ? m.error.message : 'no error']; })()");
    eprintln!("firefox microphone: {m}");
    assert!(f(&m[0]) > 1.0, "{m}");
    b.eval("reviewPage.seek(32); reviewPage.pause(); 0");
    std::thread::sleep(Duration::from_millis(500));
    b.screenshot(&shots().join("exam-firefox.png"));
}
