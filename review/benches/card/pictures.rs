//! The labelled pictures: scikit-image's sample images read with GStreamer, framed and
//! composed here.

use std::path::Path;

use review::camera::{SAMPLE_H, SAMPLE_W};

use super::{Item, Label};

/// The pictures with no face in them: every picture in the folder but the faces'.
fn no_face(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .filter_map(|e| e.file_name().to_str().map(str::to_owned))
        .filter(|n| n.ends_with(".png") || n.ends_with(".jpg"))
        .filter(|n| FACES.iter().all(|(face, _)| face != n))
        .collect();
    names.sort();
    names
}

/// An RGB picture.
#[derive(Clone)]
pub struct Rgb {
    w: u32,
    h: u32,
    px: Vec<u8>,
}

/// Reads `file` scaled into `w` x `h` (letterboxed: its shape kept).
fn load(file: &Path, w: u32, h: u32) -> Rgb {
    let chain = format!(
        "decodebin ! videoconvert ! videoscale add-borders=true ! video/x-raw,format=RGB,width={w},height={h},pixel-aspect-ratio=1/1"
    );
    let mut px = Vec::new();
    review::media::each_buffer(file, &chain, |_, b| px = b.to_vec())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(px.len(), (w * h * 3) as usize, "{}", file.display());
    Rgb { w, h, px }
}

impl Rgb {
    fn filled(w: u32, h: u32, v: [u8; 3]) -> Rgb {
        Rgb {
            w,
            h,
            px: v.repeat((w * h) as usize),
        }
    }

    /// The part `x0..x1, y0..y1` scaled to `w` x `h` (nearest pixel), mirrored if asked.
    fn crop(&self, (x0, y0, x1, y1): Area, w: u32, h: u32, mirror: bool) -> Rgb {
        let mut px = Vec::with_capacity((w * h * 3) as usize);
        for y in 0..h {
            for x in 0..w {
                let x = if mirror { w - 1 - x } else { x };
                let sx = x0 + x * (x1 - x0) / w;
                let sy = y0 + y * (y1 - y0) / h;
                let i = ((sy * self.w + sx) * 3) as usize;
                px.extend_from_slice(&self.px[i..i + 3]);
            }
        }
        Rgb { w, h, px }
    }

    fn paste(&mut self, src: &Rgb, x: u32, y: u32) {
        for row in 0..src.h.min(self.h - y) {
            let d = (((y + row) * self.w + x) * 3) as usize;
            let s = (row * src.w * 3) as usize;
            let n = (src.w.min(self.w - x) * 3) as usize;
            self.px[d..d + n].copy_from_slice(&src.px[s..s + n]);
        }
    }

    /// Letterboxed into the samples' size.
    fn sample(&self) -> Vec<u8> {
        let scale =
            (f64::from(SAMPLE_W) / f64::from(self.w)).min(f64::from(SAMPLE_H) / f64::from(self.h));
        let (w, h) = (
            (f64::from(self.w) * scale) as u32,
            (f64::from(self.h) * scale) as u32,
        );
        let mut out = Rgb::filled(SAMPLE_W, SAMPLE_H, [40, 40, 40]);
        out.paste(
            &self.crop((0, 0, self.w, self.h), w, h, false),
            (SAMPLE_W - w) / 2,
            (SAMPLE_H - h) / 2,
        );
        out.px
    }
}

/// A dim room's copy: luma at a fifth above black level (as the test scenes'
/// `videobalance contrast=0.2`).
pub fn dim(rgb: &[u8]) -> Vec<u8> {
    rgb.iter()
        .map(|&v| (16.0 + (f64::from(v) - 16.0).max(0.0) * 0.2) as u8)
        .collect()
}

/// A part of a picture: left, top, right, bottom.
type Area = (u32, u32, u32, u32);

/// Each face picture's crops: the whole picture, head and shoulders, the head.
const FACES: [(&str, [Area; 3]); 2] = [
    (
        "astronaut.png",
        [(0, 0, 512, 512), (60, 0, 380, 320), (120, 20, 320, 220)],
    ),
    (
        "camera.png",
        [(0, 0, 512, 512), (80, 0, 400, 320), (120, 40, 300, 220)],
    ),
];

/// The labelled set, bright.
pub fn labelled(dir: &Path) -> Vec<Item> {
    let mut items = Vec::new();
    let mut heads = Vec::new();
    for (name, crops) in FACES {
        let pic = load(&dir.join(name), 512, 512);
        for (i, c) in crops.iter().enumerate() {
            for mirror in [false, true] {
                items.push(Item {
                    label: Label::One,
                    name: format!("{name} crop {i}{}", if mirror { " mirrored" } else { "" }),
                    rgb: pic.crop(*c, 400, 300, mirror).sample(),
                });
            }
        }
        heads.push(pic.crop(crops[2], 160, 160, false));
    }
    // Two people side by side: each pair of heads, at two sizes.
    for (a, b) in [(0, 0), (0, 1), (1, 1)] {
        for size in [120, 150] {
            let mut two = Rgb::filled(400, 300, [112, 112, 112]);
            let ha = heads[a].crop((0, 0, 160, 160), size, size, false);
            let hb = heads[b].crop((0, 0, 160, 160), size, size, true);
            two.paste(&ha, 200 - size - 20, 150 - size / 2);
            two.paste(&hb, 220, 150 - size / 2);
            items.push(Item {
                label: Label::Two,
                name: format!("heads {a}+{b} at {size}"),
                rgb: two.sample(),
            });
        }
    }
    for name in no_face(dir) {
        items.push(Item {
            label: Label::None,
            rgb: load(&dir.join(&name), 640, 480).sample(),
            name,
        });
    }
    items.push(Item {
        label: Label::None,
        name: "empty grey wall".into(),
        rgb: Rgb::filled(400, 300, [150, 145, 140]).sample(),
    });
    items
}

/// Covered lenses: black, a dark hand, tape, each with sensor noise.
pub fn covered() -> Vec<Item> {
    let mut seed = 1u32;
    let mut noise = move || {
        seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
        ((seed >> 16) % 9) as u8
    };
    [
        ("black", [4u8, 4, 4]),
        ("hand", [28, 18, 12]),
        ("tape", [20, 18, 16]),
    ]
    .iter()
    .map(|(name, c)| Item {
        label: Label::None,
        name: (*name).into(),
        rgb: c
            .repeat((SAMPLE_W * SAMPLE_H) as usize)
            .iter()
            .map(|&v| v.saturating_add(noise()))
            .collect(),
    })
    .collect()
}
