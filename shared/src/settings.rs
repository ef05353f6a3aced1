//! The typed view of the store: `/config/AppleMailServer` (the original's keys) and
//! `/config/relayd` (the daemon's own). Every key has a default and a meaning, listed once
//! in `KEYS`, which `relayctl show` prints and the man page test checks.
//!
//! A value that cannot be understood is an error, never a guess: the daemon then keeps
//! its last good settings, and relayctl says what to fix.

use crate::store::{Change, Domain};

pub const APPLE_MAIL_SERVER: &str = "/config/AppleMailServer";
pub const RELAYD: &str = "/config/relayd";
pub const RELAY_FLAG: &str = "open_relay_addr_flag";
pub const RELAY_LIST: &str = "open_relay_addr_list";
pub const AUTH_FLAG: &str = "smtp_auth_flag";
pub const LOCAL_DOMAINS: &str = "local_domains";

/// What relayd writes when the AppleMailServer keys are absent: the restriction on,
/// only loopback trusted, AUTH not required of everyone. Unlike the original (which
/// created the restriction off), this is never an open relay.
pub const DEFAULT_RELAY_FLAG: &str = "1";
pub const DEFAULT_RELAY_LIST: [&str; 2] = ["127.0.0.1", "::1"];
pub const DEFAULT_AUTH_FLAG: &str = "0";

/// One documented key.
#[derive(Debug, Clone, Copy)]
pub struct KeyDoc {
    pub dir: &'static str,
    pub key: &'static str,
    /// The default as text; empty means "none".
    pub default: &'static str,
    pub meaning: &'static str,
}

