//! Finding where a field is in the TOML text: byte spans, lines and columns.
//!
//! Typed parsing forgets positions, so errors found after it (range checks, residency rules)
//! look the field up again in a `toml_edit` parse of the same text.

use std::ops::Range;

use toml_edit::{ImDocument, Item, Table, Value};

use crate::path::{FieldPath, Segment};

/// What part of a field an error should point at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    /// The key itself (`widht` in `widht = 640`): for unknown fields.
    Key,
    /// The value (`0` in `framerate = 0`), falling back to the key.
    Value,
}

/// A node of the document while walking a path.
#[derive(Clone, Copy)]
enum Node<'a> {
    Item(&'a Item),
    Table(&'a Table),
    Value(&'a Value),
}

impl<'a> Node<'a> {
    fn span(self) -> Option<Range<usize>> {
        match self {
            Node::Item(i) => i.span(),
            Node::Table(t) => t.span(),
            Node::Value(v) => v.span(),
        }
    }

    /// The child under `key`, with the span of the key as written.
    fn child_key(self, key: &str) -> Option<(Option<Range<usize>>, Node<'a>)> {
        let (k, item) = match self {
            Node::Item(Item::Table(t)) | Node::Table(t) => t.get_key_value(key)?,
            Node::Item(Item::Value(Value::InlineTable(t))) | Node::Value(Value::InlineTable(t)) => {
                t.get_key_value(key)?
            }
            _ => return None,
        };
        Some((k.span(), Node::Item(item)))
    }

    fn child_index(self, index: usize) -> Option<Node<'a>> {
        match self {
            Node::Item(Item::ArrayOfTables(a)) => a.get(index).map(Node::Table),
            Node::Item(Item::Value(Value::Array(a))) | Node::Value(Value::Array(a)) => {
                a.get(index).map(Node::Value)
            }
            _ => None,
        }
    }
}

/// The span of the field at `path` in `doc`, or of the closest enclosing table that has one.
///
/// Returns `None` only when nothing along the path has a position (e.g. the root), in which
/// case the caller points at line 1.
pub(crate) fn find_span<S>(
    doc: &ImDocument<S>,
    path: &FieldPath,
    target: Target,
) -> Option<Range<usize>> {
    walk(doc, path, target).0
}

/// Like [`find_span`], but `None` unless the field itself was found.
pub(crate) fn find_exact_span<S>(
    doc: &ImDocument<S>,
    path: &FieldPath,
    target: Target,
) -> Option<Range<usize>> {
    match walk(doc, path, target) {
        (span, true) => span,
        (_, false) => None,
    }
}

/// The best span for `path`, and whether the whole path was found.
fn walk<S>(doc: &ImDocument<S>, path: &FieldPath, target: Target) -> (Option<Range<usize>>, bool) {
    let mut node = Node::Table(doc.as_table());
    // Best span found so far for an enclosing node: used when the path runs out.
    let mut best: Option<Range<usize>> = None;
    // Whether `best` is the span of the last segment, i.e. of the field itself.
    let mut exact = false;
    let segments = path.segments();
    for (i, segment) in segments.iter().enumerate() {
        let last = i + 1 == segments.len();
        let next = match segment {
            Segment::Key(k) => match node.child_key(k) {
                Some((key_span, child)) => {
                    if last && target == Target::Key && key_span.is_some() {
                        return (key_span, true);
                    }
                    let span = child.span().or(key_span);
                    if span.is_some() {
                        best = span;
                        exact = last;
                    }
                    child
                }
                None => return (best, false),
            },
            Segment::Index(index) => match node.child_index(*index) {
                Some(child) => {
                    if let Some(span) = child.span() {
                        best = Some(span);
                        exact = last;
                    }
                    child
                }
                None => return (best, false),
            },
        };
        node = next;
    }
    (best, exact)
}

/// A position in the text: 1-based line and column (in characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Position {
    pub(crate) line: usize,
    pub(crate) column: usize,
}

