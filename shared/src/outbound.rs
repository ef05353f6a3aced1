//! How mail for a remote recipient leaves relayd, described from the settings alone
//! (no DNS): the next hop, its TLS policy, the login, the sender rewrite and the
//! signature. `relayctl relay check` prints it, so an administrator sees what the
//! delivery of an accepted recipient will do before a message is sent.

use serde::Serialize;

use crate::settings::{DaemonSettings, TlsPolicy};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Outbound {
    pub next_hop: String,
    pub tls: String,
    pub auth: String,
    pub sender: String,
    pub signature: String,
}

fn tls(policy: TlsPolicy, ca: bool) -> String {
    match policy {
        TlsPolicy::Verify if ca => {
            "verify: STARTTLS required, certificate checked against relayhost_ca".into()
        }
        TlsPolicy::Verify => {
            "verify: STARTTLS required, certificate checked against the system's roots".into()
        }
        TlsPolicy::Encrypt => "encrypt: STARTTLS required, certificate not checked".into(),
        TlsPolicy::May => "may: STARTTLS when offered".into(),
        TlsPolicy::None => "none: plain text".into(),
    }
}

/// The path of mail from `sender` (`None`: any sender) to a recipient at `domain`.
pub fn describe(d: &DaemonSettings, domain: &str, sender: Option<&str>) -> Outbound {
    let Some(relayhost) = &d.relayhost else {
        let signature = match (&d.dkim, sender.and_then(|s| s.rsplit_once('@'))) {
            (None, _) => "none".into(),
            (Some((dom, sel, _)), Some((_, at))) if crate::dkim::covers(dom, at) => {
                format!("DKIM d={dom} s={sel} (for a From: at {dom})")
            }
            (Some((dom, _, _)), Some((_, at))) => {
                format!("none: only mail from {dom} or below is signed, not from {at}")
            }
            (Some((dom, sel, _)), None) => {
                format!("DKIM d={dom} s={sel} when From: is at {dom} or below")
            }
        };
        return Outbound {
            next_hop: format!("MX of {domain} (its A/AAAA when it has none)"),
            tls: tls(TlsPolicy::May, false),
            auth: "none".into(),
            sender: "unchanged (sender_rewrite applies to the relayhost only)".into(),
            signature,
        };
    };
    let auth = match (&d.relayhost_user, &d.relayhost_oauth, &d.relayhost_password) {
        (Some(user), Some(o), _) => format!(
            "{} as {user}, tokens from {} by the {} grant",
            if o.bearer { "oauthbearer" } else { "xoauth2" },
            o.token_url,
            if o.refresh_token.is_some() {
                "refresh-token"
            } else {
                "client-credentials"
            }
        ),
        (Some(user), None, Some(_)) => {
            format!("password as {user} (PLAIN or LOGIN, only over TLS)")
        }
        _ => "none".into(),
    };
    let rewrite = &d.sender_rewrite;
    let sender = match sender {
        Some(s) => match rewrite.rewrite(s) {
            Some(new) => format!("<{s}> becomes <{new}> (envelope and From:; the original in Reply-To and X-Original-From)"),
            None => format!("<{s}> unchanged"),
        },
        None => match (&rewrite.default, rewrite.table.len()) {
            (None, 0) => "unchanged".into(),
            (Some(all), 0) => format!("every sender becomes <{all}>"),
            (default, n) => format!(
                "{n} sender(s) rewritten by the table{}",
                default.as_ref().map_or(String::new(), |a| format!(", every other one becomes <{a}>"))
            ),
        },
    };
    Outbound {
        next_hop: match relayhost.mx_lookup {
            true => format!("relayhost {relayhost} (the MX of {})", relayhost.host),
            false => format!("relayhost {relayhost}"),
        },
        tls: tls(d.relayhost_tls, d.relayhost_ca.is_some()),
        auth,
        sender,
        signature: "none (mail through the relayhost is signed there, if at all)".into(),
    }
}
