//! The station's screens as a person sees them, in the booted image: the guest asks on its
//! console ([`ASK`] + a name), the host grabs the VM's display with QEMU's `screendump` into the
//! share; after the run each grab is read with tesseract (OCR) for the words a person must see
//! there, in English and in French, and kept as a PNG under `target/`.

use std::path::Path;
use std::process::Command;

use crate::imagetest::Tally;
use crate::qemu;

/// The console line with which the guest asks for a screenshot (hw-tests/src/checkin.rs).
pub const ASK: &str = "HW-TESTS-SCREENSHOT ";

/// Host packages: OCR with its English and French data, PPM to PNG, a QR code reader.
pub const HOST: &[&str] = &[
    "tesseract-ocr",
    "tesseract-ocr-eng",
    "tesseract-ocr-fra",
    "netpbm",
    "zbar-tools",
];

/// The screen with the receipt, shown as text and as a QR code.
const RECEIPT_SCREEN: &str = "sealed";

/// The guest test that grabs a screen, the screen's name, and what it must say: words as OCR
/// reads them (upper case, accents and punctuation dropped; the station's font draws French
/// letters without their accents).
const EXPECTED: &[(&str, &str, &[&str])] = &[
    (TYPED, "ready", &["EXAM STATION", "READY", "HEALTH REPORT"]),
    (TYPED, "health", &["HEALTH REPORT", "SCAN THE QR CODE"]),
    (TYPED, "student-error", &["NOT A STUDENT NUMBER", "EXAMPLE"]),
    (
        TYPED,
        "student-fr",
        &["NUMERO", "ETUDIANT", "ENREGISTREMENT"],
    ),
    (TYPED, "exam", &["EXAM CODE", "HWTEST"]),
    (TYPED, "proctor", &["PROCTOR PIN", "20261234"]),
    (TYPED, "proctor-wrong", &["WRONG PIN"]),
    (
        TYPED,
        "notice",
        &["PRIVACY NOTICE", "DURING THE EXAM ONLY", "CANADA"],
    ),
    (
        TYPED,
        "notice-fr",
        &[
            "AVIS DE CONFIDENTIALITE",
            "PENDANT L EXAMEN SEULEMENT",
            "CANADA",
        ],
    ),
    (TYPED, "identity", &["IDENTITY CHECK", "PHOTO ID", "FRAME"]),
    (TYPED, "face", &["LOOK AT THE CAMERA", "NO FACE FOUND"]),
    (TYPED, "face-fr", &["REGARDEZ LA CAMERA", "VISAGE"]),
    (TYPED, "face-proctor", &["FACE CHECK", "PROCTOR PIN"]),
    (TYPED, "recording", &["REC"]),
    // The arm64 image's GPIO (cargo xtask hw-test --board rpi5): the call and the open case on
    // the recording badge over the kiosk.
    (
        "exam_gpio_tamper_switch_opened",
        "gpio-alerts",
        &["PROCTOR CALLED TO QEMU HW TEST", "CASE OPEN"],
    ),
    (TYPED, "sealed", &["RECEIPT", "SEALED"]),
    (TYPED, "ready-again", &["READY"]),
    (STUDENT, "confirm-end", &["END YOUR EXAM NOW"]),
    (PROCTOR, "proctor-end", &["PROCTOR", "PIN TO END THIS EXAM"]),
    // (OCR may drop the first letter of a line: "NTERRUPTED".)
    (RESUMED, "resume-offer", &["EXAM HWTEST", "MIN LEFT", "F5"]),
    (RESUMED, "resume-pin", &["RESUME THE EXAM", "PROCTOR PIN"]),
];

const TYPED: &str = "station_exam_typed_at_the_keyboard";
const STUDENT: &str = "station_exam_ended_by_the_student";
const PROCTOR: &str = "station_exam_ended_by_the_proctor";
const RESUMED: &str = "station_exam_resumed_after_power_cut";