/// Every key the programs read, with its default and meaning.
pub const KEYS: &[KeyDoc] = &[
    KeyDoc { dir: APPLE_MAIL_SERVER, key: RELAY_FLAG, default: DEFAULT_RELAY_FLAG, meaning: "Restricted SMTP Relay: 1 lets only hosts on open_relay_addr_list (or authenticated users) relay; 0 turns the restriction off" },
    KeyDoc { dir: APPLE_MAIL_SERVER, key: RELAY_LIST, default: "127.0.0.1 ::1", meaning: "the trusted hosts: addresses, CIDR networks, address/netmask, ranges, host and domain names (see HOST ENTRIES)" },
    KeyDoc { dir: APPLE_MAIL_SERVER, key: AUTH_FLAG, default: DEFAULT_AUTH_FLAG, meaning: "1 requires SMTP AUTH of every client not on the list, for local mail too" },
    KeyDoc { dir: RELAYD, key: "listen", default: "0.0.0.0:25", meaning: "listeners, each an address and an optional role: smtp (default), submission (AUTH required) or smtps (implicit TLS)" },
    KeyDoc { dir: RELAYD, key: LOCAL_DOMAINS, default: "the host's name", meaning: "domains whose mail is delivered here; other domains are relayed" },
    KeyDoc { dir: RELAYD, key: "tls_cert", default: "", meaning: "PEM certificate for STARTTLS and smtps (none: relayd makes a self-signed one beside the store)" },
    KeyDoc { dir: RELAYD, key: "tls_key", default: "", meaning: "PEM private key for tls_cert" },
    KeyDoc { dir: RELAYD, key: "allow_plaintext_auth", default: "0", meaning: "1 offers AUTH before STARTTLS" },
    KeyDoc { dir: RELAYD, key: "spool_dir", default: "STORE/spool", meaning: "the queue of accepted messages" },
    KeyDoc { dir: RELAYD, key: "spool_min_free", default: "1.5 × max_message_size", meaning: "bytes that must stay free on the spool's file system; below it new mail gets 452 4.3.1 while delivery goes on (0: refuse only when the disk is full)" },
    KeyDoc { dir: RELAYD, key: "mail_root", default: "STORE/mail", meaning: "Maildir root for local users: mail_root/USER/Maildir" },
    KeyDoc { dir: RELAYD, key: "lmtp", default: "", meaning: "local delivery over LMTP (unix:PATH, or ADDRESS:PORT such as 127.0.0.1:24) instead of Maildir; the LMTP server adds Return-Path and Delivered-To" },
    KeyDoc { dir: RELAYD, key: "relayhost", default: "", meaning: "smarthost HOST:PORT for remote mail; [HOST]:PORT skips the MX lookup of HOST (none: deliver by MX)" },
    KeyDoc { dir: RELAYD, key: "relayhost_tls", default: "verify", meaning: "TLS to the relayhost: verify (STARTTLS required, certificate checked against relayhost_ca or the system's roots), encrypt (STARTTLS required, not checked), may (STARTTLS when offered; the policy for MX delivery), none" },
    KeyDoc { dir: RELAYD, key: "relayhost_ca", default: "", meaning: "PEM file of the certificate authorities trusted for the relayhost (none: the system's roots)" },
    KeyDoc { dir: RELAYD, key: "relayhost_user", default: "", meaning: "user name for the smarthost" },
    KeyDoc { dir: RELAYD, key: "relayhost_password", default: "", meaning: "password for the smarthost (never logged)" },
    KeyDoc { dir: RELAYD, key: "relayhost_auth", default: "password", meaning: "how relayd logs in to the relayhost as relayhost_user: password (relayhost_password, by PLAIN or LOGIN), xoauth2 or oauthbearer (an OAuth2 access token from oauth_token_url, for Microsoft 365 and Google Workspace)" },
    KeyDoc { dir: RELAYD, key: "sender_rewrite", default: "", meaning: "the sender of mail leaving through the relayhost: an address for every sender, and/or entries OLD -> NEW; the envelope sender and From: become it, the original goes to Reply-To (unless there is one) and X-Original-From (none: unchanged)" },
    KeyDoc { dir: RELAYD, key: "dkim_domain", default: "", meaning: "the d= domain of DKIM signatures on mail relayed to MX hosts directly, whose From: is at this domain or below (none: no signing)" },
    KeyDoc { dir: RELAYD, key: "dkim_selector", default: "", meaning: "the s= selector: the public key is published at SELECTOR._domainkey.DOMAIN (relayctl dkim keygen prints the record)" },
    KeyDoc { dir: RELAYD, key: "dkim_key", default: "", meaning: "PEM private key file: RSA (rsa-sha256) or Ed25519 (ed25519-sha256)" },
    KeyDoc { dir: RELAYD, key: "oauth_token_url", default: "", meaning: "the OAuth2 token endpoint (https://login.microsoftonline.com/TENANT/oauth2/v2.0/token, https://oauth2.googleapis.com/token)" },
    KeyDoc { dir: RELAYD, key: "oauth_client_id", default: "", meaning: "the application (client) id registered with the provider" },
    KeyDoc { dir: RELAYD, key: "oauth_client_secret", default: "", meaning: "the application's secret (never logged or shown); with no oauth_refresh_token, tokens come by the client-credentials grant" },
    KeyDoc { dir: RELAYD, key: "oauth_refresh_token", default: "", meaning: "a refresh token for relayhost_user's mailbox (never logged or shown): tokens come by the refresh-token grant, and a rotated one is written back here" },
    KeyDoc { dir: RELAYD, key: "oauth_scope", default: "", meaning: "scopes asked for (https://outlook.office365.com/.default, https://mail.google.com/)" },
    KeyDoc { dir: RELAYD, key: "dns_servers", default: "", meaning: "resolvers (ADDR:PORT) for MX, A/AAAA and PTR lookups by relayd and relayctl (none: the system's)" },
    KeyDoc { dir: RELAYD, key: "control_socket", default: "STORE/relayd.sock", meaning: "the socket relayctl status talks to" },
    KeyDoc { dir: RELAYD, key: "policy_listen", default: "", meaning: "ADDRESS:PORT for Postfix's policy delegation (check_policy_service inet:ADDRESS:PORT), answered by the same live policy as SMTP (none: off)" },
    KeyDoc { dir: RELAYD, key: "metrics_listen", default: "", meaning: "where Prometheus scrapes GET /metrics: PORT (on 127.0.0.1) or ADDRESS:PORT (none: off)" },
    KeyDoc { dir: RELAYD, key: "max_message_size", default: "10485760", meaning: "largest message accepted, in bytes" },
    KeyDoc { dir: RELAYD, key: "max_recipients", default: "1000", meaning: "recipients per message" },
    KeyDoc { dir: RELAYD, key: "max_connections", default: "100", meaning: "simultaneous SMTP sessions" },
    KeyDoc { dir: RELAYD, key: "max_connections_per_client", default: "20", meaning: "simultaneous sessions from one client address" },
    KeyDoc { dir: RELAYD, key: "queue_lifetime", default: "5d", meaning: "how long a message is retried before it bounces (s, m, h, d or w; plain numbers are seconds)" },
    KeyDoc { dir: RELAYD, key: "delay_warning_time", default: "0", meaning: "after this long in the queue, the sender is told once that the message is delayed and still being retried (a duration; 0: never)" },
    KeyDoc { dir: RELAYD, key: "retry_schedule", default: "300 600 1200 2400 4000", meaning: "seconds to wait after the 1st, 2nd, ... temporary failure; the last value repeats" },
    KeyDoc { dir: RELAYD, key: "max_deliveries", default: "20", meaning: "delivery attempts in flight at once" },
    KeyDoc { dir: RELAYD, key: "max_deliveries_per_destination", default: "10", meaning: "delivery attempts in flight at once to one next hop" },
    KeyDoc { dir: RELAYD, key: "delivery", default: "on", meaning: "on delivers the queue; hold keeps every message queued (as Postfix's postsuper -h ALL), while mail is still accepted" },
    KeyDoc { dir: RELAYD, key: "hostname", default: "the host's name", meaning: "the name relayd gives in its greeting, EHLO reply and Received: headers" },
    KeyDoc { dir: RELAYD, key: "command_timeout", default: "300", meaning: "seconds a client may take to send a command (RFC 5321 4.5.3.2: at least 5 minutes)" },
    KeyDoc { dir: RELAYD, key: "data_timeout", default: "600", meaning: "seconds a client may take to send a whole message body" },
    KeyDoc { dir: RELAYD, key: "run_as", default: "relay", meaning: "the user relayd serves as when started as root (after binding its listeners); it refuses to serve as root unless this says root. Read at start" },
    KeyDoc { dir: RELAYD, key: "shutdown_timeout", default: "30", meaning: "seconds relayd waits at SIGTERM for transactions and deliveries under way before it answers 421 to every session and exits (a second SIGTERM exits at once)" },
    KeyDoc { dir: RELAYD, key: "dns_timeout", default: "2", meaning: "seconds one DNS check of a client or a name entry may take; past it the answer is \"not trusted\"" },
];

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SettingsError {
    #[error("{dir} {key} value `{value}`: {why}")]
    BadValue {
        dir: &'static str,
        key: &'static str,
        value: String,
        why: String,
    },
    #[error("{dir} {key} is `{value}`: it must be 0 or 1")]
    BadFlag {
        dir: &'static str,
        key: &'static str,
        value: String,
    },
    #[error("{dir} {key} has {count} values: it must have exactly one (0 or 1)")]
    FlagValues {
        dir: &'static str,
        key: &'static str,
        count: usize,
    },
}

/// The relay settings the policy is decided from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelaySettings {
    /// `open_relay_addr_flag` (R).
    pub restrict_relay: bool,
    /// `smtp_auth_flag` (A).
    pub require_auth: bool,
    /// `open_relay_addr_list`, as written (entries are parsed by `hostlist`).
    pub relay_list: Vec<String>,
    /// Lowercased, without trailing dots.
    pub local_domains: Vec<String>,
    /// Keys that were absent and took their default (relayd writes these at start).
    pub defaulted: Vec<&'static str>,
}

impl RelaySettings {
    /// Flag 0 with AUTH off: anyone may relay anywhere.
    pub fn is_open_relay(&self) -> bool {
        !self.restrict_relay && !self.require_auth
    }

    /// The part the policy decides from.
    pub fn policy(&self) -> crate::policy::PolicySettings {
        crate::policy::PolicySettings {
            restrict_relay: self.restrict_relay,
            require_auth: self.require_auth,
            local_domains: self.local_domains.clone(),
        }
    }

