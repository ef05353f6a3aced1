//! Recipient classification: is the address inside `RCPT TO:<...>` plain local mail, plain
//! remote mail, a relay trick dressed up as local mail, or not an address at all?
//!
//! The policy table only asks "local or remote?", and that question is where open relays
//! are born: a server that looks at the last `@` of `user%remote@ours` sees a local
//! address, then a later stage honours the `%` and relays. So this module calls an address
//! local only when it is a plain `local@domain` (or the bare `postmaster` RFC 5321 demands)
//! whose domain is one of ours, and names every routing syntax it recognises as a
//! [`RecipientClass::RelayTrick`], which the table treats as remote.
//!
//! It must never look at anything but the recipient string and the list of our domains,
//! never resolve a name, and never panic or allocate without bound on hostile input.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// RFC 5321 §4.5.3.1.3: a forward-path, angle brackets included, is at most 256 octets.
pub const MAX_PATH_OCTETS: usize = 256;
/// RFC 5321 §4.5.3.1.1: a local part, as written (quotes included), is at most 64 octets.
pub const MAX_LOCAL_PART_OCTETS: usize = 64;
/// RFC 5321 §4.5.3.1.2: a domain is at most 255 octets.
pub const MAX_DOMAIN_OCTETS: usize = 255;
/// RFC 1035: a label is at most 63 octets.
const MAX_LABEL_OCTETS: usize = 63;

/// How a recipient address was classified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecipientClass {
    /// A plain `local_part@domain` whose domain is one of ours, or the bare `postmaster`.
    Local {
        /// As written, case kept (local parts are case-sensitive); a quoted local part keeps
        /// its quotes.
        local_part: String,
        /// Lowercase, without a trailing dot; an address literal in its canonical form
        /// (`[192.0.2.1]`, `[IPv6:2001:db8::1]`). `None` only for a bare `postmaster`.
        domain: Option<String>,
    },
    /// A plain `local_part@domain` whose domain is not ours: delivering it is relaying.
    Remote {
        /// Lowercase, without a trailing dot.
        domain: String,
    },
    /// Routing syntax that would make us relay while looking local (or that we refuse to
    /// interpret). The policy treats it as a remote recipient.
    RelayTrick {
        /// Which trick.
        kind: Trick,
        /// What exactly was seen, for the log and `relayctl relay check`.
        detail: String,
    },
    /// Not a valid RFC 5321 forward-path; refused whatever the settings.
    Invalid {
        /// Why, for the log (never sent to the client).
        reason: String,
    },
}

impl RecipientClass {
    /// True only for [`RecipientClass::Local`]: the one class the policy may accept from
    /// anyone when the restriction is on.
    pub fn is_local(&self) -> bool {
        matches!(self, RecipientClass::Local { .. })
    }
}

/// The relay tricks we recognise (the ones nmap's `smtp-open-relay` script and the classic
/// relay testers try).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Trick {
    /// `user%remote@ours`, or a bare `user%remote`.
    PercentHack,
    /// `@ours:user@remote`, `@a,@b:user@c` (an RFC 5321 A-d-l).
    SourceRoute,
    /// `remote!user@ours`, or a bare `remote!user` (UUCP).
    BangPath,
    /// A quoted local part hiding `@`, `%` or `!`: `"user@remote"@ours`, `"user%remote"`.
    QuotedAt,
    /// An address literal that is not one of ours: `user@[192.0.2.1]`.
    ForeignLiteral,
    /// More than one unquoted `@`: `user@remote@ours`.
    MultipleAt,
}

impl Trick {
    /// A stable name for logs and counters.
    pub fn as_str(self) -> &'static str {
        match self {
            Trick::PercentHack => "percent hack",
            Trick::SourceRoute => "source route",
            Trick::BangPath => "bang path",
            Trick::QuotedAt => "quoted local part",
            Trick::ForeignLiteral => "foreign address literal",
            Trick::MultipleAt => "multiple @",
        }
    }
}