/// How often the host grabs a screen again when it does not yet say what it must (the station
/// redraws after work that takes seconds under TCG: sealing the stills, checking a PIN).
const GRABS: usize = 5;

/// Takes the screenshot a console `line` asks for, if it asks for one: `screendump` through
/// the monitor at `sock` into `tmp`, then moved into `share/screens/` (where the guest waits
/// for it). A screen with expected words is grabbed again, 2 s apart and up to [`GRABS`]
/// times, until OCR finds them: the check is that the screen shows them within seconds, not
/// at one instant.
pub fn on_line(line: &str, sock: &Path, tmp: &Path, share: &Path) -> Option<Result<(), String>> {
    let name = line.split(ASK).nth(1)?.trim();
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Some(Err(format!("bad screenshot name in {line:?}")));
    }
    let file = tmp.join(format!("{name}.ppm"));
    let words = EXPECTED.iter().find(|e| e.1 == name).map(|e| e.2);
    let grab = || qemu::monitor(sock, &format!("screendump {}", file.display()));
    let mut grabbed = grab();
    for _ in 1..GRABS {
        let Some(words) = words else { break };
        if grabbed.is_err()
            || read(&file, tmp, name).is_ok_and(|r| words.iter().all(|w| r.contains(w)))
        {
            break;
        }
        std::thread::sleep(std::time::Duration::from_secs(2));
        grabbed = grab();
    }
    Some(grabbed.and_then(|_| {
        std::fs::rename(&file, share.join("screens").join(format!("{name}.ppm")))
            .map_err(|e| format!("screendump {name}: {e}"))
    }))
}

/// The station draws light text on dark colours (background, title bar, the red badge): for
/// OCR, every light pixel becomes black ink on white paper (tesseract's own global threshold
/// would take the blue bar or the red badge for ink and lose the text on them). `ppm` is a
/// binary PPM (P6, 8 bits); the result a binary PGM (P5).
fn ink(ppm: &[u8]) -> Option<Vec<u8>> {
    let mut fields = Vec::new();
    let mut at = 0;
    while fields.len() < 4 {
        while ppm.get(at)?.is_ascii_whitespace() {
            at += 1;
        }
        let start = at;
        while !ppm.get(at)?.is_ascii_whitespace() {
            at += 1;
        }
        fields.push(std::str::from_utf8(&ppm[start..at]).ok()?.to_string());
    }
    let (w, h): (usize, usize) = (fields[1].parse().ok()?, fields[2].parse().ok()?);
    if fields[0] != "P6" || fields[3] != "255" {
        return None;
    }
    let pixels = ppm.get(at + 1..at + 1 + w * h * 3)?;
    let mut out = format!("P5\n{w} {h}\n255\n").into_bytes();
    out.extend(pixels.chunks_exact(3).map(|p| {
        let luma = 299 * u32::from(p[0]) + 587 * u32::from(p[1]) + 114 * u32::from(p[2]);
        if luma > 150_000 {
            0
        } else {
            255
        }
    }));
    Some(out)
}

