//! `examctl fleet page --out DIR`: one static page (`DIR/index.html`, opens from disk, no
//! server, nothing fetched) with every station's line, the exams sealed but not arrived, the
//! images in use and each station's whole report.

use std::fmt::Write;
use std::path::{Path, PathBuf};

use super::judge::{age, Fleet, Rules, Station};
use crate::error::UplinkError;
use crate::xml::escape as esc;

const STYLE: &str = "body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#1d2330}\
h1{font-size:1.4em;margin:0 0 .2em}h2{font-size:1.1em;margin:1.4em 0 .4em}\
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.3em .5em;border-bottom:1px solid #dde;vertical-align:top}\
th{background:#f2f4f8}tr.attention td:first-child{border-left:5px solid #c62828}tr.ok td:first-child{border-left:5px solid #2e7d32}\
.bad{color:#c62828;font-weight:600}.good{color:#2e7d32;font-weight:600}.dim{color:#667}\
pre{background:#f6f7f9;padding:.6em;overflow:auto;font-size:12px}summary{cursor:pointer}\
#counts span{margin-right:1.2em}label{user-select:none}td:first-child{white-space:nowrap}";

/// Shows only the rows that need attention when the box is ticked.
const SCRIPT: &str = "document.getElementById('only').addEventListener('change',function(e){\
document.querySelectorAll('#stations tbody tr').forEach(function(r){\
r.hidden=e.target.checked&&!r.classList.contains('attention')})});";

fn row(s: &Station) -> String {
    let r = &s.seen.report;
    let ok = s.reasons.is_empty();
    let tests: Vec<String> = r
        .selftest
        .iter()
        .map(|c| match c.passed {
            true => format!("<span class=good>{}</span>", esc(&c.device)),
            false => format!(
                "<span class=bad title=\"{}\">{} FAIL</span>",
                esc(&c.detail),
                esc(&c.device)
            ),
        })
        .collect();
    format!(
        "<tr class={} id=\"st-{}\"><td>{}<div class=dim>{}</div></td><td>{}</td><td>{}<div class=dim>{} ago</div></td><td>{}</td><td>{}</td><td>{} MiB</td><td>{}</td><td>{}</td></tr>\n",
        if ok { "ok" } else { "attention" },
        esc(&r.station),
        esc(&r.station),
        esc(&r.location),
        if ok {
            "<span class=good>OK</span>".to_string()
        } else {
            format!("<span class=bad>Attention</span><div>{}</div>", esc(&s.reasons.join("; ")))
        },
        esc(r.written_at.get(..16).unwrap_or(&r.written_at)).replace('T', " "),
        age(s.age_secs),
        esc(if r.image.is_empty() { &r.software } else { &r.image }),
        if tests.is_empty() { "not run".into() } else { tests.join(", ") },
        r.disk.free_bytes >> 20,
        match r.pending.count {
            0 => "0".to_string(),
            n => format!("{n} ({:.1} MB)", r.pending.bytes as f64 / 1e6),
        },
        r.last_exam()
            .map(|e| format!("{} <span class=dim>{}</span>", esc(&e.exam), esc(&e.end_reason)))
            .unwrap_or_else(|| "none".into()),
    )
}

/// The page's HTML.
pub fn html(f: &Fleet, rules: &Rules, generated_at: &str) -> String {
    let attention = f.stations.iter().filter(|s| !s.reasons.is_empty()).count() + f.silent.len();
    let mut out = format!(
        "<!doctype html><html lang=en><meta charset=utf-8><title>Exam stations: fleet health</title><style>{STYLE}</style>\
         <h1>Exam stations: fleet health</h1><div class=dim>Built {} from the stations' signed health reports. Nothing here reaches a station.</div>\
         <p id=counts><span><b>{}</b> stations</span><span class={}><b>{attention}</b> need attention</span><span><b>{}</b> never reported</span></p>\
         <label><input type=checkbox id=only> Only stations that need attention</label>\
         <table id=stations><thead><tr><th>Station</th><th>Health</th><th>Last report</th><th>Image</th><th>Self-test</th><th>Free</th><th>Pending</th><th>Last exam</th></tr></thead><tbody>\n",
        esc(generated_at),
        f.stations.len() + f.silent.len(),
        if attention > 0 { "bad" } else { "good" },
        f.silent.len(),
    );
    f.stations.iter().for_each(|s| out.push_str(&row(s)));
    for id in &f.silent {
        let _ = writeln!(
            out,
            "<tr class=attention><td>{}</td><td><span class=bad>Attention</span><div>registered, never reported</div></td><td colspan=6></td></tr>",
            esc(id)
        );
    }
    out.push_str("</tbody></table><h2>Sealed but not arrived</h2>");
    let missing: Vec<String> = f
        .stations
        .iter()
        .flat_map(|s| {
            s.waiting.iter().filter(|w| w.missing(rules)).map(move |w| {
                format!(
                    "<li><b>{}</b> exam {} sealed {} ({} ago){}</li>",
                    esc(&s.seen.report.station),
                    esc(&w.exam.exam),
                    esc(&w.exam.sealed_at),
                    age(w.age_secs),
                    w.exam
                        .last_error
                        .as_deref()
                        .map(|k| format!(", last upload error: {}", esc(k)))
                        .unwrap_or_default()
                )
            })
        })
        .collect();
    match missing.is_empty() {
        true => out.push_str(
            "<p class=good>None: every exam sealed has arrived or is within the limit.</p>",
        ),
        false => {
            let _ = write!(out, "<ul id=missing class=bad>{}</ul>", missing.join(""));
        }
    }
    let _ = write!(
        out,
        "<h2>Images in use</h2><pre>{}</pre><h2>Reports</h2>",
        esc(&super::text::versions(f))
    );
    for s in &f.stations {
        let _ = write!(
            out,
            "<details><summary>{}</summary><pre>{}</pre></details>",
            esc(&s.seen.report.station),
            esc(&super::text::show(s))
        );
    }
    for e in &f.unreadable {
        let _ = write!(out, "<p class=bad>Unreadable report: {}</p>", esc(e));
    }
    let _ = writeln!(out, "<script>{SCRIPT}</script></html>");
    out
}

/// Writes `dir/index.html`; returns its path.
pub fn write(f: &Fleet, rules: &Rules, dir: &Path) -> Result<PathBuf, UplinkError> {
    std::fs::create_dir_all(dir).map_err(|e| UplinkError::io(dir, e))?;
    let path = dir.join("index.html");
    let now = bundle::rfc3339(rules.now_ms);
    bundle::fsutil::write_atomic(&path, html(f, rules, &now).as_bytes())?;
    Ok(path)
}