impl fmt::Display for Trick {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Classify the address of a `RCPT TO:<...>` (with or without the angle brackets, without
/// ESMTP parameters) against our domains.
///
/// `local_domains` entries are compared case-insensitively, a trailing dot ignored; an
/// entry starting with `.` (`.example.com`) matches every subdomain but not the domain
/// itself; an entry in brackets (`[192.0.2.1]`, `[IPv6:2001:db8::1]`) matches that address
/// literal, compared as addresses.
pub fn classify_recipient(rcpt: &str, local_domains: &[String]) -> RecipientClass {
    match classify(rcpt, local_domains) {
        Ok(class) => class,
        Err(reason) => RecipientClass::Invalid { reason },
    }
}

/// The address without its angle brackets, if it had a balanced pair.
pub(crate) fn strip_brackets(rcpt: &str) -> Result<&str, String> {
    match (rcpt.strip_prefix('<'), rcpt.ends_with('>')) {
        (Some(rest), true) => Ok(rest.strip_suffix('>').unwrap_or(rest)),
        (None, false) => Ok(rcpt),
        _ => Err("unbalanced angle brackets".to_string()),
    }
}

fn classify(rcpt: &str, local_domains: &[String]) -> Result<RecipientClass, String> {
    let path = strip_brackets(rcpt)?;
    if path.is_empty() {
        return Err("empty address".to_string());
    }
    let octets = path.len() + 2;
    if octets > MAX_PATH_OCTETS {
        return Err(format!(
            "path is {octets} octets; RFC 5321 allows {MAX_PATH_OCTETS}"
        ));
    }
    // Without SMTPUTF8 an address is printable ASCII; after this check every byte is one
    // character, so slicing at any byte index is safe.
    if let Some(b) = path.bytes().find(|b| !(0x20..=0x7e).contains(b)) {
        return Err(if b >= 0x80 {
            "non-ASCII character (SMTPUTF8 is not offered)".to_string()
        } else {
            format!("control character 0x{b:02x}")
        });
    }
    if path.starts_with('@') {
        return source_route(path, local_domains);
    }
    mailbox(path, local_domains)
}

/// `@hop[,@hop...]:mailbox`. The route is never followed: a valid one is a relay attempt.
fn source_route(path: &str, local_domains: &[String]) -> Result<RecipientClass, String> {
    let mut rest = path;
    loop {
        rest = rest
            .strip_prefix('@')
            .ok_or_else(|| "source route hop must start with '@'".to_string())?;
        let end = if rest.starts_with('[') {
            rest.find(']').map(|i| i + 1).unwrap_or(rest.len())
        } else {
            rest.find([',', ':']).unwrap_or(rest.len())
        };
        domain_or_literal(&rest[..end])?;
        rest = &rest[end..];
        if let Some(next) = rest.strip_prefix(',') {
            rest = next;
        } else if let Some(mbox) = rest.strip_prefix(':') {
            let route = &path[..path.len() - mbox.len() - 1];
            if mbox.starts_with('@') {
                return Err("source route followed by another route".to_string());
            }
            // The mailbox must be valid on its own; what it says does not matter.
            mailbox(mbox, local_domains)?;
            return Ok(RecipientClass::RelayTrick {
                kind: Trick::SourceRoute,
                detail: format!("source route {route} in front of {mbox}"),
            });
        } else {
            return Err("source route must end with ':' and a mailbox".to_string());
        }
    }
}

/// The local part as written, and its content (quotes and backslashes removed).
struct LocalPart<'a> {
    written: &'a str,
    content: String,
    quoted: bool,
}

/// Splits `local[@rest]`; `rest` is `None` when there is no `@` after the local part.
fn local_part(s: &str) -> Result<(LocalPart<'_>, Option<&str>), String> {
    let bytes = s.as_bytes();
    let (local, quoted, content, after) = if bytes.first() == Some(&b'"') {
        let mut content = String::new();
        let mut i = 1;
        let close = loop {
            match bytes.get(i) {
                None => return Err("unterminated quoted local part".to_string()),
                Some(b'"') => break i,
                Some(b'\\') => match bytes.get(i + 1) {
                    Some(&c) => {
                        content.push(char::from(c));
                        i += 2;
                    }
                    None => return Err("unterminated quoted local part".to_string()),
                },
                Some(&c) => {
                    content.push(char::from(c));
                    i += 1;
                }
            }
        };
        (&s[..=close], true, content, &s[close + 1..])
    } else {
        let end = s.find('@').unwrap_or(s.len());
        let local = &s[..end];
        // Dots are not checked for position: `a..b` and `a.` are not RFC 5321 dot-strings
        // but real mailers send them, and locality is decided by the domain alone.
        if let Some(c) = local.chars().find(|&c| !is_atext(c) && c != '.') {
            return Err(format!(
                "character {c:?} not allowed in an unquoted local part"
            ));
        }
        (local, false, local.to_string(), &s[end..])
    };
    if content.is_empty() {
        return Err("no local part".to_string());
    }
    if local.len() > MAX_LOCAL_PART_OCTETS {
        return Err(format!(
            "local part is {} octets; RFC 5321 allows {MAX_LOCAL_PART_OCTETS}",
            local.len()
        ));
    }
    let rest = if after.is_empty() {
        None
    } else if let Some(rest) = after.strip_prefix('@') {
        Some(rest)
    } else {
        return Err("text after the quoted local part".to_string());
    };
    Ok((
        LocalPart {
            written: local,
            content,
            quoted,
        },
        rest,
    ))
}

/// RFC 5322 atext.
fn is_atext(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c)
}

