//! The site's roster: who a student number is, for the profile's basic identity information.
//!
//! A CSV file the registrar exports: a header naming the columns `student` and `name` (in any
//! order, other columns ignored), then one student per line; fields may be quoted (`"Tremblay,
//! Marie"`, `""` for a quote inside); blank lines and lines starting with `#` are skipped. A
//! student number listed twice, a missing field or an unclosed quote is an error naming the
//! file and line.

use std::collections::BTreeMap;
use std::path::Path;

/// A roster: student number to name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Roster {
    names: BTreeMap<String, String>,
}

/// The fields of one CSV line; `None` when a quote is left open.
fn fields(line: &str) -> Option<Vec<String>> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = line.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                cur.push('"');
            }
            (true, '"') => quoted = false,
            (false, '"') if cur.trim().is_empty() => {
                cur.clear();
                quoted = true;
            }
            (false, ',') => out.push(std::mem::take(&mut cur).trim().to_owned()),
            _ => cur.push(c),
        }
    }
    if quoted {
        return None;
    }
    out.push(cur.trim().to_owned());
    Some(out)
}

impl Roster {
    /// Parses roster text; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Roster, String> {
        let mut lines = text
            .lines()
            .enumerate()
            .map(|(i, l)| (i + 1, l.trim_end_matches('\r')))
            .filter(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'));
        let (n, header) = lines
            .next()
            .ok_or_else(|| format!("{origin}: empty: a header line `student,name` is needed"))?;
        let header = fields(header).ok_or_else(|| format!("{origin} line {n}: unclosed quote"))?;
        let col = |name: &str| {
            header
                .iter()
                .position(|h| h.eq_ignore_ascii_case(name))
                .ok_or_else(|| {
                    format!(
                        "{origin} line {n}: no `{name}` column in the header (found: {header:?})"
                    )
                })
        };
        let (s_col, n_col) = (col("student")?, col("name")?);
        let mut names = BTreeMap::new();
        for (n, line) in lines {
            let f = fields(line).ok_or_else(|| format!("{origin} line {n}: unclosed quote"))?;
            let get = |c: usize, what: &str| {
                f.get(c)
                    .filter(|v| !v.is_empty())
                    .cloned()
                    .ok_or_else(|| format!("{origin} line {n}: no {what}"))
            };
            let (student, name) = (get(s_col, "student number")?, get(n_col, "name")?);
            if names.insert(student.clone(), name).is_some() {
                return Err(format!(
                    "{origin} line {n}: student {student} is listed twice"
                ));
            }
        }
        Ok(Roster { names })
    }

    /// Loads a roster file.
    pub fn load(path: &Path) -> Result<Roster, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        Roster::parse(&text, &path.display().to_string())
    }

    /// The name of `student`, if listed.
    pub fn name(&self, student: &str) -> Option<String> {
        self.names.get(student.trim()).cloned()
    }

    /// How many students it lists.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Whether it lists nobody.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
}

/// Fuzz entry: any bytes parse to a roster or an error naming a line, never a panic.
pub fn fuzz(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Err(e) = Roster::parse(text, "roster.csv") {
            assert!(e.starts_with("roster.csv"), "{e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_names_columns_in_any_order_and_comments() {
        let r = Roster::parse(
            "# exported 2026-11-30\nname,program,student\n\"Tremblay, Marie\",BSc,20261234\n\nJean \"JJ\" Roy,BA, 20265678\n\"O\"\"Neil, Ann\",,2026-9\n",
            "r.csv",
        )
        .unwrap();
        assert_eq!(r.len(), 3);
        assert_eq!(r.name("20261234").as_deref(), Some("Tremblay, Marie"));
        assert_eq!(r.name("20265678").as_deref(), Some("Jean \"JJ\" Roy"));
        assert_eq!(r.name("2026-9").as_deref(), Some("O\"Neil, Ann"));
        assert_eq!(r.name("nobody"), None);
    }

    #[test]
    fn errors_name_the_file_and_line() {
        let e = |t: &str| Roster::parse(t, "r.csv").unwrap_err();
        assert_eq!(
            e(""),
            "r.csv: empty: a header line `student,name` is needed"
        );
        assert!(e("id,name\n1,a\n").starts_with("r.csv line 1: no `student` column"));
        assert_eq!(e("student,name\n1,a\n2\n"), "r.csv line 3: no name");
        assert_eq!(
            e("student,name\n1,a\n1,b\n"),
            "r.csv line 3: student 1 is listed twice"
        );
        assert_eq!(e("student,name\n1,\"a\n"), "r.csv line 2: unclosed quote");
    }
}
