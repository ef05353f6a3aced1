//! The relay policy: for one recipient, accept it or refuse it, and say why.
//!
//! This is the decision table of ARCHITECTURE.md ("One decision, two callers") as one
//! pure function, [`decide`], which `crate::decision::rcpt` wraps for `relayd` (at every
//! `RCPT`) and `relayctl relay check` alike: both type the settings from the store, ask the host list whether the client
//! is trusted, and call the same code. The answer carries the SMTP reply *and* a reason
//! naming the rule and the host-list entry that fired (or why none did), for the one log
//! line per decision and for the administrator asking "why was this refused?".
//!
//! What it must never do: consult `MAIL FROM`, `HELO`/`EHLO`, or any header. The sender
//! is forged at will, and a relay that trusts it is an open relay (the original's article
//! says it checks every connection "whatever the `MAIL FROM` says"). None of them is even
//! a parameter here: the only inputs are the settings, the client's address, its trust
//! (computed by the caller from the compiled host list), the user it authenticated as, and
//! the recipient. It also does no I/O and no DNS: a name entry that needs a lookup has
//! already been resolved (or timed out into "not trusted") by the caller.
//!
//! Where a client is both on the list and authenticated, the decision names the list entry
//! (rule [`Rule::Trusted`]) and mentions the user too.

mod recipient;

use std::fmt;
use std::net::IpAddr;

pub use recipient::{
    classify_recipient, RecipientClass, Trick, MAX_DOMAIN_OCTETS, MAX_LOCAL_PART_OCTETS,
    MAX_PATH_OCTETS,
};

/// The settings the policy reads, typed from `/config/AppleMailServer` and
/// `/config/relayd` by the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicySettings {
    /// `open_relay_addr_flag` (R): only trusted or authenticated clients may relay.
    pub restrict_relay: bool,
    /// `smtp_auth_flag` (A): every client not trusted must authenticate, even to send
    /// local mail.
    pub require_auth: bool,
    /// `local_domains`: mail for these is delivered here, so receiving it is not relaying.
    /// Compared case-insensitively, trailing dot ignored; `[192.0.2.1]` or
    /// `[IPv6:2001:db8::1]` names an address literal; `.example.com` names every
    /// subdomain of `example.com` (but not `example.com` itself).
    pub local_domains: Vec<String>,
}

/// Whether the client's address matched the trusted host list (`open_relay_addr_list`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trust<'a> {
    /// It did; `entry` is the list entry that matched, as written in the store, so the
    /// reason can name it.
    Trusted {
        /// The matching entry, as written (`10.0.0.0/8`, `mail.example.com`).
        entry: &'a str,
    },
    /// It did not (or a name lookup timed out: a timeout is never trust).
    NotTrusted,
}

/// Everything the policy knows about the SMTP client. Deliberately nothing more: no
/// `HELO` name, no `MAIL FROM`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Client<'a> {
    /// The peer address of the connection (as accepted, v4-mapped or not: only used in
    /// the reason text; matching is the caller's job).
    pub addr: IpAddr,
    /// The host list's verdict on `addr`. Only consulted when the restriction is on.
    pub trust: Trust<'a>,
    /// The user the client authenticated as with SMTP AUTH, if it did.
    pub user: Option<&'a str>,
}

/// Which row of the table (or which refusal) fired; stable names for counters and logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Rule {
    /// Recipient is ours and nothing more is required of the client.
    Local,
    /// R = 0 and A = 0: anyone may relay (an open relay, warned about on reload).
    OpenRelay,
    /// The client matched the trusted host list (R = 1).
    Trusted,
    /// The client authenticated.
    Authenticated,
    /// R = 1, A = 0: a client neither trusted nor authenticated tried to relay.
    RelayDenied,
    /// A = 1: a client neither trusted nor authenticated tried to send anything.
    AuthRequired,
    /// The recipient is not a valid address.
    BadAddress,
}

impl Rule {
    /// A stable snake-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::Local => "local",
            Rule::OpenRelay => "open_relay",
            Rule::Trusted => "trusted",
            Rule::Authenticated => "authenticated",
            Rule::RelayDenied => "relay_denied",
            Rule::AuthRequired => "auth_required",
            Rule::BadAddress => "bad_address",
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The policy's answer for one recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// Whether the recipient is accepted.
    pub accept: bool,
    /// SMTP reply code: 250, 501, 530 or 554.
    pub code: u16,
    /// RFC 3463 enhanced status code: `2.1.5`, `5.1.3`, `5.7.0` or `5.7.1`.
    pub enhanced: &'static str,
    /// For people: the rule and the list entry that fired, or why none did.
    pub reason: String,
    /// For counters and logs.
    pub rule: Rule,
    /// How the recipient was classified.
    pub recipient: RecipientClass,
    /// The recipient as given (angle brackets removed), for the reply text.
    pub address: String,
}