/// `local@domain`, `local@[literal]`, bare `postmaster`, and the tricks hiding in those.
fn mailbox(s: &str, local_domains: &[String]) -> Result<RecipientClass, String> {
    let (local, rest) = local_part(s)?;

    // Validate every domain first, so that a trick is only ever a well-formed address.
    let mut domains = Vec::new();
    if let Some(rest) = rest {
        for part in rest.split('@') {
            domains.push(domain_or_literal(part)?);
        }
    }

    let trick = |kind, what: &str| {
        Ok(RecipientClass::RelayTrick {
            kind,
            detail: format!("{what} in {s}"),
        })
    };
    if local.quoted && local.content.contains(['@', '%', '!']) {
        return trick(
            Trick::QuotedAt,
            &format!("quoted local part {}", local.written),
        );
    }
    if !local.quoted && local.content.contains('!') {
        return trick(
            Trick::BangPath,
            &format!("'!' in local part {}", local.written),
        );
    }
    if !local.quoted && local.content.contains('%') {
        return trick(
            Trick::PercentHack,
            &format!("'%' in local part {}", local.written),
        );
    }
    if domains.len() > 1 {
        return trick(Trick::MultipleAt, "more than one '@'");
    }

    let Some(domain) = domains.pop() else {
        // RFC 5321 §4.5.1: "postmaster" without a domain must be accepted.
        if !local.quoted && local.written.eq_ignore_ascii_case("postmaster") {
            return Ok(RecipientClass::Local {
                local_part: local.written.to_string(),
                domain: None,
            });
        }
        return Err("no domain (only a bare postmaster may omit it)".to_string());
    };

    match domain {
        Domain::Literal(lit) => {
            if literal_is_local(&lit, local_domains) {
                Ok(RecipientClass::Local {
                    local_part: local.written.to_string(),
                    domain: Some(lit.to_string()),
                })
            } else {
                Ok(RecipientClass::RelayTrick {
                    kind: Trick::ForeignLiteral,
                    detail: format!("address literal {lit} is not in local_domains"),
                })
            }
        }
        Domain::Name(name) => {
            if name_is_local(&name, local_domains) {
                Ok(RecipientClass::Local {
                    local_part: local.written.to_string(),
                    domain: Some(name),
                })
            } else {
                Ok(RecipientClass::Remote { domain: name })
            }
        }
    }
}

