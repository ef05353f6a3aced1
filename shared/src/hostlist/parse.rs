//! The host entry grammar (ARCHITECTURE.md, "Host entries"): text in, [`Entry`] or a
//! [`Reason`] out.
//!
//! The parser is strict on purpose: an entry that is ambiguous (`010.0.0.1`: octal or
//! decimal?), wider than it looks (`192.168.1.5/24`) or that would trust everyone
//! (`0.0.0.0/0`) is refused with a reason, because a silently widened trusted list is an
//! open relay. It never consults DNS and never allocates beyond the entry it returns.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;

use super::entry::{Entry, EntryError, Reason};

/// Longest host name in presentation form (RFC 1035, without the trailing dot).
const MAX_NAME_LEN: usize = 253;
/// Longest label of a host name (RFC 1035).
const MAX_LABEL_LEN: usize = 63;

/// Parses one list entry, ignoring surrounding whitespace.
///
/// The error names the entry and what is wrong with it, e.g.
/// `300.1.1.1: octet 300 is out of range 0-255`.
pub fn parse_entry(text: &str) -> Result<Entry, EntryError> {
    let text = text.trim();
    parse_trimmed(text).map_err(|reason| EntryError::new(text, reason))
}

/// Dispatches on the shape of the text: the characters decide which form it can be.
fn parse_trimmed(text: &str) -> Result<Entry, Reason> {
    if text.is_empty() {
        return Err(Reason::Empty);
    }
    if text.chars().any(char::is_whitespace) {
        return Err(Reason::Whitespace);
    }
    if text.contains('%') && text.contains(':') {
        return Err(Reason::ZoneId);
    }
    if text.contains('/') {
        return parse_net(text);
    }
    if text.contains(':') || text.starts_with('[') {
        return parse_v6_forms(text);
    }
    if is_v4_pattern_text(text) {
        return parse_v4_forms(text);
    }
    parse_name_forms(text)
}

/// Text made only of digits, dots, dashes and stars is an IPv4 form, never a name
/// (a name needs a letter).
fn is_v4_pattern_text(text: &str) -> bool {
    !text.starts_with('.')
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'*'))
}

// ---- networks -------------------------------------------------------------------------

/// `ADDR/PREFIX` or `ADDR/NETMASK`, either family.
fn parse_net(text: &str) -> Result<Entry, Reason> {
    let (addr_text, mask_text) = text.split_once('/').ok_or(Reason::MissingPrefix)?;
    let addr = parse_ip(addr_text)?;
    let (prefix, netmask_form) = parse_mask(addr, mask_text)?;
    let net = IpNet::new(addr, prefix).map_err(|_| Reason::PrefixTooLong {
        prefix: prefix.to_string(),
        bits: family_bits(addr),
    })?;
    if net.trunc() != net {
        return Err(Reason::HostBitsSet(spell_net(net.trunc(), netmask_form)));
    }
    let net = canonical_net(net);
    if net.prefix_len() == 0 {
        return Err(Reason::OpenRelay(family_name(net.addr())));
    }
    Ok(Entry::Net(net))
}

/// The prefix length from `24` or `255.255.255.0`; the flag says which was written,
/// so a suggestion can be given in the administrator's own notation.
fn parse_mask(addr: IpAddr, mask_text: &str) -> Result<(u8, bool), Reason> {
    let bits = family_bits(addr);
    if mask_text.is_empty() {
        return Err(Reason::MissingPrefix);
    }
    if mask_text.bytes().all(|b| b.is_ascii_digit()) {
        let too_long = || Reason::PrefixTooLong {
            prefix: mask_text.to_owned(),
            bits,
        };
        let prefix: u32 = mask_text.parse().map_err(|_| too_long())?;
        return match u8::try_from(prefix) {
            Ok(p) if p <= bits => Ok((p, false)),
            _ => Err(too_long()),
        };
    }
    if !mask_text.contains('.') && !mask_text.contains(':') {
        return Err(Reason::BadPrefix(mask_text.to_owned()));
    }
    let mask = parse_ip(mask_text)?;
    netmask_prefix(addr, mask, mask_text).map(|p| (p, true))
}

/// The prefix length a netmask stands for, if its ones are contiguous.
fn netmask_prefix(addr: IpAddr, mask: IpAddr, mask_text: &str) -> Result<u8, Reason> {
    let (ones, zeros, bits) = match (addr, mask) {
        (IpAddr::V4(_), IpAddr::V4(m)) => {
            let m = u32::from(m);
            (m.leading_ones(), m.trailing_zeros(), 32)
        }
        (IpAddr::V6(_), IpAddr::V6(m)) => {
            let m = u128::from(m);
            (m.leading_ones(), m.trailing_zeros(), 128)
        }
        _ => return Err(Reason::NetmaskFamily(mask_text.to_owned())),
    };
    // Contiguous ones then zeros; all-ones (/32) and all-zeros (/0) both pass.
    if ones + zeros != bits {
        return Err(Reason::NetmaskNotContiguous);
    }
    u8::try_from(ones).map_err(|_| Reason::NetmaskNotContiguous)
}

