//! Just enough XML reading for S3 answers that rusty-s3 does not parse (error codes, lifecycle
//! rules, object-lock configuration): element text by tag name, and repeated blocks.
//!
//! S3 answers are flat, namespace-default XML without CDATA; this scanner looks for `<Tag>` and
//! `</Tag>` (also `<Tag attr="...">`) and unescapes the five predefined entities. It never panics
//! on malformed input (see [`fuzz_xml`]).

/// The inner text of each `<tag>...</tag>` block of `xml`, in order.
pub fn blocks<'a>(xml: &'a str, tag: &str) -> Vec<&'a str> {
    let open = format!("<{tag}");
    let close = format!("</{tag}>");
    let mut out = Vec::new();
    let mut rest = xml;
    while let Some(i) = rest.find(&open) {
        let after = &rest[i + open.len()..];
        // `<Tag>` or `<Tag attr>`, not `<TagOther>`; `<Tag/>` is an empty block.
        let Some(c) = after.chars().next() else { break };
        if c != '>' && c != ' ' && c != '/' {
            rest = after;
            continue;
        }
        let Some(gt) = after.find('>') else { break };
        if after[..gt].ends_with('/') {
            out.push("");
            rest = &after[gt + 1..];
            continue;
        }
        let body = &after[gt + 1..];
        let Some(end) = body.find(&close) else { break };
        out.push(&body[..end]);
        rest = &body[end + close.len()..];
    }
    out
}

/// The text of the first `<tag>` element, trimmed (entities not unescaped).
pub fn text<'a>(xml: &'a str, tag: &str) -> Option<&'a str> {
    blocks(xml, tag).into_iter().next().map(str::trim)
}

/// Escapes text for an XML element.
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

/// Unescapes the five predefined entities and numeric character references (`&#34;`,
/// `&#x22;`, which some servers use for the quotes around an ETag), in one pass; anything else
/// after `&` is kept as it is.
pub fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let entity = rest[1..]
            .find(';')
            .filter(|end| *end <= 10)
            .map(|end| &rest[1..=end]);
        let ch = entity.and_then(|e| match e {
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            "amp" => Some('&'),
            _ => {
                let n = match e.strip_prefix("#x").or_else(|| e.strip_prefix("#X")) {
                    Some(hex) => u32::from_str_radix(hex, 16).ok(),
                    None => e.strip_prefix('#').and_then(|d| d.parse().ok()),
                };
                n.and_then(char::from_u32)
            }
        });
        match (ch, entity) {
            (Some(c), Some(e)) => {
                out.push(c);
                rest = &rest[e.len() + 2..];
            }
            _ => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_blocks_and_text() {
        let x =
            "<A><Rule><ID>a</ID></Rule><Rules/><Rule x=\"1\"><ID> b&amp;</ID></Rule><Rule/></A>";
        assert_eq!(blocks(x, "Rule").len(), 3);
        assert_eq!(text(x, "ID"), Some("a"));
        assert_eq!(unescape(text(blocks(x, "Rule")[1], "ID").unwrap()), "b&");
        assert_eq!(
            text("<Error><Code>NoSuchUpload</Code></Error>", "Code"),
            Some("NoSuchUpload")
        );
        assert_eq!(text("<Code>broken", "Code"), None);
    }

    #[test]
    fn unescapes_entities_and_character_references() {
        assert_eq!(unescape("&#34;abc-3&#34;"), "\"abc-3\"");
        assert_eq!(unescape("&quot;x&quot; &#x22;y&#X22;"), "\"x\" \"y\"");
        assert_eq!(unescape("a&amp;lt;b"), "a&lt;b");
        assert_eq!(unescape("&lt;&gt;&apos;"), "<>'");
        for kept in [
            "&",
            "a & b",
            "&nosuch;",
            "&#;",
            "&#xZZ;",
            "&#1114112;",
            "&#",
            "x&y",
        ] {
            assert_eq!(unescape(kept), kept, "{kept}");
        }
    }
}
