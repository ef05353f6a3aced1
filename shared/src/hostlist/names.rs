//! Name entries: kept aside by the compiler for the daemon to resolve, plus the pure
//! predicate that decides whether a client's confirmed reverse DNS name is covered.
//!
//! Nothing here resolves anything; the daemon does the DNS (forward-confirmed reverse
//! lookup, TTL cache, timeout meaning "not trusted") and asks only the predicate here, so
//! `relayctl relay check` and `relayd` apply the same rule.

/// A host-name entry of the list, as compiled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameEntry {
    /// Position of the entry in the input list (0-based), so a decision can name it.
    pub index: usize,
    /// The entry as written in the store.
    pub text: String,
    /// What it matches.
    pub kind: NameKind,
}

/// The two kinds of name entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NameKind {
    /// `example.com`: the addresses it resolves to, and clients whose confirmed reverse
    /// name is `example.com` or ends in `.example.com`.
    Host(String),
    /// `.example.com` / `*.example.com`: clients whose confirmed reverse name ends in
    /// `.example.com` (not `example.com` itself).
    Subdomain(String),
}

impl NameKind {
    /// The name, lowercased and without a trailing dot or leading `.`/`*.`.
    pub fn name(&self) -> &str {
        match self {
            NameKind::Host(name) | NameKind::Subdomain(name) => name,
        }
    }
}

/// Whether a client's forward-confirmed reverse DNS name is covered by a name entry.
///
/// Case-insensitive, a trailing dot ignored, and only at label boundaries:
/// `badexample.com` is not under `example.com`.
pub fn reverse_name_matches(entry: &NameEntry, confirmed_reverse_name: &str) -> bool {
    let name = confirmed_reverse_name.trim();
    let name = name.strip_suffix('.').unwrap_or(name);
    if name.is_empty() {
        return false;
    }
    match &entry.kind {
        NameKind::Host(domain) => {
            name.eq_ignore_ascii_case(domain) || is_strict_subdomain(name, domain)
        }
        NameKind::Subdomain(domain) => is_strict_subdomain(name, domain),
    }
}

/// `name` ends in `.domain`, compared as ASCII bytes so no slicing can split a character.
fn is_strict_subdomain(name: &str, domain: &str) -> bool {
    let (name, domain) = (name.as_bytes(), domain.as_bytes());
    let Some(dot) = name.len().checked_sub(domain.len() + 1) else {
        return false;
    };
    // `dot > 0`: ".example.com" has an empty first label and is not a host name.
    dot > 0
        && name.get(dot) == Some(&b'.')
        && name
            .get(dot + 1..)
            .is_some_and(|tail| tail.eq_ignore_ascii_case(domain))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host(name: &str) -> NameEntry {
        NameEntry {
            index: 0,
            text: name.to_owned(),
            kind: NameKind::Host(name.to_owned()),
        }
    }

    fn sub(name: &str) -> NameEntry {
        NameEntry {
            index: 0,
            text: format!(".{name}"),
            kind: NameKind::Subdomain(name.to_owned()),
        }
    }

    #[test]
    fn host_entry_matches_itself_and_below() {
        let e = host("example.com");
        assert!(reverse_name_matches(&e, "example.com"));
        assert!(reverse_name_matches(&e, "EXAMPLE.com."));
        assert!(reverse_name_matches(&e, "mail.example.com"));
        assert!(reverse_name_matches(&e, "a.b.Example.COM."));
    }

    #[test]
    fn host_entry_respects_label_boundaries() {
        let e = host("example.com");
        assert!(!reverse_name_matches(&e, "badexample.com"));
        assert!(!reverse_name_matches(&e, "example.com.evil.net"));
        assert!(!reverse_name_matches(&e, "com"));
        assert!(!reverse_name_matches(&e, ""));
        assert!(!reverse_name_matches(&e, "."));
        assert!(!reverse_name_matches(&e, ".example.com"));
    }

    #[test]
    fn subdomain_entry_matches_only_below() {
        let e = sub("example.com");
        assert!(!reverse_name_matches(&e, "example.com"));
        assert!(reverse_name_matches(&e, "mail.example.com"));
        assert!(reverse_name_matches(&e, "MAIL.EXAMPLE.COM."));
        assert!(!reverse_name_matches(&e, "mailexample.com"));
    }

    #[test]
    fn non_ascii_input_does_not_panic() {
        let e = host("example.com");
        assert!(!reverse_name_matches(&e, "é.example.co"));
        assert!(!reverse_name_matches(&e, "exampleé.com"));
    }
}
