//! The simulated camera's picture: colour bars, a moving white bar and a frame counter square.

use crate::devices::Frame;

const BARS: [[u8; 3]; 7] = [
    [192, 192, 192],
    [192, 192, 0],
    [0, 192, 192],
    [0, 192, 0],
    [192, 0, 192],
    [192, 0, 0],
    [0, 0, 192],
];

/// Draws frame number `tick` of the test card.
pub fn test_card(width: u32, height: u32, tick: u32) -> Frame {
    let (w, h) = (width as usize, height as usize);
    let mut rgb = vec![0u8; w * h * 3];
    let bar_x = (tick as usize * 8) % w.max(1);
    for y in 0..h {
        for x in 0..w {
            let c = if x.abs_diff(bar_x) < 4 {
                [255, 255, 255]
            } else {
                BARS[x * 7 / w.max(1)]
            };
            rgb[(y * w + x) * 3..][..3].copy_from_slice(&c);
        }
    }
    Frame { width, height, rgb }
}
