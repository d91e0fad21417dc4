//! Audio level over a window of samples: RMS, peak, clipping (for the microphone self-test).

use crate::devices::Level;

/// dBFS of an amplitude relative to i16 full scale; silence is -120 dB.
fn dbfs(x: f64) -> f32 {
    if x <= 0.0 {
        -120.0
    } else {
        (20.0 * (x / 32768.0).log10()).max(-120.0) as f32
    }
}

/// Measures `samples` (interleaved channels are fine).
pub fn measure(samples: &[i16]) -> Level {
    let mut sum = 0f64;
    let mut peak = 0i32;
    let mut clipped = 0u32;
    for &s in samples {
        let a = (s as i32).abs();
        peak = peak.max(a);
        if a >= 32767 {
            clipped += 1;
        }
        sum += (s as f64) * (s as f64);
    }
    let rms = (sum / samples.len().max(1) as f64).sqrt();
    Level {
        rms_db: dbfs(rms),
        peak_db: dbfs(peak as f64),
        clipped,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn silence_tone_and_clipping() {
        let silence = measure(&[0; 480]);
        assert_eq!(silence.rms_db, -120.0);
        let tone: Vec<i16> = (0..4800)
            .map(|i| ((i as f32 * 0.0576).sin() * 16384.0) as i16)
            .collect();
        let l = measure(&tone);
        assert!((l.peak_db - -6.02).abs() < 0.1, "{l:?}");
        assert!((l.rms_db - -9.03).abs() < 0.2, "{l:?}");
        assert_eq!(measure(&[i16::MAX, i16::MIN, 0]).clipped, 2);
    }
}