    /// Reads the settings; absent keys take the defaults relayd would create.
    pub fn from_domain(domain: &Domain) -> Result<RelaySettings, SettingsError> {
        let apple = domain.lookup(APPLE_MAIL_SERVER).ok();
        let relayd = domain.lookup(RELAYD).ok();
        let mut defaulted = Vec::new();
        let mut flag = |key: &'static str, default: &str| -> Result<bool, SettingsError> {
            match apple.and_then(|d| d.values(key)) {
                None => {
                    defaulted.push(key);
                    Ok(default == "1")
                }
                Some([v]) => match v.trim() {
                    "1" => Ok(true),
                    "0" => Ok(false),
                    _ => Err(SettingsError::BadFlag {
                        dir: APPLE_MAIL_SERVER,
                        key,
                        value: v.clone(),
                    }),
                },
                Some(vs) => Err(SettingsError::FlagValues {
                    dir: APPLE_MAIL_SERVER,
                    key,
                    count: vs.len(),
                }),
            }
        };
        let restrict_relay = flag(RELAY_FLAG, DEFAULT_RELAY_FLAG)?;
        let require_auth = flag(AUTH_FLAG, DEFAULT_AUTH_FLAG)?;
        let relay_list = match apple.and_then(|d| d.values(RELAY_LIST)) {
            Some(v) => v.to_vec(),
            None => {
                defaulted.push(RELAY_LIST);
                DEFAULT_RELAY_LIST.iter().map(|s| s.to_string()).collect()
            }
        };
        let local_domains = match relayd.and_then(|d| d.values(LOCAL_DOMAINS)) {
            Some(v) => v
                .iter()
                .map(|d| normalize_domain(d))
                .filter(|d| !d.is_empty())
                .collect(),
            None => host_name().into_iter().collect(),
        };
        Ok(RelaySettings {
            restrict_relay,
            require_auth,
            relay_list,
            local_domains,
            defaulted,
        })
    }
}

/// Writes every absent AppleMailServer key with the default relayd would create, so
/// that a task command never leaves the policy resting on implicit defaults.
/// Whether `ensure_defaults` would change nothing.
pub fn has_defaults(domain: &Domain) -> bool {
    domain.lookup(APPLE_MAIL_SERVER).is_ok_and(|d| {
        [RELAY_FLAG, RELAY_LIST, AUTH_FLAG]
            .iter()
            .all(|k| d.property(k).is_some())
    })
}

pub fn ensure_defaults(domain: &mut Domain) -> crate::store::Result<crate::store::DirId> {
    let id = domain.create(APPLE_MAIL_SERVER)?;
    let missing = |d: &Domain, key| d.dir(id).is_some_and(|dir| dir.property(key).is_none());
    if missing(domain, RELAY_FLAG) {
        domain.create_prop(id, RELAY_FLAG, vec![DEFAULT_RELAY_FLAG.into()])?;
    }
    if missing(domain, RELAY_LIST) {
        let list = DEFAULT_RELAY_LIST.iter().map(|s| s.to_string()).collect();
        domain.create_prop(id, RELAY_LIST, list)?;
    }
    if missing(domain, AUTH_FLAG) {
        domain.create_prop(id, AUTH_FLAG, vec![DEFAULT_AUTH_FLAG.into()])?;
    }
    Ok(id)
}

/// What is wrong with a write that changed `before` into `after`, in the administrator's
/// terms: new list entries that do not parse, a list that together trusts every
/// address, a flag that is not 0 or 1, or a change that makes an open relay. Problems
/// the store already had are not held against an unrelated edit. relayctl refuses a
/// write with objections unless forced.
pub fn objections(before: &Domain, after: &Domain) -> Vec<String> {
    use crate::hostlist::parse_entry;
    let mut out = Vec::new();
    let (old, new) = (
        RelaySettings::from_domain(before),
        RelaySettings::from_domain(after),
    );
    let daemon = |d: &Domain| DaemonSettings::from_domain(d, std::path::Path::new("/")).err();
    if let Some(e) = daemon(after) {
        if daemon(before).as_ref() != Some(&e) {
            out.push(e.to_string());
        }
    }
    let new = match (new, &old) {
        (Ok(n), _) => n,
        (Err(e), Err(o)) if e == *o => return out,
        (Err(e), _) => {
            out.push(e.to_string());
            return out;
        }
    };
    let old_entries: &[String] = old.as_ref().map_or(&[], |o| &o.relay_list);
    // Only entries the write brings in are checked. The common write appends to the
    // list, and a comparison of the common prefix finds those without hashing it all.
    let fresh: &[String] = match new.relay_list.strip_prefix(old_entries) {
        Some(tail) => tail,
        None => &new.relay_list,
    };
    let old_list: std::collections::HashSet<&str> = if fresh.len() < new.relay_list.len() {
        std::collections::HashSet::new()
    } else {
        old_entries.iter().map(String::as_str).collect()
    };
    for entry in fresh {
        if !old_list.contains(entry.as_str()) {
            if let Err(e) = parse_entry(entry) {
                out.push(format!("{RELAY_LIST} entry {e}"));
            }
        }
    }
    if let Some(o) = newly_trusts_all(&new.relay_list, || {
        old.as_ref().map_or(Vec::new(), |o| {
            o.relay_list.iter().map(String::as_str).collect()
        })
    }) {
        out.push(o);
    }
    if new.is_open_relay() && old.as_ref().map_or(true, |o| !o.is_open_relay()) {
        out.push(format!(
            "{RELAY_FLAG} 0 with {AUTH_FLAG} 0 makes this server an open relay (anyone may send mail anywhere through it)"
        ));
    }
    out
}

/// The objection to a list that trusts a whole address family when the list before
/// (`old`, asked only then) did not.
fn newly_trusts_all<'a>(new: &[String], old: impl FnOnce() -> Vec<&'a str>) -> Option<String> {
    use crate::hostlist::HostList;
    let trusts_all = |texts: &[&str]| {
        if !HostList::might_trust_every_address(texts.iter().copied()) {
            return None;
        }
        HostList::compile(texts.iter().copied())
            .list
            .trusts_every_address()
    };
    let new: Vec<&str> = new.iter().map(String::as_str).collect();
    let family = trusts_all(&new)?;
    trusts_all(&old()).is_none().then(|| {
        format!(
            "{RELAY_LIST} would trust every {family} address: this server would be an open relay"
        )
    })
}

