//! Camera scenes for the simulated board (`[camera] scene`), made from the test pictures with
//! GStreamer: the demo and the review tests record a camera that shows one face, then nobody,
//! then two faces, and a dim copy of the same.
//!
//! `target/test-pictures/scenes/faces/%04d.jpg` and `scenes/faces-dim/%04d.jpg`: one picture a
//! second, [`SECONDS`] each of one face (the astronaut's head), nobody (the coffee cup on a
//! table) and two faces (her head twice, side by side).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::run;

/// Seconds of each shot.
pub const SECONDS: usize = 15;

/// The board-file pattern of a scene folder.
pub const PATTERN: &str = "%04d.jpg";

/// A grey backdrop of the camera's size, as a compositor's first input.
const BACKDROP: &str = "videotestsrc pattern=solid-color foreground-color=0xff707070 num-buffers=1 ! video/x-raw,width=640,height=480 ! c.";

/// Her head, from the astronaut picture (160 x 160 around the face), scaled to `size`.
fn head(pictures: &Path, size: u32) -> String {
    format!(
        "filesrc location=\"{}\" ! pngdec ! videocrop left=140 right=212 top=40 bottom=312 ! videoconvert ! videoscale ! video/x-raw,width={size},height={size}",
        pictures.join("astronaut.png").display()
    )
}

fn compose(into: &Path, positions: &str, inputs: &str) -> Result<(), String> {
    run::status(Command::new("gst-launch-1.0").arg("-q").args(
        format!(
            "compositor name=c background=black {positions} ! video/x-raw,width=640,height=480 ! videoconvert ! jpegenc quality=90 ! filesink location=\"{}\" {BACKDROP} {inputs}",
            into.display()
        )
        .split_whitespace(),
    ))
}

/// The three pictures of the scene, in `dir`.
fn shots(pictures: &Path, dir: &Path) -> Result<[PathBuf; 3], String> {
    let [one, nobody, two] = ["one.jpg", "nobody.jpg", "two.jpg"].map(|n| dir.join(n));
    compose(
        &one,
        "sink_1::xpos=140 sink_1::ypos=60",
        &format!("{} ! c.", head(pictures, 360)),
    )?;
    compose(
        &nobody,
        "",
        &format!(
            "filesrc location=\"{}\" ! pngdec ! videoconvert ! videoscale ! video/x-raw,width=640,height=480 ! c.",
            pictures.join("coffee.png").display()
        ),
    )?;
    compose(
        &two,
        "sink_1::xpos=40 sink_1::ypos=120 sink_2::xpos=340 sink_2::ypos=120",
        &format!(
            "{} ! tee name=t ! queue ! c. t. ! queue ! c.",
            head(pictures, 240)
        ),
    )?;
    Ok([one, nobody, two])
}

/// A copy of `from` as a dim room shows it: luma at a fifth around black, colour faded.
fn dim(from: &Path, to: &Path) -> Result<(), String> {
    run::status(Command::new("gst-launch-1.0").arg("-q").args(
        format!(
            "filesrc location=\"{}\" ! jpegdec ! videobalance contrast=0.2 saturation=0.3 ! videoconvert ! jpegenc quality=90 ! filesink location=\"{}\"",
            from.display(),
            to.display()
        )
        .split_whitespace(),
    ))
}

/// Lays out `shots` as a numbered sequence in `dir`, [`SECONDS`] pictures each.
fn sequence(shots: &[PathBuf], dir: &Path) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for (i, shot) in shots.iter().enumerate() {
        for s in 0..SECONDS {
            let to = dir.join(format!("{:04}.jpg", i * SECONDS + s));
            std::fs::copy(shot, &to).map_err(|e| format!("{}: {e}", to.display()))?;
        }
    }
    Ok(())
}

/// The scenes' folder (`faces/` and `faces-dim/` in it), made unless already there.
pub fn ensure() -> Result<PathBuf, String> {
    let pictures = crate::pictures::ensure()?;
    let root = pictures.join("scenes");
    let last = format!("{:04}.jpg", 3 * SECONDS - 1);
    if ["faces", "faces-dim"]
        .iter()
        .all(|s| root.join(s).join(&last).is_file())
    {
        return Ok(root);
    }
    let work = root.join(".shots");
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&work).map_err(|e| format!("{}: {e}", work.display()))?;
    let bright = shots(&pictures, &work)?;
    let mut dimmed = Vec::new();
    for s in &bright {
        let to = s.with_file_name(format!(
            "dim-{}",
            s.file_name().and_then(|n| n.to_str()).unwrap_or("shot.jpg")
        ));
        dim(s, &to)?;
        dimmed.push(to);
    }
    sequence(&bright, &root.join("faces"))?;
    sequence(&dimmed, &root.join("faces-dim"))?;
    eprintln!("xtask: camera scenes in {}", root.display());
    Ok(root)
}
