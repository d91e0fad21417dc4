//! Real pictures for the tests that need them, from a Debian package: scikit-image's sample
//! images (`python3-skimage`: the astronaut and the cameraman have one face each; the cat, the
//! coffee cup and the rest none). Only the package's data folder is unpacked into target/ (its Python is
//! not installed); the tests find it through `STATION_TEST_PICTURES`.

use std::path::PathBuf;
use std::process::Command;

use crate::run;

/// The package the pictures come from.
const PACKAGE: &str = "python3-skimage";

/// Where its pictures are in the package.
const DATA: &str = "usr/lib/python3/dist-packages/skimage/data";

/// The pictures the tests read: the astronaut and the cameraman have one face each; the others
/// none (the review's flag card measures its detectors on them: review/benches/card.rs).
const PICTURES: &[&str] = &[
    "astronaut.png",
    "camera.png",
    "chelsea.png",
    "coffee.png",
    "brick.png",
    "cell.png",
    "clock_motion.png",
    "coins.png",
    "color.png",
    "grass.png",
    "gravel.png",
    "horse.png",
    "hubble_deep_field.jpg",
    "ihc.png",
    "logo.png",
    "moon.png",
    "motorcycle_left.png",
    "page.png",
    "retina.jpg",
    "rocket.jpg",
    "text.png",
];

/// The environment variable that tells the tests where the pictures are.
pub const ENV: &str = "STATION_TEST_PICTURES";

/// The folder holding [`PICTURES`], unpacked from [`PACKAGE`] unless already there.
pub fn ensure() -> Result<PathBuf, String> {
    let dir = run::root().join("target/test-pictures");
    if PICTURES.iter().all(|p| dir.join(p).is_file()) {
        return Ok(dir);
    }
    let work = run::root().join("target/test-pictures.download");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).map_err(|e| format!("{}: {e}", work.display()))?;
    eprintln!("xtask: test pictures: apt-get download {PACKAGE}");
    let download = || {
        run::status(
            Command::new("apt-get")
                .current_dir(&work)
                .args(["download", PACKAGE]),
        )
    };
    if download().is_err() {
        // A fresh machine may not have the package lists yet.
        run::status(Command::new("apt-get").args(["update", "-q"]))?;
        download().map_err(|e| {
            format!("{e}\n(the test pictures come from the Debian package {PACKAGE})")
        })?;
    }
    let deb = std::fs::read_dir(&work)
        .map_err(|e| format!("{}: {e}", work.display()))?
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "deb"))
        .ok_or_else(|| {
            format!(
                "apt-get download {PACKAGE} left no .deb in {}",
                work.display()
            )
        })?;
    let unpacked = work.join("root");
    run::status(Command::new("dpkg-deb").arg("-x").arg(&deb).arg(&unpacked))?;
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for p in PICTURES {
        let from = unpacked.join(DATA).join(p);
        std::fs::copy(&from, dir.join(p))
            .map_err(|e| format!("{}: {e} (is it still in {PACKAGE}?)", from.display()))?;
    }
    let _ = std::fs::remove_dir_all(&work);
    Ok(dir)
}