/// `objections` for a write whose changes (the domain's record of them) all add to or
/// all remove from the trusted host list, without the domain as it was: a removal
/// cannot trust more or bring in a bad entry, and appended entries are checked as
/// `objections` checks them. `None` for any other write, which needs `objections`.
pub fn list_objections(after: &Domain, changes: &[Change]) -> Option<Vec<String>> {
    let apple = after.lookup(APPLE_MAIL_SERVER).ok()?;
    if changes.iter().any(|c| c.target() != (apple.id, RELAY_LIST)) {
        return None;
    }
    let list = apple.values(RELAY_LIST)?;
    if changes.iter().all(|c| matches!(c, Change::Remove { .. })) {
        return Some(Vec::new());
    }
    if !changes.iter().all(|c| matches!(c, Change::Append { .. })) {
        return None;
    }
    // Appends only: they are the list's last entries, in order.
    let appended: usize = changes.iter().map(Change::len).sum();
    let (before, fresh) = list.split_at(list.len().checked_sub(appended)?);
    let mut out: Vec<String> = fresh
        .iter()
        .filter_map(|e| crate::hostlist::parse_entry(e).err())
        .map(|e| format!("{RELAY_LIST} entry {e}"))
        .collect();
    out.extend(newly_trusts_all(list, || {
        before.iter().map(String::as_str).collect()
    }));
    Some(out)
}

/// Lowercase, trimmed, without a trailing dot.
pub fn normalize_domain(d: &str) -> String {
    d.trim().trim_end_matches('.').to_ascii_lowercase()
}

/// This host's name, the default local domain.
pub fn host_name() -> Option<String> {
    let mut buf = [0u8; 256];
    // SAFETY: the buffer is valid for its length; gethostname NUL-terminates on success.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    if rc != 0 {
        return None;
    }
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    let name = normalize_domain(&String::from_utf8_lossy(&buf[..end]));
    (!name.is_empty()).then_some(name)
}

/// A documented key's entry, if any.
/// The values of `k` in `domain` as relayctl shows them: a secret only as "(set)";
/// `None` when the key is not in the store.
pub fn shown_values(domain: &Domain, k: &KeyDoc) -> Option<Vec<String>> {
    let values = domain.lookup(k.dir).ok()?.values(k.key)?;
    Some(match is_secret(k.key) && !values.is_empty() {
        true => vec!["(set)".to_string()],
        false => values.to_vec(),
    })
}

/// Whether a key holds a secret, which is never printed or logged (only "(set)").
pub fn is_secret(key: &str) -> bool {
    ["password", "secret", "token"]
        .iter()
        .any(|s| key.ends_with(s))
}

pub fn key_doc(dir: &str, key: &str) -> Option<&'static KeyDoc> {
    KEYS.iter().find(|k| k.dir == dir && k.key == key)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn domain(flag: &[&str], auth: Option<&str>) -> Domain {
        let mut d = Domain::new();
        let id = d.create(APPLE_MAIL_SERVER).unwrap();
        d.create_prop(id, RELAY_FLAG, flag.iter().map(|s| s.to_string()).collect())
            .unwrap();
        if let Some(a) = auth {
            d.create_prop(id, AUTH_FLAG, vec![a.into()]).unwrap();
        }
        d.create_prop(id, RELAY_LIST, vec!["10.0.0.0/8".into()])
            .unwrap();
        let r = d.create(RELAYD).unwrap();
        d.create_prop(r, LOCAL_DOMAINS, vec!["Example.COM.".into()])
            .unwrap();
        d
    }

    #[test]
    fn reads_flags_and_lists() {
        let s = RelaySettings::from_domain(&domain(&["1"], Some("0"))).unwrap();
        assert!(s.restrict_relay && !s.require_auth && !s.is_open_relay());
        assert_eq!(s.relay_list, ["10.0.0.0/8"]);
        assert_eq!(s.local_domains, ["example.com"]);
        assert!(s.defaulted.is_empty());
        let s = RelaySettings::from_domain(&domain(&["0"], None)).unwrap();
        assert!(s.is_open_relay());
        assert_eq!(s.defaulted, [AUTH_FLAG]);
    }

    #[test]
    fn absent_keys_default_safely() {
        let s = RelaySettings::from_domain(&Domain::new()).unwrap();
        assert!(s.restrict_relay && !s.require_auth);
        assert_eq!(s.relay_list, DEFAULT_RELAY_LIST);
        assert_eq!(s.defaulted.len(), 3);
    }

    #[test]
    fn bad_flags_are_errors() {
        assert!(matches!(
            RelaySettings::from_domain(&domain(&["yes"], None)),
            Err(SettingsError::BadFlag { .. })
        ));
        assert!(matches!(
            RelaySettings::from_domain(&domain(&["1", "0"], None)),
            Err(SettingsError::FlagValues { count: 2, .. })
        ));
        assert!(matches!(
            RelaySettings::from_domain(&domain(&[], None)),
            Err(SettingsError::FlagValues { count: 0, .. })
        ));
    }

    #[test]
    fn objections_name_what_a_write_breaks() {
        let before = domain(&["1"], Some("0"));
        let edit = |f: &dyn Fn(&mut Domain)| {
            let mut after = before.clone();
            f(&mut after);
            objections(&before, &after)
        };
        let id = before.resolve(APPLE_MAIL_SERVER).unwrap();
        assert!(edit(&|d| d
            .append_prop(id, RELAY_LIST, vec!["10.1.0.0/16".into()])
            .unwrap())
        .is_empty());
        let o = edit(&|d| {
            d.append_prop(id, RELAY_LIST, vec!["300.1.1.1".into()])
                .unwrap()
        });
        assert!(
            o[0].contains("300.1.1.1") && o[0].contains("out of range"),
            "{o:?}"
        );
        let o = edit(&|d| {
            d.create_prop(
                id,
                RELAY_LIST,
                vec!["0.0.0.0/1".into(), "128.0.0.0/1".into()],
            )
            .unwrap()
        });
        assert!(o[0].contains("every IPv4 address"), "{o:?}");
        let o = edit(&|d| d.create_prop(id, RELAY_FLAG, vec!["0".into()]).unwrap());
        assert!(o[0].contains("open relay"), "{o:?}");
        let o = edit(&|d| d.create_prop(id, RELAY_FLAG, vec!["yes".into()]).unwrap());
        assert!(o[0].contains("must be 0 or 1"), "{o:?}");
        // An old problem does not block an unrelated edit.
        let mut bad = before.clone();
        bad.create_prop(id, RELAY_FLAG, vec!["yes".into()]).unwrap();
        let mut after = bad.clone();
        after.create("/config/relayd/other").unwrap();
        assert!(objections(&bad, &after).is_empty());
    }

    #[test]
    fn every_key_is_documented_once() {
        for (i, k) in KEYS.iter().enumerate() {
            assert!(!k.meaning.is_empty());
            assert!(KEYS[i + 1..]
                .iter()
                .all(|o| (o.dir, o.key) != (k.dir, k.key)));
        }
    }
}

