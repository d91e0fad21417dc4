//! The site's host allowlist: `exam.example.ca` (that host) or `*.example.ca` (any subdomain of
//! it, not the domain itself), as validated by board-config.

/// Hosts the exam shell may reach.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allowlist {
    patterns: Vec<String>,
}

/// `host` lowercased, without a trailing dot or IPv6 brackets.
fn normalize(host: &str) -> String {
    host.trim_end_matches('.')
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_ascii_lowercase()
}

impl Allowlist {
    /// The site's `exam.allowlist` patterns.
    pub fn new(patterns: &[String]) -> Allowlist {
        Allowlist {
            patterns: patterns.iter().map(|p| normalize(p)).collect(),
        }
    }

    /// Whether `host` (a name from a request, any case, maybe with a trailing dot) is allowed.
    pub fn allows(&self, host: &str) -> bool {
        let host = normalize(host);
        !host.is_empty()
            && self.patterns.iter().any(|p| match p.strip_prefix("*.") {
                Some(domain) => host
                    .strip_suffix(domain)
                    .is_some_and(|sub| sub.len() > 1 && sub.ends_with('.')),
                None => *p == host,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_hosts_and_subdomain_patterns() {
        let a = Allowlist::new(&["exam.example.ca".into(), "*.lms.example.ca".into()]);
        assert!(a.allows("exam.example.ca"));
        assert!(a.allows("EXAM.example.ca."));
        assert!(a.allows("a.lms.example.ca"));
        assert!(a.allows("x.y.lms.example.ca"));
        assert!(
            !a.allows("lms.example.ca"),
            "a wildcard does not cover its domain"
        );
        assert!(!a.allows("evillms.example.ca"));
        assert!(!a.allows("exam.example.ca.evil.com"));
        assert!(
            !a.allows("sub.exam.example.ca"),
            "an exact host has no subdomains"
        );
        assert!(!a.allows(""));
        assert!(!a.allows("."));
    }
}
