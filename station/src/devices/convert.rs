//! Pixel conversions shared by the device backends: camera formats (and JPEG pictures) to RGB,
//! fitting a frame to a size, and the check that a frame shows colour bars.

use crate::devices::Frame;

/// Converts packed YUYV 4:2:2 (BT.601, limited range) to RGB. `stride` is bytes per row.
pub fn yuyv_to_rgb(data: &[u8], width: u32, height: u32, stride: u32) -> Option<Frame> {
    let (w, h, stride) = (width as usize, height as usize, stride as usize);
    if w % 2 != 0 || stride < w * 2 || data.len() < stride * h.saturating_sub(1) + w * 2 {
        return None;
    }
    let mut rgb = Vec::with_capacity(w * h * 3);
    for row in data.chunks(stride).take(h) {
        for px in row[..w * 2].chunks_exact(4) {
            let (u, v) = (px[1] as f32 - 128.0, px[3] as f32 - 128.0);
            for y in [px[0], px[2]] {
                let c = 1.164 * (y as f32 - 16.0);
                for x in [c + 1.596 * v, c - 0.392 * u - 0.813 * v, c + 2.017 * u] {
                    rgb.push(x.round().clamp(0.0, 255.0) as u8);
                }
            }
        }
    }
    Some(Frame { width, height, rgb })
}

/// Converts 32-bit little-endian XRGB/ARGB (bytes B, G, R, X: DRM and Wayland shm buffers)
/// to RGB. `stride` is bytes per row.
pub fn xrgb_to_rgb(data: &[u8], width: u32, height: u32, stride: u32) -> Option<Frame> {
    let (w, h, stride) = (width as usize, height as usize, stride as usize);
    if stride < w * 4 || data.len() < stride * h.saturating_sub(1) + w * 4 {
        return None;
    }
    let mut rgb = Vec::with_capacity(w * h * 3);
    for row in data.chunks(stride).take(h) {
        for px in row[..w * 4].chunks_exact(4) {
            rgb.extend_from_slice(&[px[2], px[1], px[0]]);
        }
    }
    Some(Frame { width, height, rgb })
}

/// `frame` resized to `width` x `height` (nearest neighbour), so a stream keeps its size when
/// the screen's owner changes.
pub fn fit(frame: Frame, width: u32, height: u32) -> Frame {
    if frame.width == width && frame.height == height {
        return frame;
    }
    let (sw, sh) = (frame.width.max(1) as usize, frame.height.max(1) as usize);
    let mut rgb = Vec::with_capacity(width as usize * height as usize * 3);
    for y in 0..height as usize {
        let row = (y * sh / height.max(1) as usize).min(sh - 1) * sw;
        for x in 0..width as usize {
            let i = (row + (x * sw / width.max(1) as usize).min(sw - 1)) * 3;
            rgb.extend_from_slice(frame.rgb.get(i..i + 3).unwrap_or(&[0, 0, 0]));
        }
    }
    Frame { width, height, rgb }
}

/// Decodes a JPEG (MJPG camera frames) to RGB.
pub fn jpeg_to_rgb(data: &[u8]) -> Result<Frame, String> {
    let mut d = jpeg_decoder::Decoder::new(data);
    let pixels = d.decode().map_err(|e| format!("bad JPEG frame: {e}"))?;
    let info = d.info().ok_or("JPEG frame without a header")?;
    let rgb = match info.pixel_format {
        jpeg_decoder::PixelFormat::RGB24 => pixels,
        jpeg_decoder::PixelFormat::L8 => pixels.iter().flat_map(|&l| [l, l, l]).collect(),
        other => return Err(format!("unsupported JPEG pixel format {other:?}")),
    };
    Ok(Frame {
        width: info.width.into(),
        height: info.height.into(),
        rgb,
    })
}

/// The eight bars of a 75% colour bar test pattern (vivid's default), left to right.
pub const BARS_75: [[u8; 3]; 8] = [
    [191, 191, 191],
    [191, 191, 0],
    [0, 191, 191],
    [0, 191, 0],
    [191, 0, 191],
    [191, 0, 0],
    [0, 0, 191],
    [0, 0, 0],
];