/// What a listener serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Port 25 style: the relay policy decides.
    Smtp,
    /// Port 587: every client must authenticate before MAIL.
    Submission,
    /// Port 465: TLS from the first byte, then as `Smtp`... with AUTH required like
    /// submission (RFC 8314).
    Smtps,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Smtp => "smtp",
            Role::Submission => "submission",
            Role::Smtps => "smtps",
        }
    }
}

/// One `listen` value: an address and a role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Listen {
    pub addr: std::net::SocketAddr,
    pub role: Role,
}

impl Listen {
    /// Parses `127.0.0.1:2525`, `[::]:25`, `0.0.0.0:587 submission`.
    pub fn parse(text: &str) -> Result<Listen, String> {
        let mut words = text.split_whitespace();
        let addr = words.next().ok_or("empty listen value")?;
        let addr = addr
            .parse()
            .map_err(|_| format!("`{addr}` is not ADDRESS:PORT (write IPv6 as [::1]:25)"))?;
        let role = match words.next() {
            None | Some("smtp") => Role::Smtp,
            Some("submission") => Role::Submission,
            Some("smtps") => Role::Smtps,
            Some(other) => {
                return Err(format!(
                    "unknown role `{other}` (smtp, submission or smtps)"
                ))
            }
        };
        if let Some(extra) = words.next() {
            return Err(format!("unexpected `{extra}` after the role"));
        }
        Ok(Listen { addr, role })
    }
}

/// relayd's own settings (`/config/relayd`), typed, with defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DaemonSettings {
    pub listen: Vec<Listen>,
    pub hostname: String,
    pub tls_cert: Option<std::path::PathBuf>,
    pub tls_key: Option<std::path::PathBuf>,
    pub allow_plaintext_auth: bool,
    pub spool_dir: std::path::PathBuf,
    /// Free bytes the spool's file system keeps; less, and new mail is refused.
    pub spool_min_free: u64,
    pub mail_root: std::path::PathBuf,
    /// Local delivery over LMTP instead of Maildir.
    pub lmtp: Option<Lmtp>,
    pub dns_servers: Vec<std::net::SocketAddr>,
    pub control_socket: std::path::PathBuf,
    /// Where Postfix's policy delegation is served, if anywhere.
    pub policy_listen: Option<std::net::SocketAddr>,
    /// Where Prometheus metrics are served, if anywhere.
    pub metrics_listen: Option<std::net::SocketAddr>,
    pub max_message_size: u64,
    pub max_recipients: usize,
    pub max_connections: usize,
    pub max_connections_per_client: usize,
    pub command_timeout: std::time::Duration,
    pub data_timeout: std::time::Duration,
    /// Bound on one DNS check of a client, and on one name entry's lookup.
    pub dns_timeout: std::time::Duration,
    pub relayhost: Option<Relayhost>,
    pub relayhost_tls: TlsPolicy,
    pub relayhost_ca: Option<std::path::PathBuf>,
    pub relayhost_user: Option<String>,
    pub relayhost_password: Option<Secret>,
    /// OAuth2 for the relayhost's login, when `relayhost_auth` asks for it.
    pub relayhost_oauth: Option<OAuth>,
    /// The sender mail leaving through the relayhost gets.
    pub sender_rewrite: SenderRewrite,
    /// DKIM signing of mail to MX hosts: (domain, selector, key file).
    pub dkim: Option<(String, String, std::path::PathBuf)>,
    /// Seconds.
    pub queue_lifetime: u64,
    /// Seconds in the queue after which the sender is told of the delay (0: never).
    pub delay_warning_time: u64,
    /// Seconds after the 1st, 2nd, ... temporary failure.
    pub retry_schedule: Vec<u64>,
    pub max_deliveries: usize,
    /// The user to serve as when started as root; `None` when the store does not say.
    pub run_as: Option<String>,
    /// How long a shutdown waits for transactions and deliveries under way.
    pub shutdown_timeout: std::time::Duration,
    pub max_deliveries_per_destination: usize,
    /// `delivery hold`: accept and queue, deliver nothing.
    pub delivery_hold: bool,
}

/// A setting's secret value: never printed by `Debug` (settings are logged).
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(pub String);

/// `sender_rewrite`: per-sender entries (lowercased old address to new), and the
/// address for every other sender.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SenderRewrite {
    pub table: Vec<(String, String)>,
    pub default: Option<String>,
}

impl SenderRewrite {
    /// The sender `from` (an address without angle brackets) becomes; `None`: as it is.
    /// The null sender stays null: a bounce must not be answered.
    pub fn rewrite(&self, from: &str) -> Option<&str> {
        if from.is_empty() {
            return None;
        }
        let from = from.to_ascii_lowercase();
        self.table
            .iter()
            .find(|(old, _)| *old == from)
            .map(|(_, new)| new.as_str())
            .or(self.default.as_deref())
    }

    fn parse(values: &[String]) -> Result<SenderRewrite, String> {
        // An address a header can carry as it is: one @, no spaces, brackets or quotes.
        let address = |a: &str| -> Result<String, String> {
            let ok = a.matches('@').count() == 1
                && !a.starts_with('@')
                && !a.ends_with('@')
                && a.chars()
                    .all(|c| c.is_ascii_graphic() && !"<>()[]\\,;:\"".contains(c));
            ok.then(|| a.to_string())
                .ok_or_else(|| format!("`{a}` is not a plain address (local@domain)"))
        };
        let mut out = SenderRewrite::default();
        for v in values {
            match v.split_once("->") {
                Some((old, new)) => out.table.push((
                    address(old.trim())?.to_ascii_lowercase(),
                    address(new.trim())?,
                )),
                None if out.default.is_some() => {
                    return Err("more than one address for every sender".into())
                }
                None => out.default = Some(address(v.trim())?),
            }
        }
        Ok(out)
    }
}