impl Decision {
    /// The SMTP reply line, without CRLF:
    /// `250 2.1.5 Ok`, `554 5.7.1 <u@remote.example>: Relay access denied`,
    /// `530 5.7.0 Authentication required`, `501 5.1.3 Bad recipient address syntax`.
    ///
    /// Never contains CR or LF: an address is only echoed once it has been found to be
    /// printable ASCII.
    pub fn reply(&self) -> String {
        let text = match self.rule {
            Rule::Local | Rule::OpenRelay | Rule::Trusted | Rule::Authenticated => "Ok".to_string(),
            Rule::RelayDenied => format!("<{}>: Relay access denied", self.address),
            Rule::AuthRequired => "Authentication required".to_string(),
            Rule::BadAddress => "Bad recipient address syntax".to_string(),
        };
        format!("{} {} {}", self.code, self.enhanced, text)
    }
}

/// Decide one recipient: ARCHITECTURE.md's table, exactly.
///
/// | R | A | client | local recipient | remote recipient |
/// | - | - | ------ | --------------- | ---------------- |
/// | 0 | 0 | anyone | accept | accept (open relay) |
/// | 0 | 1 | authenticated | accept | accept |
/// | 0 | 1 | not authenticated | 530 5.7.0 | 530 5.7.0 |
/// | 1 | * | trusted | accept | accept |
/// | 1 | * | authenticated | accept | accept |
/// | 1 | 0 | other | accept | 554 5.7.1 |
/// | 1 | 1 | other | 530 5.7.0 | 530 5.7.0 |
///
/// "Local" is [`RecipientClass::Local`] only; a [`RecipientClass::RelayTrick`] is remote;
/// an [`RecipientClass::Invalid`] address is `501 5.1.3` whatever the settings. With R = 0
/// the host list is not in force, so `Trust` is ignored.
pub fn decide(settings: &PolicySettings, client: &Client<'_>, recipient: &str) -> Decision {
    let class = classify_recipient(recipient, &settings.local_domains);
    let address = recipient::strip_brackets(recipient)
        .unwrap_or(recipient)
        .to_string();
    let (rule, reason) = rule_and_reason(settings, client, &class);
    let (accept, code, enhanced) = match rule {
        Rule::Local | Rule::OpenRelay | Rule::Trusted | Rule::Authenticated => (true, 250, "2.1.5"),
        Rule::RelayDenied => (false, 554, "5.7.1"),
        Rule::AuthRequired => (false, 530, "5.7.0"),
        Rule::BadAddress => (false, 501, "5.1.3"),
    };
    Decision {
        accept,
        code,
        enhanced,
        reason,
        rule,
        recipient: class,
        address,
    }
}

fn rule_and_reason(
    settings: &PolicySettings,
    client: &Client<'_>,
    class: &RecipientClass,
) -> (Rule, String) {
    let addr = client.addr;
    let target = match class {
        RecipientClass::Invalid { reason } => {
            return (Rule::BadAddress, format!("bad recipient address: {reason}"));
        }
        RecipientClass::Local {
            domain: Some(domain),
            ..
        } => format!("local delivery to {domain}"),
        RecipientClass::Local { domain: None, .. } => "local delivery to postmaster".to_string(),
        RecipientClass::Remote { domain } => format!("relay to {domain}"),
        RecipientClass::RelayTrick { kind, detail } => {
            format!("relay attempt ({kind}: {detail})")
        }
    };
    let local = class.is_local();
    let (r, a) = (settings.restrict_relay, settings.require_auth);

    if !a && local {
        let why = if r {
            "the domain is ours, so any client may send to it"
        } else {
            "the domain is ours"
        };
        return (Rule::Local, format!("{target} allowed: {why}"));
    }
    if !a && !r {
        return (
            Rule::OpenRelay,
            format!("{target} allowed: open relay (open_relay_addr_flag 0, smtp_auth_flag 0)"),
        );
    }
    // From here on the client must be trusted (only when R = 1) or authenticated.
    if let (true, Trust::Trusted { entry }) = (r, client.trust) {
        let also = match client.user {
            Some(user) => format!(" (also authenticated as {user})"),
            None => String::new(),
        };
        return (
            Rule::Trusted,
            format!(
                "{target} allowed: client {addr} matches open_relay_addr_list entry {entry}{also}"
            ),
        );
    }
    if let Some(user) = client.user {
        return (
            Rule::Authenticated,
            format!("{target} allowed: authenticated as {user}"),
        );
    }
    let listed = if r {
        " is not in open_relay_addr_list and"
    } else {
        ""
    };
    if a {
        (
            Rule::AuthRequired,
            format!(
                "{target} refused: smtp_auth_flag is 1 and client {addr}{listed} did not authenticate"
            ),
        )
    } else {
        (
            Rule::RelayDenied,
            format!("{target} denied: client {addr}{listed} did not authenticate"),
        )
    }
}

#[cfg(test)]
mod tests;
