//! `examctl fetch`: download a central bundle by exam id and verify it
//! (`bundle::manifest::verify_bundle`: signature, every file's size and SHA-256). An exam in
//! several parts (resumed after a power cut, [`crate::parts`]) is fetched whole, each part
//! into a sub-folder named by its id.
//!
//! The object path is checked against what the signed manifest says (exam id, station, date:
//! `.../recordings/<date>/<station>/<exam>/`), a part found under more than one path is refused
//! rather than one picked, and with a [`Registry`] the signing key must be the station's.

use std::path::Path;

use bundle::manifest::{self, Manifest};

use crate::error::UplinkError;
use crate::parts;
use crate::registry::Registry;
use crate::store::CentralStore;

/// Finds exam `exam` (any part's id) below `[<prefix>/]recordings/`, downloads it into `out`
/// (a single bundle) or `out/<part id>/` (each part of an exam in several parts) and verifies
/// every bundle (with `registry`, also its signing key). Returns the manifests in part order.
pub fn fetch(
    store: &dyn CentralStore,
    prefix: &str,
    exam: &str,
    out: &Path,
    registry: Option<&Registry>,
) -> Result<Vec<Manifest>, UplinkError> {
    let root = crate::store::key_under(prefix, "recordings/");
    let first = parts::first_id(exam);
    let listed = store.list(&root)?;
    // Each part's folder: `.../<id>/` with the part's id.
    let mut bases: Vec<(String, String)> = Vec::new();
    for o in &listed {
        let mut dirs = o.key[root.len().min(o.key.len())..]
            .split('/')
            .collect::<Vec<_>>();
        dirs.pop();
        let Some(pos) = dirs.iter().position(|d| parts::is_part_of(d, first)) else {
            continue;
        };
        let id = dirs[pos].to_owned();
        let base = format!("{root}{}/", dirs[..=pos].join("/"));
        if let Some((_, other)) = bases.iter().find(|(i, b)| *i == id && *b != base) {
            return Err(refused(
                &base,
                format!("exam {id} is found under two paths ({other} too): neither is taken"),
            ));
        }
        if !bases.iter().any(|(_, b)| *b == base) {
            bases.push((id, base));
        }
    }
    if bases.is_empty() {
        return Err(UplinkError::Store {
            key: format!("{root}*/{exam}/"),
            why: format!("exam {exam} not found in {}", store.describe()),
            retryable: false,
        });
    }
    bases.sort_by_key(|(id, _)| parts::number(id));
    let several = bases.len() > 1;
    let mut manifests = Vec::new();
    for (id, base) in &bases {
        let dest = if several {
            out.join(id)
        } else {
            out.to_owned()
        };
        let m = fetch_one(store, &listed, id, base, &dest)?;
        matches_path(&m, id, base)?;
        if let Some(r) = registry {
            r.check(&m).map_err(|why| refused(base, why))?;
        }
        manifests.push(m);
    }
    Ok(manifests)
}

/// A refusal of the bundle at `base`, not worth retrying.
fn refused(base: &str, why: String) -> UplinkError {
    UplinkError::Store {
        key: base.to_owned(),
        why,
        retryable: false,
    }
}

/// The signed manifest must name the exam, station and date of the path it was found under
/// (`.../<date>/<station>/<exam>/`): a bundle copied under another exam's path is refused.
fn matches_path(m: &Manifest, id: &str, base: &str) -> Result<(), UplinkError> {
    let dirs: Vec<&str> = base.trim_end_matches('/').rsplit('/').take(3).collect();
    let (exam, station, date) = (
        dirs.first().copied().unwrap_or(""),
        dirs.get(1).copied().unwrap_or(""),
        dirs.get(2).copied().unwrap_or(""),
    );
    let wrong = [
        ("exam", m.exam.as_str(), exam),
        ("station", m.station.as_str(), station),
        ("date", m.exam_date.as_str(), date),
    ]
    .into_iter()
    .find(|(_, signed, path)| signed != path);
    match wrong {
        None if m.exam == id => Ok(()),
        None => Err(refused(base, format!("the manifest names exam {}, not {id}", m.exam))),
        Some((what, signed, path)) => Err(refused(
            base,
            format!("the signed manifest's {what} is {signed:?} but the bundle is stored under {path:?}: a bundle placed under another exam's path"),
        )),
    }
}

fn fetch_one(
    store: &dyn CentralStore,
    listed: &[crate::store::Listed],
    exam: &str,
    base: &str,
    out: &Path,
) -> Result<Manifest, UplinkError> {
    if !listed
        .iter()
        .any(|o| o.key == format!("{base}{}", manifest::FILE))
    {
        return Err(UplinkError::Store {
            key: format!("{base}{}", manifest::FILE),
            why: "no manifest: the central bundle is incomplete (upload still running?)".into(),
            retryable: false,
        });
    }
    for o in listed.iter().filter(|o| o.key.starts_with(base)) {
        let name = &o.key[base.len()..];
        if !manifest::safe_name(name) {
            return Err(UplinkError::Store {
                key: o.key.clone(),
                why: "unsafe object name".into(),
                retryable: false,
            });
        }
        store.get(&o.key, &out.join(name))?;
    }
    manifest::verify_bundle(out).map_err(|source| UplinkError::Bundle {
        exam: exam.into(),
        source,
    })
}