/// Where relayd gets access tokens for the relayhost, and how it presents them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuth {
    pub token_url: String,
    pub client_id: String,
    pub client_secret: Option<Secret>,
    pub refresh_token: Option<Secret>,
    pub scopes: Vec<String>,
    /// OAUTHBEARER (RFC 7628) rather than XOAUTH2.
    pub bearer: bool,
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("(set)")
    }
}

/// `lmtp`: the LMTP server local mail goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lmtp {
    Unix(std::path::PathBuf),
    Tcp(std::net::SocketAddr),
}

impl Lmtp {
    pub fn parse(text: &str) -> Result<Lmtp, String> {
        let t = text.trim();
        if let Some(path) = t.strip_prefix("unix:") {
            return match path.starts_with('/') {
                true => Ok(Lmtp::Unix(path.into())),
                false => Err("the socket path must be absolute (unix:/run/dovecot/lmtp)".into()),
            };
        }
        let addr = t.strip_prefix("inet:").unwrap_or(t);
        addr.parse::<std::net::SocketAddr>()
            .map(Lmtp::Tcp)
            .map_err(|_| {
                "write unix:PATH or ADDRESS:PORT (127.0.0.1:24, [::1]:24); names are not looked up"
                    .into()
            })
    }
}

impl std::fmt::Display for Lmtp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Lmtp::Unix(p) => write!(f, "unix:{}", p.display()),
            Lmtp::Tcp(a) => write!(f, "{a}"),
        }
    }
}

/// `relayhost`: where remote mail goes instead of its MX.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relayhost {
    pub host: String,
    pub port: u16,
    /// `host:port` looks up the MX of host (Postfix's rule); `[host]:port` does not.
    pub mx_lookup: bool,
}

impl Relayhost {
    pub fn parse(text: &str) -> Result<Relayhost, String> {
        let t = text.trim();
        let (hostpart, port) = match t.rsplit_once(':') {
            Some((h, p)) if !h.ends_with(':') && !p.contains(']') => (
                h,
                p.parse::<u16>()
                    .map_err(|_| format!("`{p}` is not a port number"))?,
            ),
            _ => (t, 25),
        };
        let (host, mx_lookup) = match hostpart.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
            Some(h) => (h, false),
            None => (hostpart, true),
        };
        if host.is_empty() || host.contains(char::is_whitespace) {
            return Err("write HOST:PORT or [HOST]:PORT".into());
        }
        Ok(Relayhost {
            host: host.to_ascii_lowercase(),
            port,
            mx_lookup: mx_lookup && host.parse::<std::net::IpAddr>().is_err(),
        })
    }
}

impl std::fmt::Display for Relayhost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.mx_lookup {
            true => write!(f, "{}:{}", self.host, self.port),
            false => write!(f, "[{}]:{}", self.host, self.port),
        }
    }
}

/// Outbound TLS, per next hop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsPolicy {
    /// STARTTLS required and the certificate checked; no TLS means no delivery.
    Verify,
    /// STARTTLS required, certificate not checked.
    Encrypt,
    /// STARTTLS when offered, certificate not checked; else in the clear.
    May,
    /// Never STARTTLS.
    None,
}

impl TlsPolicy {
    pub fn parse(text: &str) -> Option<TlsPolicy> {
        match text.trim() {
            "verify" => Some(TlsPolicy::Verify),
            "encrypt" => Some(TlsPolicy::Encrypt),
            "may" => Some(TlsPolicy::May),
            "none" => Some(TlsPolicy::None),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            TlsPolicy::Verify => "verify",
            TlsPolicy::Encrypt => "encrypt",
            TlsPolicy::May => "may",
            TlsPolicy::None => "none",
        }
    }
}

/// The largest timeout a setting may give, in seconds (a day).
pub const MAX_TIMEOUT_SECS: u64 = 86_400;
/// The largest count or size a setting may give (2^48: far above any real limit, far
/// below where arithmetic on it could overflow).
pub const MAX_COUNT: u64 = 1 << 48;

