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

/// Host packages: OCR with its English and French data, PPM to PNG.
pub const HOST: &[&str] = &[
    "tesseract-ocr",
    "tesseract-ocr-eng",
    "tesseract-ocr-fra",
    "netpbm",
];

/// The guest test that grabs a screen, the screen's name, and what it must say: words as OCR
/// reads them (upper case, accents and punctuation dropped; the station's font draws French
/// letters without their accents).
const EXPECTED: &[(&str, &str, &[&str])] = &[
    (TYPED, "ready", &["EXAM STATION", "READY"]),
    (TYPED, "student-error", &["NOT A STUDENT NUMBER", "EXAMPLE"]),
    (
        TYPED,
        "student-fr",
        &["NUMERO", "ETUDIANT", "ENREGISTREMENT"],
    ),
    (TYPED, "exam", &["EXAM CODE", "HWTEST"]),
    (TYPED, "proctor", &["PROCTOR PIN", "20261234"]),
    (TYPED, "proctor-wrong", &["WRONG PIN"]),
    (TYPED, "notice", &["PRIVACY NOTICE", "WHAT IS RECORDED"]),
    (TYPED, "identity", &["PHOTO ID"]),
    (TYPED, "recording", &["REC"]),
    (TYPED, "sealed", &["RECEIPT", "SEALED"]),
    (TYPED, "ready-again", &["READY"]),
    (STUDENT, "confirm-end", &["END YOUR EXAM NOW"]),
    (PROCTOR, "proctor-end", &["PROCTOR", "PIN TO END THIS EXAM"]),
];

const TYPED: &str = "station_exam_typed_at_the_keyboard";
const STUDENT: &str = "station_exam_ended_by_the_student";
const PROCTOR: &str = "station_exam_ended_by_the_proctor";

/// Takes the screenshot a console `line` asks for, if it asks for one: `screendump` through
/// the monitor at `sock` into `tmp`, then moved into `share/screens/` (where the guest waits
/// for it).
pub fn on_line(line: &str, sock: &Path, tmp: &Path, share: &Path) -> Option<Result<(), String>> {
    let name = line.split(ASK).nth(1)?.trim();
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Some(Err(format!("bad screenshot name in {line:?}")));
    }
    let file = tmp.join(format!("{name}.ppm"));
    Some(
        qemu::monitor(sock, &format!("screendump {}", file.display())).and_then(|_| {
            std::fs::rename(&file, share.join("screens").join(format!("{name}.ppm")))
                .map_err(|e| format!("screendump {name}: {e}"))
        }),
    )
}

/// Upper case letters, digits and single spaces: how the checks compare OCR text.
fn normal(text: &str) -> String {
    let mapped: String = text
        .chars()
        .map(|c| match c.to_ascii_uppercase() {
            'É' | 'È' | 'Ê' | 'é' | 'è' | 'ê' => 'E',
            c if c.is_ascii_alphanumeric() => c,
            _ => ' ',
        })
        .collect();
    mapped.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Reads the screenshots of the guest tests that ran (their names in `results`) with OCR,
/// checks the expected words, and keeps PNGs of them in `keep`.
pub fn check(results: &str, share: &Path, keep: &Path, t: &mut Tally) {
    let _ = std::fs::create_dir_all(keep);
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
        if let Ok(out) = Command::new("pnmtopng").arg(&ppm).output() {
            let _ = std::fs::write(keep.join(format!("{name}.png")), out.stdout);
        }
        let ocr = Command::new("tesseract")
            .arg(&ppm)
            .args(["-", "-l", "eng+fra"])
            .output();
        let text = match ocr {
            Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout).into_owned(),
            Ok(o) => format!("tesseract: {}", String::from_utf8_lossy(&o.stderr)),
            Err(e) => format!("tesseract: {e}"),
        };
        let read = normal(&text);
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
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ocr_text_is_compared_without_case_accents_or_punctuation() {
        assert_eq!(
            normal("Numéro d'étudiant :\n  20261234"),
            "NUMERO D ETUDIANT 20261234"
        );
    }
}
