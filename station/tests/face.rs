//! The face guidance on real pictures through the real detector: scikit-image's sample images
//! (Debian's python3-skimage, unpacked by `cargo xtask test` into target/test-pictures) and
//! pictures made from them (two faces side by side, a dark one, a far one). Each decision is
//! taken over several frames, as at the station.

use std::path::PathBuf;

use station::devices::Frame;
use station::face::{self, Advice, Guide, Look, Seeta, TryResult};

fn pictures() -> PathBuf {
    let dir = std::env::var_os("STATION_TEST_PICTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/test-pictures")
        });
    assert!(
        dir.join("astronaut.png").is_file(),
        "no test pictures in {}: `cargo xtask test` unpacks them from Debian's python3-skimage",
        dir.display()
    );
    dir
}

/// A picture of the test set as an RGB frame.
fn picture(name: &str) -> Frame {
    let path = pictures().join(name);
    let file = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut decoder = png::Decoder::new(std::io::BufReader::new(file));
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder.read_info().expect("PNG header");
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).expect("PNG data");
    let channels = info.color_type.samples();
    let rgb = buf[..info.buffer_size()]
        .chunks(channels)
        .flat_map(|p| match p.len() {
            1 | 2 => [p[0], p[0], p[0]],
            _ => [p[0], p[1], p[2]],
        })
        .collect();
    Frame {
        width: info.width,
        height: info.height,
        rgb,
    }
}

/// `src` scaled by `num/den` (nearest pixel) and pasted at (x, y) into `dst`.
fn paste(dst: &mut Frame, src: &Frame, x: u32, y: u32, num: u32, den: u32) {
    let (w, h) = (src.width * num / den, src.height * num / den);
    for yy in 0..h.min(dst.height.saturating_sub(y)) {
        for xx in 0..w.min(dst.width.saturating_sub(x)) {
            let s = (((yy * den / num) * src.width + xx * den / num) * 3) as usize;
            let d = (((y + yy) * dst.width + x + xx) * 3) as usize;
            dst.rgb[d..d + 3].copy_from_slice(&src.rgb[s..s + 3]);
        }
    }
}

fn blank(width: u32, height: u32, v: u8) -> Frame {
    Frame {
        width,
        height,
        rgb: vec![v; (width * height * 3) as usize],
    }
}

/// Frames as a camera gives them: the picture moved by a pixel or two each frame.
fn frames(f: &Frame, n: usize) -> Vec<Frame> {
    (0..n)
        .map(|i| {
            let mut moved = blank(f.width, f.height, 128);
            paste(&mut moved, f, (i % 3) as u32, (i % 2) as u32, 1, 1);
            moved
        })
        .collect()
}

fn looks(f: &Frame, n: usize) -> Vec<Look> {
    let mut d = Seeta::new().expect("compiled-in model");
    frames(f, n).iter().map(|f| face::look(&mut d, f)).collect()
}

/// Feeds `looks` to a fresh guide: the advice shown after each frame and the tries that ended.
fn guide(looks: &[Look]) -> (Vec<Advice>, Vec<TryResult>) {
    let mut g = Guide::new();
    let mut advice = Vec::new();
    let mut ended = Vec::new();
    for l in looks {
        let s = g.see(l);
        advice.push(s.advice);
        ended.extend(s.ended);
    }
    (advice, ended)
}

#[test]
fn one_face_passes_after_a_few_frames() {
    let astronaut = picture("astronaut.png");
    let seen = looks(&astronaut, 3);
    for l in &seen {
        assert_eq!(l.faces.len(), 1, "one face in the astronaut: {:?}", l.faces);
        let f = l.faces[0];
        // Her face is in the upper middle of the picture.
        assert!((120..330).contains(&f.x) && f.y < 200 && f.w > 60, "{f:?}");
    }
    let (advice, ended) = guide(&seen);
    assert_eq!(advice.last(), Some(&Advice::Good));
    assert_eq!(
        ended,
        [TryResult {
            frames: 3,
            faces_min: 1,
            faces_max: 1,
            passed: true
        }]
    );
}

#[test]
fn no_face_fails_the_try() {
    for name in ["chelsea.png", "coffee.png"] {
        let seen = looks(&picture(name), usize::from(face::PER_TRY));
        assert!(
            seen.iter().all(|l| l.faces.is_empty()),
            "{name}: {:?}",
            seen[0].faces
        );
        let (advice, ended) = guide(&seen);
        assert!(
            advice.iter().all(|a| *a == Advice::NoFace),
            "{name}: {advice:?}"
        );
        assert_eq!(ended.len(), 1, "{name}");
        assert!(
            !ended[0].passed && ended[0].faces_max == 0,
            "{name}: {ended:?}"
        );
    }
}

#[test]
fn two_faces_ask_for_one_person() {
    // Her head (160 x 160 around the face), twice, side by side, in a camera's 640 x 480.
    let astronaut = picture("astronaut.png");
    let mut head = blank(160, 160, 0);
    for y in 0..160 {
        let from = (((40 + y) * astronaut.width + 150) * 3) as usize;
        let to = (y * 160 * 3) as usize;
        head.rgb[to..to + 160 * 3].copy_from_slice(&astronaut.rgb[from..from + 160 * 3]);
    }
    let mut two = blank(640, 480, 128);
    paste(&mut two, &head, 60, 120, 3, 2);
    paste(&mut two, &head, 340, 120, 3, 2);
    let seen = looks(&two, usize::from(face::PER_TRY));
    assert!(
        seen.iter().all(|l| l.faces.len() == 2),
        "{:?}",
        seen[0].faces
    );
    let (advice, ended) = guide(&seen);
    assert!(advice.iter().all(|a| *a == Advice::OnlyOne), "{advice:?}");
    assert_eq!(
        (ended[0].faces_min, ended[0].faces_max, ended[0].passed),
        (2, 2, false)
    );
}

#[test]
fn a_far_or_dark_face_gets_its_advice() {
    let astronaut = picture("astronaut.png");
    let mut far = blank(640, 480, 128);
    paste(&mut far, &astronaut, 150, 100, 2, 3);
    let (advice, _) = guide(&looks(&far, 3));
    assert_eq!(advice, [Advice::MoveCloser; 3]);
    let mut dark = astronaut.clone();
    dark.rgb.iter_mut().for_each(|v| *v /= 8);
    let (advice, _) = guide(&looks(&dark, 3));
    assert_eq!(advice, [Advice::TooDark; 3]);
}

#[test]
fn the_cameraman_is_told_to_move_closer() {
    // His face is a seventh of the picture wide, and the detector misses it now and then as
    // the picture moves: decided over several frames, never two faces.
    let seen = looks(&picture("camera.png"), usize::from(face::PER_TRY));
    let found: Vec<usize> = seen.iter().map(|l| l.faces.len()).collect();
    assert!(found.iter().all(|n| *n <= 1), "{found:?}");
    assert!(
        found.iter().filter(|n| **n == 1).count() * 2 > found.len(),
        "{found:?}"
    );
    let (advice, ended) = guide(&seen);
    assert_eq!(advice.last(), Some(&Advice::MoveCloser), "{advice:?}");
    assert!(!ended[0].passed);
}