enum Domain {
    /// Lowercase, without a trailing dot.
    Name(String),
    Literal(Literal),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Literal {
    /// IPv4-mapped IPv6 literals are stored as IPv4, so that they compare equal.
    Ip(IpAddr),
    /// `[tag:content]`, lowercased.
    General(String),
}

impl fmt::Display for Literal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Literal::Ip(IpAddr::V4(a)) => write!(f, "[{a}]"),
            Literal::Ip(IpAddr::V6(a)) => write!(f, "[IPv6:{a}]"),
            Literal::General(s) => write!(f, "[{s}]"),
        }
    }
}

fn domain_or_literal(s: &str) -> Result<Domain, String> {
    if s.starts_with('[') {
        literal(s).map(Domain::Literal)
    } else {
        domain_name(s).map(Domain::Name)
    }
}

/// RFC 5321 address-literal, brackets included.
fn literal(s: &str) -> Result<Literal, String> {
    let inner = s
        .strip_prefix('[')
        .and_then(|s| s.strip_suffix(']'))
        .ok_or_else(|| "unterminated address literal".to_string())?;
    if let Some(v6) = inner
        .get(..5)
        .filter(|tag| tag.eq_ignore_ascii_case("IPv6:"))
        .and_then(|_| inner.get(5..))
    {
        let addr: Ipv6Addr = v6
            .parse()
            .map_err(|_| format!("bad IPv6 address literal {s}"))?;
        return Ok(Literal::Ip(match addr.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(addr),
        }));
    }
    if let Some((tag, content)) = inner.split_once(':') {
        // General-address-literal: Standardized-tag ":" 1*dcontent.
        let tag_ok = !tag.is_empty()
            && !tag.ends_with('-')
            && tag.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
        let content_ok =
            !content.is_empty() && content.bytes().all(|b| matches!(b, 33..=90 | 94..=126));
        if tag_ok && content_ok {
            return Ok(Literal::General(inner.to_ascii_lowercase()));
        }
        return Err(format!("bad address literal {s}"));
    }
    let addr: Ipv4Addr = inner
        .parse()
        .map_err(|_| format!("bad IPv4 address literal {s}"))?;
    Ok(Literal::Ip(IpAddr::V4(addr)))
}

/// A domain name, lowercased, trailing dot removed. Lenient on `_` (seen in the wild),
/// strict on everything else.
fn domain_name(s: &str) -> Result<String, String> {
    let d = s.strip_suffix('.').unwrap_or(s);
    if d.is_empty() {
        return Err("empty domain".to_string());
    }
    if d.len() > MAX_DOMAIN_OCTETS {
        return Err(format!(
            "domain is {} octets; RFC 5321 allows {MAX_DOMAIN_OCTETS}",
            d.len()
        ));
    }
    for label in d.split('.') {
        if label.is_empty() {
            return Err(format!("empty label in domain {s}"));
        }
        if label.len() > MAX_LABEL_OCTETS {
            return Err(format!("label of {} octets in domain", label.len()));
        }
        if let Some(c) = label
            .chars()
            .find(|&c| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
        {
            return Err(format!("character {c:?} not allowed in a domain"));
        }
    }
    Ok(d.to_ascii_lowercase())
}

/// `name` is lowercase without a trailing dot.
fn name_is_local(name: &str, local_domains: &[String]) -> bool {
    local_domains.iter().any(|entry| {
        let entry = entry.strip_suffix('.').unwrap_or(entry);
        if entry.starts_with('[') || entry.is_empty() {
            false
        } else if entry.starts_with('.') {
            name.len() > entry.len()
                && name
                    .get(name.len() - entry.len()..)
                    .is_some_and(|tail| tail.eq_ignore_ascii_case(entry))
        } else {
            name.eq_ignore_ascii_case(entry)
        }
    })
}

fn literal_is_local(lit: &Literal, local_domains: &[String]) -> bool {
    local_domains
        .iter()
        .filter(|entry| entry.starts_with('['))
        .any(|entry| literal(entry).is_ok_and(|ours| ours == *lit))
}
