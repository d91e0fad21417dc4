//! The index page of a subject-access answer: one self-contained HTML file (no script) that
//! opens from disk: who it is about, the profile with its stills, each exam with its dates,
//! station, receipt, review hints and files, and when each thing expires.

use super::subjects::Entry;
use super::Card;
use crate::retention::{PROFILES_DAYS, RECORDINGS_DAYS};
use crate::xml::escape as esc;

/// One exam in a subject-access answer.
#[derive(Debug, Clone)]
pub struct Held {
    /// Its index entry.
    pub entry: Entry,
    /// Ended, RFC 3339.
    pub ended_at: String,
    /// Its review hints.
    pub flags: review::flags::Flags,
    /// The files copied, relative to the exam's folder.
    pub files: Vec<String>,
}

/// Whom and what an answer is about, as its page says.
pub struct Heading<'a> {
    /// The student number.
    pub student: &'a str,
    /// The institution's name.
    pub institution: &'a str,
    /// The receipt code the answer was narrowed to.
    pub receipt: Option<&'a str>,
    /// Whether the recordings are included.
    pub media: bool,
}

/// The date `days` after RFC 3339 time `at` (`YYYY-MM-DD`), or `at` itself if unreadable.
fn plus_days(at: &str, days: u32) -> String {
    at.parse::<jiff::Timestamp>()
        .ok()
        .and_then(|t| {
            t.checked_add(jiff::SignedDuration::from_hours(24 * i64::from(days)))
                .ok()
        })
        .map(|t| t.to_string()[..10].to_owned())
        .unwrap_or_else(|| at.to_owned())
}

fn profile_html(card: Option<&Card>) -> String {
    let Some(c) = card else {
        return "<p>No identity profile is held.</p>".into();
    };
    let mut s = format!(
        "<table><tr><th>Name (from the roster)</th><td>{}</td></tr><tr><th>Made</th><td>{}</td></tr>\
         <tr><th>From the check-in of</th><td>exam {} at station {}</td></tr>\
         <tr><th>Deleted</th><td>on or after {} ({PROFILES_DAYS} days after it was made)</td></tr></table><div class=\"stills\">",
        esc(c.name.as_deref().unwrap_or("not on a roster")),
        esc(&c.created_at),
        esc(&c.exam),
        esc(&c.station),
        plus_days(&c.created_at, PROFILES_DAYS),
    );
    for (kind, file) in &c.stills {
        let label = if kind == "PhotoId" {
            "Photo ID"
        } else {
            "Face scan"
        };
        s.push_str(&format!(
            "<figure><img src=\"profile/{f}\" alt=\"{label}\"><figcaption>{label}</figcaption></figure>",
            f = esc(file)
        ));
    }
    s + "</div>"
}

fn exam_html(h: &Held) -> String {
    let e = &h.entry;
    let mut kinds = std::collections::BTreeMap::<&str, usize>::new();
    for f in &h.flags.flags {
        *kinds.entry(f.title.as_str()).or_default() += 1;
    }
    let hints = if kinds.is_empty() {
        "none".to_owned()
    } else {
        kinds
            .iter()
            .map(|(k, n)| format!("{} × {n}", esc(k)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let links = h
        .files
        .iter()
        .map(|f| {
            format!(
                "<a href=\"exams/{}/{}\">{}</a>",
                esc(&e.exam),
                esc(f),
                esc(f)
            )
        })
        .collect::<Vec<_>>()
        .join(" ");
    format!(
        "<section class=\"exam\"><h3>Exam {exam}</h3><table>\
         <tr><th>Station</th><td>{station}</td></tr><tr><th>Started</th><td>{start}</td></tr>\
         <tr><th>Ended</th><td>{end}</td></tr><tr><th>Receipt</th><td><code>{receipt}</code></td></tr>\
         <tr><th>Review hints</th><td>{hints}</td></tr>\
         <tr><th>Deleted</th><td>on or after {gone} ({RECORDINGS_DAYS} days after upload)</td></tr>\
         <tr><th>Files</th><td>{links}</td></tr></table></section>",
        exam = esc(&e.exam),
        station = esc(&e.station),
        start = esc(&e.started_at),
        end = esc(&h.ended_at),
        receipt = esc(&e.receipt),
        gone = plus_days(&h.ended_at, RECORDINGS_DAYS),
    )
}

/// The page.
pub fn render(r: &Heading<'_>, profile: Option<&Card>, exams: &[Held]) -> String {
    let now = bundle::rfc3339(bundle::journal::now_ms());
    let exams_html = if exams.is_empty() {
        "<p>No exam recordings are held.</p>".to_owned()
    } else {
        exams.iter().map(exam_html).collect()
    };
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>Subject access: student {student}</title><style>\
         body{{font-family:sans-serif;max-width:60em;margin:2em auto;padding:0 1em;color:#222}}\
         th{{text-align:left;padding-right:1em;vertical-align:top}} .stills{{display:flex;flex-wrap:wrap;gap:1em}}\
         figure{{margin:0}} img{{width:12em;border:1px solid #999}} section.exam{{border-top:1px solid #ccc}}\
         </style></head><body><h1>What {inst} holds about student {student}</h1>\
         <p>Gathered {now}{only}. Every file in this folder is listed with its SHA-256 in \
         <a href=\"SHA256SUMS\">SHA256SUMS</a> (<code>sha256sum -c SHA256SUMS</code> checks them).{media}</p>\
         <h2 id=\"profile\">Identity profile</h2>{profile}<h2 id=\"exams\">Exams ({n})</h2>{exams_html}</body></html>\n",
        student = esc(r.student),
        inst = esc(r.institution),
        only = r
            .receipt
            .map(|c| format!(", for the exam with receipt {}", esc(c)))
            .unwrap_or_default(),
        media = if r.media {
            " The recordings are included."
        } else {
            " The recordings (camera, microphone, screen) are held too and are given on request."
        },
        profile = profile_html(profile),
        n = exams.len(),
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn dates_and_escaping() {
        assert_eq!(
            super::plus_days("2026-12-01T10:00:00.000Z", 365),
            "2027-12-01"
        );
        assert_eq!(super::plus_days("garbage", 1), "garbage");
        assert_eq!(
            super::esc("<a href=\"x\">&"),
            "&lt;a href=&quot;x&quot;&gt;&amp;"
        );
    }
}
