//! The review folder built from opened exams: media in a container both browsers play whatever
//! the board encoded with (H.264 into MP4, VP8 into WebM), the roster, and a review file put in
//! the wrong exam's folder named.

mod support;

use std::path::Path;

fn build(opened: &Path, out: &Path) -> Result<review::page::Built, review::Error> {
    review::page::build(&[opened.to_path_buf()], out, 2)
}

#[test]
fn a_vp8_camera_becomes_webm_and_h264_mp4() {
    let tmp = tempfile::tempdir().unwrap();
    let opened = tmp.path().join("opened");
    support::opened_exam(&opened);
    // The same exam as a VP8 board records it.
    review::media::run_to_end(&format!(
        "videotestsrc num-buffers=90 ! video/x-raw,width=320,height=240,framerate=30/1 ! vp8enc deadline=1 ! matroskamux ! filesink location={}",
        review::media::quote(&opened.join("camera.mkv"))
    ))
    .unwrap();
    let out = tmp.path().join("page");
    let built = build(&opened, &out).unwrap();
    let page = out.join("exams").join(support::EXAM);
    assert!(page.join("camera.webm").is_file());
    assert!(page.join("screen.mp4").is_file() && page.join("microphone.webm").is_file());
    let data = std::fs::read_to_string(page.join("data.js")).unwrap();
    assert!(data.contains("\"camera\": \"camera.webm\""), "{data}");
    assert!(
        built.summaries[0].contains(support::EXAM),
        "{:?}",
        built.summaries
    );
    let roster = std::fs::read_to_string(out.join("roster-data.js")).unwrap();
    assert!(roster.contains(&format!("exams/{}/index.html", support::EXAM)));
    // A review of another exam dropped in this exam's folder is named, not merged.
    std::fs::write(
        page.join("review (1).json"),
        r#"{"exam":"20261201-000000-other","flags":{}}"#,
    )
    .unwrap();
    let e = build(&opened, &out).unwrap_err().to_string();
    assert!(
        e.contains("review (1).json") && e.contains("wrong folder"),
        "{e}"
    );
}