/// Checks that `frame` shows `bars` as equal-width vertical bars: the centre of each bar, on a row
/// three quarters down (below any text overlay), is within `tolerance` of the bar's colour.
pub fn check_bars(frame: &Frame, bars: &[[u8; 3]], tolerance: u8) -> Result<(), String> {
    let (w, h) = (frame.width as usize, frame.height as usize);
    if frame.rgb.len() != w * h * 3 || bars.is_empty() || w < bars.len() {
        return Err(format!("frame {w}x{h} has {} bytes", frame.rgb.len()));
    }
    let y = h * 3 / 4;
    for (i, want) in bars.iter().enumerate() {
        let x = (2 * i + 1) * w / (2 * bars.len());
        let got = &frame.rgb[(y * w + x) * 3..][..3];
        if got
            .iter()
            .zip(want)
            .any(|(g, e)| g.abs_diff(*e) > tolerance)
        {
            return Err(format!(
                "bar {i} at ({x},{y}) is {got:?}, expected {want:?} (tolerance {tolerance})"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xrgb_rows_with_padding() {
        // 2x2, stride 12 (4 bytes of padding a row): B G R X.
        let data = [
            1, 2, 3, 0, 4, 5, 6, 0, 9, 9, 9, 9, //
            7, 8, 9, 0, 10, 11, 12, 0,
        ];
        let f = xrgb_to_rgb(&data, 2, 2, 12).unwrap();
        assert_eq!(f.rgb, [3, 2, 1, 6, 5, 4, 9, 8, 7, 12, 11, 10]);
        assert!(xrgb_to_rgb(&data, 2, 3, 12).is_none(), "too short");
        assert!(xrgb_to_rgb(&data, 4, 1, 12).is_none(), "stride under width");
    }

    #[test]
    fn fit_scales_to_the_mode() {
        let f = Frame {
            width: 2,
            height: 1,
            rgb: vec![1, 1, 1, 2, 2, 2],
        };
        let g = fit(f.clone(), 4, 2);
        assert_eq!((g.width, g.height), (4, 2));
        assert_eq!(g.rgb, [[1u8; 6], [2; 6], [1; 6], [2; 6]].concat());
        assert_eq!(fit(f.clone(), 2, 1), f);
        assert_eq!(fit(g, 1, 1).rgb, [1, 1, 1]);
    }

    /// BT.601 limited-range encoding of an RGB colour, the inverse of [`yuyv_to_rgb`].
    fn yuv(c: [u8; 3]) -> [u8; 3] {
        let [r, g, b] = c.map(f32::from);
        let y = 16.0 + 0.257 * r + 0.504 * g + 0.098 * b;
        let u = 128.0 - 0.148 * r - 0.291 * g + 0.439 * b;
        let v = 128.0 + 0.439 * r - 0.368 * g - 0.071 * b;
        [y, u, v].map(|x| x.round() as u8)
    }

    fn bars_yuyv(w: usize, h: usize) -> Vec<u8> {
        let mut out = Vec::new();
        for _ in 0..h {
            for x in (0..w).step_by(2) {
                let [y, u, v] = yuv(BARS_75[x * 8 / w]);
                out.extend_from_slice(&[y, u, y, v]);
            }
        }
        out
    }

    #[test]
    fn yuyv_bars_convert_back_to_the_bars() {
        let f = yuyv_to_rgb(&bars_yuyv(64, 8), 64, 8, 128).unwrap();
        assert_eq!(f.rgb.len(), 64 * 8 * 3);
        check_bars(&f, &BARS_75, 6).unwrap();
    }

    #[test]
    fn a_wrong_picture_fails_the_check_naming_the_bar() {
        let mut f = yuyv_to_rgb(&bars_yuyv(64, 8), 64, 8, 128).unwrap();
        // Turn the yellow bar blue.
        for px in f
            .rgb
            .chunks_exact_mut(3)
            .enumerate()
            .filter(|(i, _)| (i % 64) / 8 == 1)
        {
            px.1.copy_from_slice(&[0, 0, 191]);
        }
        let e = check_bars(&f, &BARS_75, 24).unwrap_err();
        assert!(e.starts_with("bar 1 "), "{e}");
        let black = Frame {
            width: 64,
            height: 8,
            rgb: vec![0; 64 * 8 * 3],
        };
        assert!(check_bars(&black, &BARS_75, 24).is_err());
    }

    #[test]
    fn short_buffers_are_refused() {
        assert!(yuyv_to_rgb(&[0; 10], 64, 8, 128).is_none());
        assert!(yuyv_to_rgb(&[0; 1024], 63, 8, 128).is_none());
    }
}