impl DaemonSettings {
    /// Reads `/config/relayd`; paths default to places inside `store_dir`.
    pub fn from_domain(
        domain: &Domain,
        store_dir: &std::path::Path,
    ) -> Result<DaemonSettings, SettingsError> {
        let dir = domain.lookup(RELAYD).ok();
        let values = |key: &str| dir.and_then(|d| d.values(key)).filter(|v| !v.is_empty());
        let one =
            |key: &'static str| -> Option<String> { values(key).and_then(|v| v.first().cloned()) };
        let bad = |key: &'static str, value: &str, why: String| SettingsError::BadValue {
            dir: RELAYD,
            key,
            value: value.to_string(),
            why,
        };
        // Every limit has a ceiling: a value near u64::MAX would overflow the clock
        // arithmetic of a timeout or the counters of a size, at every session.
        let number_upto = |key: &'static str,
                           default: u64,
                           max: u64|
         -> Result<u64, SettingsError> {
            match one(key) {
                None => Ok(default),
                Some(v) => v
                    .trim()
                    .parse::<u64>()
                    .ok()
                    .filter(|n| (1..=max).contains(n))
                    .ok_or_else(|| bad(key, &v, format!("must be a whole number from 1 to {max}"))),
            }
        };
        let number = |key: &'static str, default: u64| number_upto(key, default, MAX_COUNT);
        let seconds =
            |key: &'static str, default: u64| -> Result<std::time::Duration, SettingsError> {
                number_upto(key, default, MAX_TIMEOUT_SECS).map(std::time::Duration::from_secs)
            };
        let flag = |key: &'static str| -> Result<bool, SettingsError> {
            match one(key).as_deref().map(str::trim) {
                None | Some("0") => Ok(false),
                Some("1") => Ok(true),
                Some(v) => Err(bad(key, v, "must be 0 or 1".into())),
            }
        };
        let path = |key: &'static str, default: &str| -> std::path::PathBuf {
            one(key).map_or_else(|| store_dir.join(default), std::path::PathBuf::from)
        };
        let listen = match values("listen") {
            None => vec![Listen::parse("0.0.0.0:25").map_err(|e| bad("listen", "0.0.0.0:25", e))?],
            Some(vs) => vs
                .iter()
                .map(|v| Listen::parse(v).map_err(|e| bad("listen", v, e)))
                .collect::<Result<_, _>>()?,
        };
        let dns_servers = values("dns_servers")
            .unwrap_or_default()
            .iter()
            .map(|v| {
                let t = v.trim();
                t.parse::<std::net::SocketAddr>()
                    .or_else(|_| {
                        t.parse::<std::net::IpAddr>()
                            .map(|ip| std::net::SocketAddr::new(ip, 53))
                    })
                    .map_err(|_| bad("dns_servers", v, "not ADDRESS or ADDRESS:PORT".into()))
            })
            .collect::<Result<_, _>>()?;
        let (tls_cert, tls_key) = (
            one("tls_cert").map(Into::into),
            one("tls_key").map(Into::into),
        );
        if tls_cert.is_some() != tls_key.is_some() {
            return Err(bad(
                "tls_cert",
                "",
                "tls_cert and tls_key must be set together".into(),
            ));
        }
        let max_message_size = number("max_message_size", 10_485_760)?;
        let hostname = one("hostname")
            .map(|h| normalize_domain(&h))
            .or_else(host_name)
            .unwrap_or_else(|| "localhost".into());
        Ok(DaemonSettings {
            listen,
            hostname,
            tls_cert,
            tls_key,
            allow_plaintext_auth: flag("allow_plaintext_auth")?,
            spool_dir: path("spool_dir", "spool"),
            spool_min_free: match one("spool_min_free") {
                // Postfix's rule: room for one more message of the largest size, and half
                // again, so a message in flight cannot fill the disk.
                None => max_message_size.saturating_add(max_message_size / 2),
                Some(v) => v
                    .trim()
                    .parse::<u64>()
                    .ok()
                    .filter(|n| *n <= MAX_COUNT)
                    .ok_or_else(|| bad("spool_min_free", &v, format!("must be a whole number of bytes from 0 to {MAX_COUNT}")))?,
            },
            mail_root: path("mail_root", "mail"),
            lmtp: one("lmtp")
                .map(|v| Lmtp::parse(&v).map_err(|e| bad("lmtp", &v, e)))
                .transpose()?,
            metrics_listen: one("metrics_listen")
                .map(|v| {
                    let t = v.trim();
                    // A bare port is loopback: metrics are for the machine's own scraper
                    // unless an address says otherwise.
                    t.parse::<u16>()
                        .map(|p| std::net::SocketAddr::from(([127, 0, 0, 1], p)))
                        .or_else(|_| t.parse())
                        .map_err(|_| bad("metrics_listen", &v, "must be PORT or ADDRESS:PORT (9153, 127.0.0.1:9153)".into()))
                })
                .transpose()?,
            dns_servers,
            control_socket: path("control_socket", "relayd.sock"),
            policy_listen: one("policy_listen")
                .map(|v| {
                    v.trim()
                        .parse()
                        .map_err(|_| bad("policy_listen", &v, "must be ADDRESS:PORT (127.0.0.1:10040)".into()))
                })
                .transpose()?,
            max_message_size,
            max_recipients: number("max_recipients", 1000)? as usize,
            max_connections: number("max_connections", 100)? as usize,
            max_connections_per_client: number("max_connections_per_client", 20)? as usize,
            command_timeout: seconds("command_timeout", 300)?,
            data_timeout: seconds("data_timeout", 600)?,
            dns_timeout: seconds("dns_timeout", 2)?,
            relayhost: one("relayhost")
                .map(|v| Relayhost::parse(&v).map_err(|e| bad("relayhost", &v, e)))
                .transpose()?,
            relayhost_tls: match one("relayhost_tls") {
                None => TlsPolicy::Verify,
                Some(v) => TlsPolicy::parse(&v).ok_or_else(|| {
                    bad("relayhost_tls", &v, "must be verify, encrypt, may or none".into())
                })?,
            },
            relayhost_ca: one("relayhost_ca").map(Into::into),
            relayhost_user: one("relayhost_user"),
            relayhost_password: one("relayhost_password").map(Secret),
            dkim: match (one("dkim_domain"), one("dkim_selector"), one("dkim_key")) {
                (None, None, None) => None,
                (Some(d), Some(s), Some(k)) => {
                    let d = normalize_domain(&d);
                    if d.is_empty() || !d.contains('.') {
                        return Err(bad("dkim_domain", &d, "must be a domain name".into()));
                    }
                    if s.trim().is_empty() || !s.trim().chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.') {
                        return Err(bad("dkim_selector", &s, "must be letters, digits, - and .".into()));
                    }
                    let key = std::path::PathBuf::from(k.trim());
                    Some((d, s.trim().to_string(), if key.is_absolute() { key } else { store_dir.join(key) }))
                }
                _ => return Err(bad("dkim_domain", "", "dkim_domain, dkim_selector and dkim_key go together".into())),
            },
            sender_rewrite: match values("sender_rewrite") {
                None => SenderRewrite::default(),
                Some(v) => SenderRewrite::parse(v).map_err(|e| bad("sender_rewrite", &v.join(" "), e))?,
            },
            relayhost_oauth: {
                let bearer = match one("relayhost_auth").as_deref().map(str::trim) {
                    None | Some("password") => None,
                    Some("xoauth2") => Some(false),
                    Some("oauthbearer") => Some(true),
                    Some(v) => return Err(bad("relayhost_auth", v, "must be password, xoauth2 or oauthbearer".into())),
                };
                match bearer {
                    None => None,
                    Some(bearer) => {
                        let need = |key: &'static str| {
                            one(key).filter(|v| !v.trim().is_empty()).ok_or_else(|| {
                                bad("relayhost_auth", if bearer { "oauthbearer" } else { "xoauth2" }, format!("needs {key}"))
                            })
                        };
                        need("relayhost_user")?;
                        let token_url = need("oauth_token_url")?;
                        if !(token_url.starts_with("https://") || token_url.starts_with("http://")) {
                            return Err(bad("oauth_token_url", &token_url, "must be an http:// or https:// URL".into()));
                        }
                        let oauth = OAuth {
                            token_url,
                            client_id: need("oauth_client_id")?,
                            client_secret: one("oauth_client_secret").filter(|s| !s.is_empty()).map(Secret),
                            refresh_token: one("oauth_refresh_token").filter(|s| !s.is_empty()).map(Secret),
                            scopes: values("oauth_scope").map(|v| v.iter().flat_map(|s| s.split_whitespace()).map(str::to_string).collect()).unwrap_or_default(),
                            bearer,
                        };
                        if oauth.client_secret.is_none() && oauth.refresh_token.is_none() {
                            return Err(bad("relayhost_auth", if bearer { "oauthbearer" } else { "xoauth2" }, "needs oauth_client_secret or oauth_refresh_token".into()));
                        }
                        Some(oauth)
                    }
                }
            },
            queue_lifetime: match one("queue_lifetime") {
                None => 5 * 86_400,
                Some(v) => crate::queue_state::parse_duration(&v)
                    .filter(|n| (1..=365 * 86_400).contains(n))
                    .ok_or_else(|| bad("queue_lifetime", &v, "must be a duration from 1s to 365d (45s, 30m, 12h, 5d)".into()))?,
            },
            delay_warning_time: match one("delay_warning_time") {
                None => 0,
                Some(v) => crate::queue_state::parse_duration(&v)
                    .filter(|n| *n <= 365 * 86_400)
                    .ok_or_else(|| bad("delay_warning_time", &v, "must be a duration up to 365d (4h, 1d), or 0 for never".into()))?,
            },
            retry_schedule: match values("retry_schedule") {
                None => vec![300, 600, 1200, 2400, 4000],
                Some(vs) => vs
                    .iter()
                    .flat_map(|v| v.split_whitespace())
                    .map(|v| {
                        crate::queue_state::parse_duration(v)
                            .filter(|n| (1..=MAX_TIMEOUT_SECS).contains(n))
                            .ok_or_else(|| bad("retry_schedule", v, format!("each value must be a duration from 1s to {MAX_TIMEOUT_SECS}s")))
                    })
                    .collect::<Result<_, _>>()?,
            },
            max_deliveries: number_upto("max_deliveries", 20, 10_000)? as usize,
            shutdown_timeout: seconds("shutdown_timeout", 30)?,
            run_as: one("run_as").map(|v| v.trim().to_string()),
            max_deliveries_per_destination: number_upto("max_deliveries_per_destination", 10, 10_000)? as usize,
            delivery_hold: match one("delivery").as_deref().map(str::trim) {
                None | Some("on") => false,
                Some("hold") => true,
                Some(v) => return Err(bad("delivery", v, "must be on or hold".into())),
            },
        })
    }
}