/// Upper case letters, digits and single spaces: how the checks compare OCR text.
fn normal(text: &str) -> String {
    let mapped: String = text
        .chars()
        .map(|c| match c.to_ascii_uppercase() {
            'É' | 'È' | 'Ê' | 'é' | 'è' | 'ê' => 'E',
            'À' | 'Â' | 'à' | 'â' => 'A',
            'Ç' | 'ç' => 'C',
            'Î' | 'î' => 'I',
            'Ô' | 'ô' => 'O',
            'Ù' | 'Û' | 'ù' | 'û' => 'U',
            c if c.is_ascii_alphanumeric() => c,
            _ => ' ',
        })
        .collect();
    mapped.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Reads the screenshots of the guest tests that ran (their names in `results`) with OCR,
/// checks the expected words, and keeps PNGs of them in `keep`. Returns what the receipt's QR
/// code on the sealed screen says, if that screen was grabbed (the host matches it with the
/// exam's receipt once it opened the exam).
pub fn check(results: &str, share: &Path, keep: &Path, t: &mut Tally) -> Option<String> {
    let _ = std::fs::create_dir_all(keep);
    let mut qr = None;
    for (test, name, words) in EXPECTED {
        if !results.contains(test) {
            continue;
        }
        let ppm = share.join("screens").join(format!("{name}.ppm"));
        if !ppm.exists() {
            t.check(false, format!("screen `{name}` grabbed"), || {
                format!("no {}", ppm.display())
            });
            continue;
        }
        let read = match read(&ppm, keep, name) {
            Ok(read) => read,
            Err(e) => {
                t.check(false, format!("screen `{name}` grabbed"), || e);
                continue;
            }
        };
        let missing: Vec<&str> = words
            .iter()
            .copied()
            .filter(|w| !read.contains(w))
            .collect();
        t.check(
            missing.is_empty(),
            format!("screen `{name}` reads {}", words.join(", ")),
            || format!("OCR lacks {missing:?}; it read: {read}"),
        );
        if *name == RECEIPT_SCREEN {
            let code = qr_code(&keep.join(format!("{name}.png")));
            t.check(
                code.len() == 14 && code.split('-').count() == 3,
                format!("screen `{name}` has a QR code: {code}"),
                || "zbarimg read no receipt code".into(),
            );
            qr = Some(code);
        }
        if *name == "health" {
            // F3 at the readiness card: the station's health summary as a QR code.
            let code = qr_code(&keep.join(format!("{name}.png")));
            t.check(
                code.starts_with("exam-station health ") && code.contains(" camera=ok"),
                format!("the readiness card's QR code is the health summary: {code}"),
                || "zbarimg read no health summary".into(),
            );
        }
    }
    qr
}

/// Reads the screenshot `ppm` as a person would, with OCR: keeps it as `keep/NAME.png` (and the
/// inked `NAME.pgm` tesseract reads) and returns the text as [`normal`] letters.
pub fn read(ppm: &Path, keep: &Path, name: &str) -> Result<String, String> {
    if let Ok(out) = Command::new("pnmtopng").arg(ppm).output() {
        let _ = std::fs::write(keep.join(format!("{name}.png")), out.stdout);
    }
    let pgm = keep.join(format!("{name}.pgm"));
    let inked = std::fs::read(ppm)
        .ok()
        .and_then(|b| ink(&b))
        .map(|b| std::fs::write(&pgm, b));
    if !matches!(inked, Some(Ok(()))) {
        return Err(format!("{} is not a readable PPM", ppm.display()));
    }
    let ocr = Command::new("tesseract")
        .arg(&pgm)
        .args(["-", "-l", "eng+fra"])
        .output();
    let text = match ocr {
        Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout).into_owned(),
        Ok(o) => format!("tesseract: {}", String::from_utf8_lossy(&o.stderr)),
        Err(e) => format!("tesseract: {e}"),
    };
    Ok(normal(&text))
}

/// The QR code on the screen `png`, as zbarimg reads it.
fn qr_code(png: &Path) -> String {
    Command::new("zbarimg")
        .args(["--raw", "-q"])
        .arg(png)
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn light_pixels_become_ink() {
        // 2x1: white text, the blue title bar.
        let ppm = b"P6\n2 1\n255\n\xeb\xeb\xeb\x20\x50\xa0";
        assert_eq!(ink(ppm).unwrap(), b"P5\n2 1\n255\n\x00\xff");
        assert_eq!(ink(b"P3\n1 1\n255\n0 0 0"), None);
        assert_eq!(ink(b"P6\n2 2\n255\n\x00"), None, "too short");
    }

    #[test]
    fn ocr_text_is_compared_without_case_accents_or_punctuation() {
        assert_eq!(
            normal("Numéro d'étudiant :\n  20261234"),
            "NUMERO D ETUDIANT 20261234"
        );
    }
}