/// The largest char boundary of `text` at or below `offset`.
fn floor_boundary(text: &str, offset: usize) -> usize {
    let mut offset = offset.min(text.len());
    while offset > 0 && !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// Line and column of a byte offset (clamped into the text).
pub(crate) fn position(text: &str, offset: usize) -> Position {
    let offset = floor_boundary(text, offset);
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    Position { line, column }
}

/// The line under an error, ready to print, with where the carets go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Snippet {
    /// 1-based line number.
    pub(crate) line: usize,
    /// The line's text, tabs turned into spaces, cut to a screen's width.
    pub(crate) text: String,
    /// 0-based character column of the first caret within `text`.
    pub(crate) caret_start: usize,
    /// Number of carets (at least 1).
    pub(crate) caret_len: usize,
}

/// Widest snippet line printed, in characters.
const MAX_WIDTH: usize = 100;

/// The snippet for `span` in `text`: its first line, with carets under the span's part of it.
pub(crate) fn snippet(text: &str, span: &Range<usize>) -> Snippet {
    let start = floor_boundary(text, span.start);
    let end = floor_boundary(text, span.end.max(span.start));
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
    let line_text = text[line_start..line_end].trim_end_matches('\r');
    let chars: Vec<char> = line_text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let caret_start = text[line_start..start].chars().count().min(chars.len());
    let caret_end = text[line_start..end.clamp(start, line_end)].chars().count();
    let caret_len = caret_end.saturating_sub(caret_start).max(1);

    // Keep long lines to one screen: a window that starts a little before the caret.
    let window_start = if chars.len() > MAX_WIDTH {
        caret_start.saturating_sub(20)
    } else {
        0
    };
    let window_end = (window_start + MAX_WIDTH).min(chars.len());
    let shown: String = chars[window_start..window_end].iter().collect();
    let caret_start = caret_start - window_start;
    let caret_len = caret_len.min(MAX_WIDTH.saturating_sub(caret_start).max(1));
    Snippet {
        line: position(text, start).line,
        text: shown,
        caret_start,
        caret_len,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "[camera]\nwidth = 640\n\n[[input.match]]\nbus = \"usb\"\n\n[[input.match]]\nbus = \"virtual\"\n";

    fn span_text(path: &FieldPath, target: Target) -> Option<String> {
        let doc = ImDocument::parse(DOC).ok()?;
        find_span(&doc, path, target).map(|s| DOC[s].to_owned())
    }

    #[test]
    fn finds_values_keys_and_array_elements() {
        assert_eq!(
            span_text(&FieldPath::of("camera.width"), Target::Value).as_deref(),
            Some("640")
        );
        assert_eq!(
            span_text(&FieldPath::of("camera.width"), Target::Key).as_deref(),
            Some("width")
        );
        let bus = FieldPath::of("input.match").index(1).key("bus");
        assert_eq!(
            span_text(&bus, Target::Value).as_deref(),
            Some("\"virtual\"")
        );
        let doc = ImDocument::parse(DOC).unwrap();
        let span = find_span(&doc, &bus, Target::Value).unwrap();
        assert_eq!(position(DOC, span.start), Position { line: 8, column: 7 });
    }

    #[test]
    fn falls_back_to_enclosing_table() {
        let doc = ImDocument::parse(DOC).unwrap();
        let span = find_span(&doc, &FieldPath::of("camera.height"), Target::Value).unwrap();
        assert_eq!(position(DOC, span.start).line, 1);
        assert_eq!(
            find_span(&doc, &FieldPath::of("display.card"), Target::Value),
            None
        );
    }

    #[test]
    fn snippet_is_clamped_and_safe() {
        let text = "a = \"é\u{7}\"\nb";
        for start in 0..text.len() + 3 {
            for end in 0..text.len() + 3 {
                let s = snippet(text, &(start..end));
                assert!(s.caret_len >= 1);
                assert!(s.caret_start <= s.text.chars().count());
            }
        }
        let long = format!("k = \"{}\"", "x".repeat(500));
        let s = snippet(&long, &(300..310));
        assert!(s.text.chars().count() <= MAX_WIDTH);
        assert_eq!(s.caret_start, 20);
    }
}