#[cfg(test)]
mod daemon_tests {
    use super::*;

    #[test]
    fn defaults_and_values() {
        let store = std::path::Path::new("/s");
        let d = DaemonSettings::from_domain(&Domain::new(), store).unwrap();
        assert_eq!(d.listen, [Listen::parse("0.0.0.0:25").unwrap()]);
        assert_eq!(d.spool_dir, store.join("spool"));
        assert_eq!(d.max_message_size, 10_485_760);
        assert_eq!(d.spool_min_free, 15_728_640, "1.5 × max_message_size");
        let mut dom = Domain::new();
        let id = dom.create(RELAYD).unwrap();
        dom.create_prop(
            id,
            "listen",
            vec!["127.0.0.1:2525".into(), "[::1]:587 submission".into()],
        )
        .unwrap();
        dom.create_prop(
            id,
            "dns_servers",
            vec!["127.0.0.1:5353".into(), "::1".into()],
        )
        .unwrap();
        dom.create_prop(id, "max_recipients", vec!["5".into()])
            .unwrap();
        dom.create_prop(id, "spool_min_free", vec!["0".into()])
            .unwrap();
        let d = DaemonSettings::from_domain(&dom, store).unwrap();
        assert_eq!(d.spool_min_free, 0, "0 is a value here, not 'unset'");
        assert_eq!(d.listen[1].role, Role::Submission);
        assert_eq!(d.dns_servers[1].port(), 53);
        assert_eq!(d.max_recipients, 5);
        dom.create_prop(id, "listen", vec!["127.0.0.1:2525 smtpx".into()])
            .unwrap();
        let e = DaemonSettings::from_domain(&dom, store)
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown role `smtpx`"), "{e}");
        dom.create_prop(id, "listen", vec!["127.0.0.1:2525".into()])
            .unwrap();
        dom.create_prop(id, "max_recipients", vec!["-1".into()])
            .unwrap();
        assert!(DaemonSettings::from_domain(&dom, store).is_err());
    }

    #[test]
    fn lmtp_targets() {
        assert_eq!(
            Lmtp::parse("unix:/run/dovecot/lmtp"),
            Ok(Lmtp::Unix("/run/dovecot/lmtp".into()))
        );
        assert_eq!(Lmtp::parse("[::1]:24").unwrap().to_string(), "[::1]:24");
        assert_eq!(
            Lmtp::parse("inet:127.0.0.1:24").unwrap().to_string(),
            "127.0.0.1:24"
        );
        assert!(Lmtp::parse("unix:relative").is_err());
        assert!(Lmtp::parse("mail.example.com:24")
            .unwrap_err()
            .contains("names are not looked up"));
    }

    #[test]
    fn limits_near_u64_max_are_refused_with_the_reason() {
        let store = std::path::Path::new("/s");
        for key in ["command_timeout", "data_timeout", "dns_timeout"] {
            let mut dom = Domain::new();
            let id = dom.create(RELAYD).unwrap();
            dom.create_prop(id, key, vec![u64::MAX.to_string()])
                .unwrap();
            let e = DaemonSettings::from_domain(&dom, store)
                .unwrap_err()
                .to_string();
            assert!(e.contains(key) && e.contains("from 1 to 86400"), "{e}");
            dom.create_prop(id, key, vec!["86400".into()]).unwrap();
            assert!(DaemonSettings::from_domain(&dom, store).is_ok());
        }
        for key in ["max_message_size", "max_recipients", "max_connections"] {
            let mut dom = Domain::new();
            let id = dom.create(RELAYD).unwrap();
            dom.create_prop(id, key, vec![(u64::MAX - 1).to_string()])
                .unwrap();
            let e = DaemonSettings::from_domain(&dom, store)
                .unwrap_err()
                .to_string();
            assert!(e.contains(key), "{e}");
        }
        // The write check refuses them too, so relayctl never writes one.
        let before = Domain::new();
        let mut after = Domain::new();
        let id = after.create(RELAYD).unwrap();
        after
            .create_prop(id, "data_timeout", vec![u64::MAX.to_string()])
            .unwrap();
        let o = objections(&before, &after);
        assert!(o.iter().any(|m| m.contains("data_timeout")), "{o:?}");
    }
}
