//! One parsed entry of `open_relay_addr_list`, and the reasons an entry is refused.
//!
//! The types here are the vocabulary shared by the parser (which makes them), the
//! compiler (which turns numeric entries into intervals) and `relayctl` (which prints the
//! canonical form and the reasons to an administrator).

use std::fmt;
use std::net::IpAddr;

use ipnet::IpNet;

/// One entry of the trusted host list, in canonical form.
///
/// IPv4-mapped IPv6 entries (`::ffff:10.0.0.1`) are already converted to IPv4 here, so the
/// matcher and the administrator see one spelling per address.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Entry {
    /// A single address: `192.168.1.10`, `2001:db8::25`, `[2001:db8::25]`.
    Addr(IpAddr),
    /// A network, with no host bits set: `192.168.1.0/24` or `192.168.1.0/255.255.255.0`.
    Net(IpNet),
    /// Every address from `start` to `end`, inclusive, both of one family:
    /// `192.168.1.10-192.168.1.40` or Apple's octet notation `192.168.40-43.*`.
    Range {
        /// The first address of the range.
        start: IpAddr,
        /// The last address of the range (inclusive).
        end: IpAddr,
    },
    /// A host or domain name: lowercased, without a trailing dot.
    Name(String),
    /// Only the subdomains of this name (written `.example.com` or `*.example.com`);
    /// stored without the leading dot or star.
    Subdomain(String),
}

impl Entry {
    /// Whether the entry is matched numerically (address, network or range), as opposed
    /// to by DNS name.
    pub fn is_numeric(&self) -> bool {
        matches!(self, Entry::Addr(_) | Entry::Net(_) | Entry::Range { .. })
    }
}

/// The canonical spelling: what `relayctl` prints back and what parses to the same entry.
impl fmt::Display for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Entry::Addr(ip) => write!(f, "{ip}"),
            Entry::Net(net) => write!(f, "{net}"),
            Entry::Range { start, end } => write!(f, "{start}-{end}"),
            Entry::Name(name) => f.write_str(name),
            Entry::Subdomain(name) => write!(f, ".{name}"),
        }
    }
}

/// Why an entry was refused, with the (trimmed) text it was refused for.
///
/// Displayed as `TEXT: REASON` so a log line or a `relayctl` error names the culprit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.render())]
pub struct EntryError {
    text: String,
    reason: Reason,
}

impl EntryError {
    pub(crate) fn new(text: &str, reason: Reason) -> Self {
        EntryError {
            text: text.to_owned(),
            reason,
        }
    }

    /// The entry as given, trimmed of surrounding whitespace.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// What is wrong with it.
    pub fn reason(&self) -> &Reason {
        &self.reason
    }

    fn render(&self) -> String {
        if self.text.is_empty() {
            self.reason.to_string()
        } else {
            format!("{}: {}", self.text, self.reason)
        }
    }
}

/// What is wrong with an entry, phrased for the administrator who wrote it.
///
/// The variants let callers and tests tell reasons apart; the Display text is what a
/// person reads, and says what to write instead where there is an obvious fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Reason {
    #[error("empty entry")]
    Empty,
    #[error("whitespace inside an entry (write one entry per value)")]
    Whitespace,
    #[error("zone ids are not allowed")]
    ZoneId,
    #[error("octet {0} is out of range 0-255")]
    OctetOutOfRange(String),
    #[error("octet {0} has a leading zero (octal or decimal?); write it without the zero")]
    OctetLeadingZero(String),
    #[error("octet `{0}` is not a number 0-255, a range N-M or *")]
    BadOctet(String),
    #[error("expected 4 dot-separated octets, found {0}")]
    OctetCount(usize),
    #[error("neither an IPv4 address (expected 4 octets, found {0}) nor a host name (a name needs a letter)")]
    NotAddressNorName(usize),
    #[error("octet range {0}-{1} runs backwards")]
    OctetRangeReversed(u8, u8),
    #[error("octet pattern is not contiguous: after the first range or *, every later octet must be * (or 0-255)")]
    NotContiguous,
    #[error("not a valid IPv6 address")]
    BadIpv6,
    #[error("brackets are only for IPv6 addresses")]
    BracketedIpv4,
    #[error("missing prefix length or netmask after /")]
    MissingPrefix,
    #[error("prefix length /{0} is not a number")]
    BadPrefix(String),
    #[error("/{prefix} is longer than {bits} bits")]
    PrefixTooLong { prefix: String, bits: u8 },
    #[error("netmask is not contiguous")]
    NetmaskNotContiguous,
    #[error("netmask {0} is not of the same address family as the address")]
    NetmaskFamily(String),
    #[error("host bits are set (did you mean {0}?)")]
    HostBitsSet(String),
    #[error("range start is after its end")]
    RangeReversed,
    #[error("mixed IPv4 and IPv6 in one range")]
    MixedFamilies,
    #[error("covers every {0} address, which would make an open relay; the explicit way to relay for everyone is open_relay_addr_flag 0")]
    OpenRelay(&'static str),
    #[error("name is {0} characters long, more than 253")]
    NameTooLong(usize),
    #[error("label `{0}` is longer than 63 characters")]
    LabelTooLong(String),
    #[error("empty label (two dots in a row, or nothing after the leading dot)")]
    EmptyLabel,
    #[error("underscores are not allowed in host names")]
    Underscore,
    #[error("label `{0}` starts or ends with a hyphen")]
    LabelHyphen(String),
    #[error("character `{0}` is not allowed in a host name")]
    BadNameChar(char),
    #[error("`*` is only allowed as `*.domain` or as an IPv4 octet")]
    MisplacedWildcard,
    #[error("too many address entries (at most 4294967295)")]
    TooMany,
}
