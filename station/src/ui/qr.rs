//! A QR code of a short text (the receipt), drawn dark on white with its quiet zone, so a
//! phone's camera reads it off the station's screen.

use crate::devices::Frame;

/// Modules of white around the code (the QR standard's quiet zone).
const QUIET: u32 = 4;

/// `text` as a QR code, `module` pixels a module (error correction M); `None` if the text
/// cannot be encoded (far longer than a receipt).
pub fn qr_code(text: &str, module: u32) -> Option<Frame> {
    let code = qrcode::QrCode::with_error_correction_level(text, qrcode::EcLevel::M).ok()?;
    let n = code.width() as u32;
    let dark: Vec<bool> = code
        .to_colors()
        .into_iter()
        .map(|c| c == qrcode::Color::Dark)
        .collect();
    let module = module.max(1);
    let side = (n + 2 * QUIET) * module;
    let mut rgb = vec![255u8; (side * side * 3) as usize];
    for y in 0..n {
        for x in 0..n {
            if !dark[(y * n + x) as usize] {
                continue;
            }
            for py in 0..module {
                let row = (QUIET + y) * module + py;
                let start = ((row * side + (QUIET + x) * module) * 3) as usize;
                rgb[start..start + (module * 3) as usize].fill(0);
            }
        }
    }
    Some(Frame {
        width: side,
        height: side,
        rgb,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_receipt_is_a_small_square_code_with_its_quiet_zone() {
        let f = qr_code("7K2M-QX9D-AB3F", 4).unwrap();
        // 14 characters in alphanumeric mode at level M: version 1, 21 modules.
        assert_eq!((f.width, f.height), ((21 + 8) * 4, (21 + 8) * 4));
        let px = |x: u32, y: u32| f.rgb[((y * f.width + x) * 3) as usize];
        assert_eq!(px(0, 0), 255, "quiet zone");
        // The top-left finder pattern: dark ring, light ring, dark centre.
        let at = |mx: u32, my: u32| px((QUIET + mx) * 4 + 1, (QUIET + my) * 4 + 1);
        assert_eq!((at(0, 0), at(1, 1), at(3, 3)), (0, 255, 0));
        assert!(qr_code(&"x".repeat(5000), 1).is_none());
    }
}