/// Writes a network as CIDR or as address/netmask, matching what the user wrote.
fn spell_net(net: IpNet, netmask_form: bool) -> String {
    if netmask_form {
        format!("{}/{}", net.network(), net.netmask())
    } else {
        net.to_string()
    }
}

/// An IPv6 network wholly inside `::ffff:0:0/96` is the IPv4 network it maps.
pub(crate) fn canonical_net(net: IpNet) -> IpNet {
    if let IpNet::V6(v6) = net {
        if let (Some(v4), Some(len)) = (
            v6.network().to_ipv4_mapped(),
            v6.prefix_len().checked_sub(96),
        ) {
            if let Ok(mapped) = ipnet::Ipv4Net::new(v4, len) {
                return IpNet::V4(mapped);
            }
        }
    }
    net
}

// ---- IPv6 forms -----------------------------------------------------------------------

/// An IPv6 address (maybe bracketed) or a range with at least one IPv6 side.
fn parse_v6_forms(text: &str) -> Result<Entry, Reason> {
    match text.split_once('-') {
        Some((start, end)) => parse_range(start, end),
        None => Ok(Entry::Addr(parse_ip(text)?.to_canonical())),
    }
}

/// `START-END`, both sides full addresses (v4-mapped sides count as IPv4).
fn parse_range(start: &str, end: &str) -> Result<Entry, Reason> {
    let start = parse_ip(start)?.to_canonical();
    let end = parse_ip(end)?.to_canonical();
    make_range(start, end)
}

/// Checks a range's family, order and width.
fn make_range(start: IpAddr, end: IpAddr) -> Result<Entry, Reason> {
    let (lo, hi, max) = match (start, end) {
        (IpAddr::V4(s), IpAddr::V4(e)) => (
            u128::from(u32::from(s)),
            u128::from(u32::from(e)),
            u128::from(u32::MAX),
        ),
        (IpAddr::V6(s), IpAddr::V6(e)) => (u128::from(s), u128::from(e), u128::MAX),
        _ => return Err(Reason::MixedFamilies),
    };
    if lo > hi {
        return Err(Reason::RangeReversed);
    }
    if lo == 0 && hi == max {
        return Err(Reason::OpenRelay(family_name(start)));
    }
    Ok(Entry::Range { start, end })
}

// ---- IPv4 forms -----------------------------------------------------------------------

/// A full range `A.B.C.D-E.F.G.H`, or an octet pattern (which includes a plain address).
fn parse_v4_forms(text: &str) -> Result<Entry, Reason> {
    if text == "*" {
        return Err(Reason::OpenRelay("IPv4"));
    }
    let dots = text.bytes().filter(|&b| b == b'.').count();
    if dots > 3 && !text.contains('*') {
        if let Some((start, end)) = text.split_once('-') {
            return parse_range(start, end);
        }
    }
    parse_octet_pattern(text)
}

/// One octet of Apple's pattern notation: `N` is `lo == hi`, `*` is `0-255`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Octet {
    lo: u8,
    hi: u8,
}

impl Octet {
    const WHOLE: Octet = Octet { lo: 0, hi: 255 };

    fn single(n: u8) -> Self {
        Octet { lo: n, hi: n }
    }

    fn is_single(self) -> bool {
        self.lo == self.hi
    }
}

/// `192.168.40-43.*`: four octets, each `N`, `N-M` or `*`, that together describe one
/// contiguous interval (everything after the first non-single octet is `*`).
fn parse_octet_pattern(text: &str) -> Result<Entry, Reason> {
    let parts = split_octets(text).map_err(|found| {
        if text.contains('*') || text.contains('-') {
            Reason::OctetCount(found)
        } else {
            Reason::NotAddressNorName(found)
        }
    })?;
    let mut octets = [Octet::single(0); 4];
    for (slot, part) in octets.iter_mut().zip(parts) {
        *slot = parse_pattern_octet(part)?;
    }
    octets_to_entry(octets)
}

/// Turns four checked octets into an address or a contiguous range.
fn octets_to_entry(octets: [Octet; 4]) -> Result<Entry, Reason> {
    let first_wide = octets.iter().position(|o| !o.is_single());
    let Some(first_wide) = first_wide else {
        let addr = octets.map(|o| o.lo);
        return Ok(Entry::Addr(IpAddr::V4(Ipv4Addr::from(addr))));
    };
    if !octets
        .iter()
        .skip(first_wide + 1)
        .all(|o| *o == Octet::WHOLE)
    {
        return Err(Reason::NotContiguous);
    }
    let start = octets.map(|o| o.lo);
    let end = octets.map(|o| o.hi);
    make_range(
        IpAddr::V4(Ipv4Addr::from(start)),
        IpAddr::V4(Ipv4Addr::from(end)),
    )
}

