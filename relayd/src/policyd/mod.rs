//! Postfix's policy delegation (SMTPD_POLICY_README) on `policy_listen`, so a Postfix
//! site can keep Postfix and take relayd's relay policy: `check_policy_service
//! inet:127.0.0.1:10040` in `smtpd_relay_restrictions`. Each request is `name=value`
//! lines ended by an empty line, answered with `action=...` and an empty line, many on
//! one connection. Recipients are decided by `shared::decision::rcpt` from the settings
//! and names in force, exactly as an SMTP session decides them, and logged the same way.
//!
//! The answers: `OK` for relaying that relayd allows (a trusted client or an
//! authenticated user), `REJECT 5.7.1 ...` (or `DEFER` for a temporary refusal) for
//! what it refuses, and `DUNNO` for local mail it accepts and for unknown local users
//! (Postfix knows its own users), and at every stage but RCPT.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use shared::decision::{self, Request};
use shared::settings::Role;
use tokio::io::{AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use crate::state::Shared;

mod request;
use request::request;

/// Serves one Postfix connection until it closes, idles past `command_timeout`, or
/// sends what is not a policy request.
pub async fn serve(shared: Arc<Shared>, stream: TcpStream, peer: SocketAddr) {
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    loop {
        let timeout = shared.current().daemon.command_timeout;
        let request = match tokio::time::timeout(timeout, request(&mut read)).await {
            Ok(Ok(Some(r))) => r,
            // Closed between requests, timed out, or a read error: nothing to answer.
            Ok(Ok(None)) | Ok(Err(_)) | Err(_) => return,
        };
        let (action, close) = match request {
            Ok(attributes) => (answer(&shared, &attributes).await, false),
            Err(why) => {
                tracing::warn!(peer = %peer, error = why, "bad policy request");
                (
                    format!("DEFER_IF_PERMIT 4.3.5 relayd: bad policy request: {why}"),
                    true,
                )
            }
        };
        if write
            .write_all(format!("action={action}\n\n").as_bytes())
            .await
            .is_err()
            || close
        {
            return;
        }
    }
}

/// The action for one request.
async fn answer(shared: &Arc<Shared>, a: &HashMap<String, String>) -> String {
    let get = |k: &str| a.get(k).map(String::as_str).filter(|v| !v.is_empty());
    if get("request") != Some("smtpd_access_policy") {
        return "DEFER_IF_PERMIT 4.3.5 relayd: not an smtpd_access_policy request".into();
    }
    // Only recipients are relayd's to decide; Postfix asks at other stages if told to.
    if get("protocol_state")
        .map(str::to_ascii_uppercase)
        .as_deref()
        != Some("RCPT")
    {
        return "DUNNO".into();
    }
    let (Some(client), Some(recipient)) = (
        get("client_address").and_then(|c| c.parse::<IpAddr>().ok()),
        get("recipient"),
    ) else {
        return "DEFER_IF_PERMIT 4.3.5 relayd: the request lacks client_address or recipient"
            .into();
    };
    let client = client.to_canonical();
    let user = get("sasl_username");
    let active = shared.current();
    let names = shared.names.load_full();
    let dns = match active.hosts.names().is_empty() {
        true => None,
        false => shared.dns_for(&active.daemon),
    };
    let trust = shared::trust::lookup(&active.hosts, &names.resolved, client, dns.as_deref()).await;
    let d = decision::rcpt(
        &Request {
            settings: &active.policy,
            role: Role::Smtp,
            client,
            trust: trust.as_ref(),
            user,
            users: &active.users,
        },
        recipient,
    );
    let action = match (d.accept, d.recipient.is_local()) {
        (true, false) => "OK".to_string(),
        (true, true) => "DUNNO".to_string(),
        (false, _) if d.rule == "unknown_user" => "DUNNO".to_string(),
        (false, _) => {
            // The reply without its code: "554 5.7.1 <u@x>: Relay access denied".
            let text = d.reply.splitn(3, ' ').nth(2).unwrap_or(&d.reason);
            let verb = if d.code >= 500 { "REJECT" } else { "DEFER" };
            format!("{verb} {} {text}", d.enhanced)
        }
    };
    if d.accept {
        let counter = match d.recipient.is_local() {
            true => &shared.stats.accepted_local,
            false => &shared.stats.relayed,
        };
        shared.count(counter);
    } else {
        shared.stats.refuse(d.rule);
    }
    tracing::info!(
        client = %client,
        role = "postfix-policy",
        user = user.unwrap_or("-"),
        rcpt = ?recipient,
        entry = trust.as_ref().map_or("-", |t| t.entry.as_str()),
        rule = d.rule,
        serial = active.serial,
        reply = %d.reply,
        action = %action,
        reason = %d.reason,
        "rcpt"
    );
    action
}
