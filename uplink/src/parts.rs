//! Exams in parts: an exam cut short by a power cut and resumed by the proctor continues in a
//! new bundle, `<first id>-p2`, `-p3`... Each part is sealed, uploaded and verified on its own;
//! fetching and opening put them back together as one exam. Part N's journal begins with a
//! `Resumed` event naming part N-1's id and journal head: the chain is checked on opening.

use std::path::{Path, PathBuf};

use bundle::manifest;

/// The first part's id of exam part `id` (`X-p2` -> `X`; `X` -> `X`).
pub fn first_id(id: &str) -> &str {
    match id.rsplit_once("-p") {
        Some((first, n)) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => first,
        _ => id,
    }
}

/// The part number of `id`: 1 for the first part.
pub fn number(id: &str) -> u16 {
    id.rsplit_once("-p")
        .filter(|(first, _)| *first == first_id(id))
        .and_then(|(_, n)| n.parse().ok())
        .unwrap_or(1)
}

/// Whether folder name `name` is a part of the exam whose first part is `first`.
pub fn is_part_of(name: &str, first: &str) -> bool {
    name == first || (first_id(name) == first && number(name) > 1)
}

/// The bundles of one exam in `dir`, in part order: `dir` itself if it is a bundle, else its
/// sub-folders that are (as `examctl fetch` leaves an exam of several parts).
pub fn bundles_in(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    if dir.join(manifest::FILE).is_file() {
        return Ok(vec![dir.to_owned()]);
    }
    let mut parts: Vec<PathBuf> = std::fs::read_dir(dir)?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join(manifest::FILE).is_file())
        .collect();
    parts.sort_by_key(|p| {
        let name = p.file_name().map(|n| n.to_string_lossy().into_owned());
        name.map(|n| (number(&n), n)).unwrap_or_default()
    });
    Ok(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn part_ids() {
        let first = "20261130-170249-0c69f6";
        assert_eq!(first_id(first), first);
        assert_eq!(first_id("20261130-170249-0c69f6-p2"), first);
        assert_eq!(
            first_id("20261130-170249-0c69f6-p"),
            "20261130-170249-0c69f6-p"
        );
        assert_eq!(number(first), 1);
        assert_eq!(number("20261130-170249-0c69f6-p12"), 12);
        assert!(is_part_of("20261130-170249-0c69f6-p2", first));
        assert!(is_part_of(first, first));
        assert!(!is_part_of("20261130-170249-0c69f7-p2", first));
        assert!(!is_part_of("20261130-170249-0c69f6-px", first));
    }

    #[test]
    fn bundles_in_part_order() {
        let d = tempfile::tempdir().unwrap();
        for name in ["x-p10", "x", "x-p2", "notes"] {
            std::fs::create_dir(d.path().join(name)).unwrap();
            if name != "notes" {
                std::fs::write(d.path().join(name).join(manifest::FILE), "{}").unwrap();
            }
        }
        let names: Vec<String> = bundles_in(d.path())
            .unwrap()
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["x", "x-p2", "x-p10"]);
        assert_eq!(
            bundles_in(&d.path().join("x")).unwrap(),
            [d.path().join("x")]
        );
    }
}