/// `N`, `N-M` or `*`.
fn parse_pattern_octet(part: &str) -> Result<Octet, Reason> {
    if part == "*" {
        return Ok(Octet::WHOLE);
    }
    match part.split_once('-') {
        Some((lo, hi)) => {
            let (lo, hi) = (parse_octet(lo)?, parse_octet(hi)?);
            if lo > hi {
                return Err(Reason::OctetRangeReversed(lo, hi));
            }
            Ok(Octet { lo, hi })
        }
        None => parse_octet(part).map(Octet::single),
    }
}

/// One decimal octet, strictly: digits only, no leading zero, at most 255.
fn parse_octet(text: &str) -> Result<u8, Reason> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Reason::BadOctet(text.to_owned()));
    }
    if text.len() > 1 && text.starts_with('0') {
        return Err(Reason::OctetLeadingZero(text.to_owned()));
    }
    text.parse::<u8>()
        .map_err(|_| Reason::OctetOutOfRange(text.to_owned()))
}

/// The four dot-separated parts of an IPv4 form, or how many parts there were.
/// (No `Vec`: compiling a million entries should not mean a million allocations.)
fn split_octets(text: &str) -> Result<[&str; 4], usize> {
    let mut parts = [""; 4];
    let mut found = 0;
    for part in text.split('.') {
        if let Some(slot) = parts.get_mut(found) {
            *slot = part;
        }
        found += 1;
    }
    if found == 4 {
        Ok(parts)
    } else {
        Err(found)
    }
}

/// A dotted-quad IPv4 address with the strict octet rules.
fn parse_v4(text: &str) -> Result<Ipv4Addr, Reason> {
    let parts = split_octets(text).map_err(Reason::OctetCount)?;
    let mut octets = [0u8; 4];
    for (slot, part) in octets.iter_mut().zip(parts) {
        *slot = parse_octet(part)?;
    }
    Ok(Ipv4Addr::from(octets))
}

// ---- single addresses -----------------------------------------------------------------

/// An address of either family, as written (not yet canonicalised); IPv6 may be
/// bracketed.
fn parse_ip(text: &str) -> Result<IpAddr, Reason> {
    if let Some(inner) = text.strip_prefix('[') {
        let inner = inner.strip_suffix(']').ok_or(Reason::BadIpv6)?;
        if !inner.contains(':') {
            return Err(Reason::BracketedIpv4);
        }
        return parse_v6(inner).map(IpAddr::V6);
    }
    if text.contains(':') {
        parse_v6(text).map(IpAddr::V6)
    } else {
        parse_v4(text).map(IpAddr::V4)
    }
}

fn parse_v6(text: &str) -> Result<Ipv6Addr, Reason> {
    if text.contains('%') {
        return Err(Reason::ZoneId);
    }
    text.parse().map_err(|_| Reason::BadIpv6)
}

fn family_bits(addr: IpAddr) -> u8 {
    match addr {
        IpAddr::V4(_) => 32,
        IpAddr::V6(_) => 128,
    }
}

fn family_name(addr: IpAddr) -> &'static str {
    match addr {
        IpAddr::V4(_) => "IPv4",
        IpAddr::V6(_) => "IPv6",
    }
}

// ---- names ----------------------------------------------------------------------------

/// `name`, `.domain` or `*.domain`.
fn parse_name_forms(text: &str) -> Result<Entry, Reason> {
    if let Some(domain) = text.strip_prefix("*.").or_else(|| text.strip_prefix('.')) {
        return parse_name(domain).map(Entry::Subdomain);
    }
    parse_name(text).map(Entry::Name)
}

/// Validates an LDH host name and returns it lowercased without its trailing dot.
fn parse_name(text: &str) -> Result<String, Reason> {
    check_name_chars(text)?;
    let name = text.strip_suffix('.').unwrap_or(text);
    if name.is_empty() {
        return Err(Reason::EmptyLabel);
    }
    if name.len() > MAX_NAME_LEN {
        return Err(Reason::NameTooLong(name.len()));
    }
    name.split('.').try_for_each(check_label)?;
    if !name.bytes().any(|b| b.is_ascii_alphabetic()) {
        let parts = name.split('.').count();
        return Err(Reason::NotAddressNorName(parts));
    }
    Ok(name.to_ascii_lowercase())
}

/// Only letters, digits, hyphens and dots; underscores and stars get their own reason
/// because they are the usual mistakes (SRV-style names, wildcards in the middle).
fn check_name_chars(text: &str) -> Result<(), Reason> {
    for c in text.chars() {
        match c {
            'a'..='z' | 'A'..='Z' | '0'..='9' | '-' | '.' => {}
            '_' => return Err(Reason::Underscore),
            '*' => return Err(Reason::MisplacedWildcard),
            other => return Err(Reason::BadNameChar(other)),
        }
    }
    Ok(())
}

fn check_label(label: &str) -> Result<(), Reason> {
    if label.is_empty() {
        return Err(Reason::EmptyLabel);
    }
    if label.len() > MAX_LABEL_LEN {
        return Err(Reason::LabelTooLong(label.to_owned()));
    }
    if label.starts_with('-') || label.ends_with('-') {
        return Err(Reason::LabelHyphen(label.to_owned()));
    }
    Ok(())
}
