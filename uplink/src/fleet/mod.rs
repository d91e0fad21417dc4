//! `examctl fleet`: the institution's view of its stations, from the health reports they push
//! (`[<prefix>/]health/<station>.json`) and the ones IT copies off sticks of stations that
//! never reached a network. Nothing here talks to a station: every figure comes from a signed
//! report, checked against the registry of stations.
//!
//! [`collect`] reads the reports, [`judge`] says which stations need attention and which sealed
//! exams never arrived (reconciliation), [`text`] prints the commands' lines, [`page`] writes
//! the static fleet page, [`prom`] the files for a node_exporter textfile collector.

pub mod command;
pub mod judge;
pub mod page;
pub mod prom;
pub mod text;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use bundle::health::Report;

use crate::error::UplinkError;
use crate::registry::Registry;
use crate::store::CentralStore;

/// One station's newest report, where it was found, and whether it is to be believed.
#[derive(Debug, Clone)]
pub struct Seen {
    /// The report.
    pub report: Report,
    /// Object key or file it was read from.
    pub from: String,
    /// The key prefix its station uploads under (where its bundles are): where the report was
    /// found, or for a report off a stick its registered prefix, else the site's.
    pub root: Option<String>,
    /// Why it is not trusted, if so: bad signature, or not the registry's key.
    pub untrusted: Option<String>,
}

/// Where the reports are.
pub struct Sources<'a> {
    /// The central store (none: folders only).
    pub store: Option<&'a dyn CentralStore>,
    /// Key prefixes whose `health/` is listed (the site's prefix).
    pub roots: Vec<String>,
    /// The registry of stations: each registered station's report is read under its own
    /// prefix, and every report's key must be its station's.
    pub registry: Option<&'a Registry>,
    /// Folders of report files (`*.json`, searched recursively), e.g. copied off sticks.
    pub folders: Vec<PathBuf>,
}

/// What was read: the newest report per station, and the stations registered but never heard
/// of, and reports that could not be read.
#[derive(Debug, Default)]
pub struct Collected {
    /// Newest report per station, by station id.
    pub seen: Vec<Seen>,
    /// Registered stations without any report.
    pub silent: Vec<String>,
    /// Reports that could not be read or parsed (the message names the key or file).
    pub unreadable: Vec<String>,
}

fn health_dir(root: &str) -> String {
    crate::store::key_under(root, "health/")
}

/// `f` over `items` on up to 8 threads (a fleet is a thousand small requests); results in the
/// order of `items`.
pub fn par_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let next = AtomicUsize::new(0);
    let out = Mutex::new(Vec::with_capacity(items.len()));
    std::thread::scope(|s| {
        for _ in 0..8.min(items.len()) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(item) = items.get(i) else {
                    return;
                };
                let r = f(item);
                out.lock().unwrap_or_else(|p| p.into_inner()).push((i, r));
            });
        }
    });
    let mut v = out.into_inner().unwrap_or_else(|p| p.into_inner());
    v.sort_by_key(|(i, _)| *i);
    v.into_iter().map(|(_, r)| r).collect()
}

/// Reads `keys` (root, key) from `store`.
fn read_all(store: &dyn CentralStore, keys: &[(String, String)]) -> Vec<Result<Seen, String>> {
    par_map(keys, |(root, key)| {
        store
            .read(key)
            .map_err(|e| e.to_string())
            .and_then(|b| Report::parse(&b, key))
            .map(|report| Seen {
                report,
                from: key.clone(),
                root: Some(root.clone()),
                untrusted: None,
            })
    })
}

fn json_files(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for e in std::fs::read_dir(dir)? {
        let p = e?.path();
        if p.is_dir() {
            json_files(&p, out)?;
        } else if p.extension().is_some_and(|x| x == "json") {
            out.push(p);
        }
    }
    Ok(())
}

/// Reads every report the sources hold; keeps the newest per station, checks signatures and
/// registered keys. Errors only when the store cannot be listed at all.
pub fn collect(src: &Sources<'_>) -> Result<Collected, UplinkError> {
    let mut keys: Vec<(String, String)> = Vec::new();
    if let Some(store) = src.store {
        for root in &src.roots {
            for o in store.list(&health_dir(root))? {
                if o.key.ends_with(".json") {
                    keys.push((root.clone(), o.key));
                }
            }
        }
        for s in src.registry.map(Registry::stations).unwrap_or_default() {
            if let Some(p) = &s.prefix {
                let key = format!("{}{}.json", health_dir(p), s.id);
                if !keys.iter().any(|(_, k)| *k == key) {
                    keys.push((p.clone(), key));
                }
            }
        }
    }
    let mut c = Collected::default();
    let mut found = Vec::new();
    if let Some(store) = src.store {
        for r in read_all(store, &keys) {
            match r {
                Ok(s) => found.push(s),
                // A registered station that never pushed is "silent", not unreadable.
                Err(e) if e.contains("HTTP 404") || e.contains("NoSuchKey") => {}
                Err(e) => c.unreadable.push(e),
            }
        }
    }
    for dir in &src.folders {
        let mut files = Vec::new();
        json_files(dir, &mut files).map_err(|e| UplinkError::io(dir, e))?;
        for f in files {
            let what = f.display().to_string();
            match std::fs::read(&f)
                .map_err(|e| format!("{what}: {e}"))
                .and_then(|b| Report::parse(&b, &what))
            {
                Ok(report) => found.push(Seen {
                    // Its bundles go under its registered prefix, else the site's.
                    root: src
                        .registry
                        .and_then(|r| r.stations().iter().find(|s| s.id == report.station))
                        .and_then(|s| s.prefix.clone())
                        .or_else(|| src.roots.first().cloned()),
                    report,
                    from: what,
                    untrusted: None,
                }),
                Err(e) => c.unreadable.push(e),
            }
        }
    }
    for mut s in found {
        s.untrusted = s.report.verify_signature().err().or_else(|| {
            src.registry
                .and_then(|r| r.check_key(&s.report.station, &s.report.station_key).err())
        });
        // Believed reports first, then the newest.
        let better = |a: &Seen, b: &Seen| {
            (a.untrusted.is_none(), a.report.written_ms)
                > (b.untrusted.is_none(), b.report.written_ms)
        };
        match c
            .seen
            .iter_mut()
            .find(|o| o.report.station == s.report.station)
        {
            Some(o) if better(&s, o) => *o = s,
            Some(_) => {}
            None => c.seen.push(s),
        }
    }
    c.seen
        .sort_by(|a, b| a.report.station.cmp(&b.report.station));
    for st in src.registry.map(Registry::stations).unwrap_or_default() {
        if !c.seen.iter().any(|s| s.report.station == st.id) {
            c.silent.push(st.id.clone());
        }
    }
    Ok(c)
}
