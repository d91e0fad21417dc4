//! Field paths such as `camera.width` or `input.match[1].bus`: where in a file a problem is.

use std::fmt;

/// One step of a [`FieldPath`]: a table key or an array index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Segment {
    /// A key of a table, e.g. `camera`.
    Key(String),
    /// An index into an array or array of tables, e.g. the `1` of `match[1]`.
    Index(usize),
}

/// A path from the document root to a field, rendered as `input.match[1].bus`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct FieldPath(Vec<Segment>);

impl FieldPath {
    /// The empty path (the document root).
    pub(crate) fn root() -> Self {
        Self(Vec::new())
    }

    /// Parses a dotted path of plain keys, e.g. `"uplink.region"` (no indices).
    pub(crate) fn of(dotted: &str) -> Self {
        Self(
            dotted
                .split('.')
                .filter(|k| !k.is_empty())
                .map(|k| Segment::Key(k.to_owned()))
                .collect(),
        )
    }

    /// This path followed by `key`.
    pub(crate) fn key(&self, key: &str) -> Self {
        let mut next = self.clone();
        next.0.push(Segment::Key(key.to_owned()));
        next
    }

    /// This path followed by `[index]`.
    pub(crate) fn index(&self, index: usize) -> Self {
        let mut next = self.clone();
        next.0.push(Segment::Index(index));
        next
    }

    /// The segments, root first.
    pub(crate) fn segments(&self) -> &[Segment] {
        &self.0
    }

    /// True for the document root.
    pub(crate) fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    /// The path without its last segment (the root stays the root).
    pub(crate) fn parent(&self) -> Self {
        let mut parent = self.clone();
        parent.0.pop();
        parent
    }

    /// The last key of the path, if the path ends in a key.
    pub(crate) fn last_key(&self) -> Option<&str> {
        match self.0.last() {
            Some(Segment::Key(k)) => Some(k),
            _ => None,
        }
    }

    /// The path with indices removed (`input.match.bus`): the key used to look up the schema.
    pub(crate) fn schema_key(&self) -> String {
        let keys: Vec<&str> = self
            .0
            .iter()
            .filter_map(|s| match s {
                Segment::Key(k) => Some(k.as_str()),
                Segment::Index(_) => None,
            })
            .collect();
        keys.join(".")
    }

    /// Converts the path reported by `serde_path_to_error`.
    pub(crate) fn from_serde(path: &serde_path_to_error::Path) -> Self {
        use serde_path_to_error::Segment as S;
        let mut out = Vec::new();
        for segment in path.iter() {
            match segment {
                S::Seq { index } => out.push(Segment::Index(*index)),
                S::Map { key } => out.push(Segment::Key(key.clone())),
                S::Enum { .. } => {}
                // An unknown segment means the path below it is unknown too.
                S::Unknown => break,
            }
        }
        Self(out)
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for segment in &self.0 {
            match segment {
                Segment::Key(k) => {
                    if !first {
                        f.write_str(".")?;
                    }
                    f.write_str(k)?;
                }
                Segment::Index(i) => write!(f, "[{i}]")?,
            }
            first = false;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_keys_and_indices() {
        let p = FieldPath::of("input.match").index(1).key("bus");
        assert_eq!(p.to_string(), "input.match[1].bus");
        assert_eq!(p.schema_key(), "input.match.bus");
        assert_eq!(p.parent().to_string(), "input.match[1]");
        assert_eq!(p.last_key(), Some("bus"));
        assert!(FieldPath::root().is_root());
        assert_eq!(FieldPath::root().to_string(), "");
    }
}
