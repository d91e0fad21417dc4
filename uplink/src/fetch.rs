//! `examctl fetch`: download a central bundle by exam id and verify it
//! (`bundle::manifest::verify_bundle`: signature, every file's size and SHA-256).

use std::path::Path;

use bundle::manifest::{self, Manifest};

use crate::error::UplinkError;
use crate::store::CentralStore;

/// Finds exam `exam` below `[<prefix>/]recordings/`, downloads it into `out`, verifies it.
pub fn fetch(
    store: &dyn CentralStore,
    prefix: &str,
    exam: &str,
    out: &Path,
) -> Result<Manifest, UplinkError> {
    let p = prefix.trim_matches('/');
    let root = if p.is_empty() {
        "recordings/".to_owned()
    } else {
        format!("{p}/recordings/")
    };
    let marker = format!("/{exam}/");
    let listed = store.list(&root)?;
    let base = listed
        .iter()
        .find_map(|o| {
            o.key
                .find(&marker)
                .map(|i| o.key[..i + marker.len()].to_owned())
        })
        .ok_or_else(|| UplinkError::Store {
            key: format!("{root}*/{exam}/"),
            why: format!("exam {exam} not found in {}", store.describe()),
            retryable: false,
        })?;
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
    for o in listed.iter().filter(|o| o.key.starts_with(&base)) {
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
