//! Talking to the running relayd: `status`, `--wait`, and reading its queue.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde_json::Value;
use shared::queue_state::{self, MessageState};
use shared::settings::DaemonSettings;
use shared::spool::Spool;

use crate::output::{self, Failure};
use crate::Context;

fn daemon_settings(ctx: &Context) -> anyhow::Result<DaemonSettings> {
    let domain = ctx.local().load()?;
    Ok(DaemonSettings::from_domain(&domain, &ctx.cli.store)?)
}

/// The control socket. A store that does not load must not hide the running daemon
/// (it shows what it enforces and why the store failed): then the default place is
/// asked, with a warning.
fn socket(ctx: &Context) -> anyhow::Result<PathBuf> {
    match daemon_settings(ctx) {
        Ok(d) => Ok(d.control_socket),
        Err(e) => {
            eprintln!("relayctl: warning: the store does not load ({e:#}); asking relayd on the default control socket");
            Ok(ctx.cli.store.join("relayd.sock"))
        }
    }
}

/// Sends one request line and reads the JSON answer.
fn ask(path: &std::path::Path, request: &str) -> anyhow::Result<Value> {
    let not_running = |e: std::io::Error| {
        Failure::new(
            1,
            format!(
                "relayd is not answering on {} ({e}): is it running on this store?",
                path.display()
            ),
        )
    };
    let mut stream = UnixStream::connect(path).map_err(not_running)?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .map_err(not_running)?;
    stream
        .write_all(format!("{}\n", request.trim()).as_bytes())
        .map_err(not_running)?;
    let mut text = String::new();
    stream.read_to_string(&mut text).map_err(not_running)?;
    Ok(serde_json::from_str(&text)?)
}

/// `queue flush|hold|release|delete`: asks the running relayd.
pub fn queue_request(ctx: &Context, request: &str) -> anyhow::Result<i32> {
    let v = ask(&socket(ctx)?, request)?;
    if let Some(e) = v["error"].as_str() {
        return Err(Failure::new(1, e.to_string()).into());
    }
    if ctx.json() {
        output::json(&v)?;
    } else {
        output::print(&format!("{}\n", v["ok"].as_str().unwrap_or("done")))?;
    }
    Ok(0)
}

/// Seconds since the epoch as ISO 8601 and how long ago (or until), for people.
fn when(secs: u64) -> String {
    let now = shared::spool::now_secs();
    let iso = time::OffsetDateTime::from_unix_timestamp(secs as i64)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| secs.to_string());
    if secs <= now {
        format!("{iso} ({} ago)", human_secs(now - secs))
    } else {
        format!("{iso} (in {})", human_secs(secs - now))
    }
}

/// Asks relayd for its status document.
pub fn ask_status(path: &std::path::Path) -> anyhow::Result<Value> {
    ask(path, "status")
}

fn human_secs(secs: u64) -> String {
    let (d, h, m, s) = (secs / 86_400, secs / 3600 % 24, secs / 60 % 60, secs % 60);
    match (d, h, m) {
        (0, 0, 0) => format!("{s}s"),
        (0, 0, _) => format!("{m}m{s:02}s"),
        (0, _, _) => format!("{h}h{m:02}m"),
        _ => format!("{d}d{h:02}h"),
    }
}

pub fn status(ctx: &Context) -> anyhow::Result<i32> {
    let v = ask_status(&socket(ctx)?)?;
    if ctx.json() {
        output::json(&v)?;
        return Ok(0);
    }
    let n = |k: &str| v[k].as_u64().unwrap_or(0);
    let store_serial = ctx.local().load().map(|d| d.serial()).ok();
    let mut out = format!(
        "relayd pid {}, up {}\nserial in force: {}{}\ntrusted: {}, {}, {} ({} resolved from names)\n",
        n("pid"),
        human_secs(n("uptime_secs")),
        n("serial"),
        store_serial.map(|s| format!(" (store: {s})")).unwrap_or_default(),
        output::plural(n("addresses"), "address", "addresses"),
        output::plural(n("networks"), "network or range", "networks or ranges"),
        output::plural(n("names"), "name", "names"),
        output::plural(n("resolved_name_addresses"), "address", "addresses"),
    );
    let r = &v["last_reload"];
    out.push_str(&format!(
        "last reload: serial {} at {}, {} ms{}\n",
        r["serial"].as_u64().unwrap_or(0),
        when(r["time"].as_u64().unwrap_or(0)),
        r["duration_ms"].as_u64().unwrap_or(0),
        match (r["error"].as_str(), r["applied"].as_bool()) {
            (Some(e), Some(true)) => format!(", applied with errors: {e}"),
            (Some(e), _) => format!(", FAILED: {e} (the previous settings stay in force)"),
            (None, _) => String::new(),
        }
    ));
    if v["open_relay"].as_bool() == Some(true) {
        out.push_str("WARNING: OPEN RELAY (open_relay_addr_flag 0 and smtp_auth_flag 0)\n");
    }
    out.push_str(&format!(
        "sessions: {} open, {} since start\nrecipients: {} local accepted, {} relayed\nmessages queued: {}\n",
        n("sessions_open"),
        n("sessions_total"),
        n("accepted_local"),
        n("relayed"),
        n("messages_queued"),
    ));
    let by_state = v["queue_recipients"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, c)| format!("{c} {k}"))
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default();
    out.push_str(&format!(
        "queue: {} in the spool{}{}\ndelivery: {} delivered, {} deferred, {} bounced, {} bounces sent, {} delay warnings; {} SMTP sessions opened, {} reused\n",
        output::plural(n("queue_messages"), "message", "messages"),
        if by_state.is_empty() { String::new() } else { format!(" ({by_state})") },
        if v["delivery_hold"].as_bool() == Some(true) { "; delivery on hold (delivery hold)" } else { "" },
        n("delivered"),
        n("deferred"),
        n("bounced"),
        n("bounces_sent"),
        n("delay_warnings"),
        n("sessions_opened"),
        n("sessions_reused"),
    ));
    if let Some(free) = v["spool_free"].as_u64() {
        let floor = n("spool_min_free");
        out.push_str(&format!(
            "spool space: {} free, {} kept free{}\n",
            output::bytes(free),
            output::bytes(floor),
            if free < floor {
                "; NEW MAIL REFUSED (452 4.3.1) until space returns"
            } else {
                ""
            },
        ));
    }
    if let Some(refused) = v["refused"].as_object().filter(|m| !m.is_empty()) {
        let parts: Vec<String> = refused.iter().map(|(k, c)| format!("{k} {c}")).collect();
        out.push_str(&format!("refused: {}\n", parts.join(", ")));
    }
    if let Some(entries) = v["refused_entries"].as_array() {
        for e in entries {
            out.push_str(&format!(
                "refused entry {}: {}\n",
                e[0].as_str().unwrap_or(""),
                e[1].as_str().unwrap_or("")
            ));
        }
    }
    output::print(&out)?;
    Ok(0)
}

/// Returns once relayd enforces the store's current serial (after a write): its list,
/// and the name entries of that list resolved. relayd swaps the list in without waiting
/// on DNS and keeps the answers of names it already had, so only a write that changes
/// the name entries waits here for their lookups (bounded by `dns_timeout`).
pub fn wait(ctx: &Context) -> anyhow::Result<()> {
    let want = ctx.local().load()?.serial();
    let path = socket(ctx)?;
    let timeout = Duration::from_secs_f64(ctx.cli.wait_timeout);
    let started = Instant::now();
    loop {
        let v = ask(&path, "enforced")?;
        let names = v["names_serial"].as_u64().unwrap_or(u64::MAX);
        if v["serial"].as_u64().unwrap_or(0) >= want && names >= want {
            return Ok(());
        }
        let r = &v["last_reload"];
        if let (Some(e), Some(s), Some(false)) = (
            r["error"].as_str(),
            r["serial"].as_u64(),
            r["applied"].as_bool(),
        ) {
            if s >= want {
                return Err(Failure::new(
                    1,
                    format!(
                        "relayd did not apply serial {want}: {e} (it still enforces serial {})",
                        v["serial"]
                    ),
                )
                .into());
            }
        }
        if started.elapsed() >= timeout {
            return Err(Failure::new(
                1,
                format!(
                    "relayd still enforces serial {} after {:.1} s, not the written serial {want}",
                    v["serial"],
                    timeout.as_secs_f64()
                ),
            )
            .into());
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

pub fn queue_list(ctx: &Context) -> anyhow::Result<i32> {
    let spool_dir = daemon_settings(ctx)?.spool_dir;
    let spool = Spool::new(&spool_dir);
    let queued = spool
        .list()
        .map_err(|e| Failure::new(199, format!("spool {}: {e}", spool.dir().display())))?;
    let states: Vec<MessageState> = queued
        .iter()
        .map(|e| {
            queue_state::load(&spool_dir, &e.id, &e.rcpt_to)
                .unwrap_or_else(|_| MessageState::fresh(&e.rcpt_to))
        })
        .collect();
    if ctx.json() {
        let rows: Vec<Value> = queued
            .iter()
            .zip(&states)
            .map(|(e, st)| {
                serde_json::json!({
                    "id": e.id, "received": e.received, "client": e.client.to_string(),
                    "helo": e.helo, "user": e.user, "from": e.mail_from, "to": e.rcpt_to, "size": e.size,
                    "held": st.held, "recipients": st.recipients,
                })
            })
            .collect();
        output::json(&rows)?;
        return Ok(0);
    }
    let mut out = String::new();
    for (e, st) in queued.iter().zip(&states) {
        out.push_str(&format!(
            "{}  {:>8}  {}  {}  from {}{}\n",
            e.id,
            e.size,
            when(e.received),
            e.client,
            e.mail_from,
            if st.held { "  HELD" } else { "" }
        ));
        for r in &st.recipients {
            out.push_str(&format!("    {} {}", r.rcpt, r.state.as_str()));
            if r.attempts > 0 {
                out.push_str(&format!(
                    ", {} attempt{}",
                    r.attempts,
                    if r.attempts == 1 { "" } else { "s" }
                ));
            }
            if r.state == queue_state::RcptState::Deferred {
                out.push_str(&format!(", next {}", when(r.next_attempt)));
            }
            if let Some(reply) = &r.last_reply {
                out.push_str(&format!("\n      last: {reply}"));
            }
            out.push('\n');
        }
    }
    out.push_str(&format!(
        "{} message{} queued\n",
        queued.len(),
        if queued.len() == 1 { "" } else { "s" }
    ));
    output::print(&out)?;
    Ok(0)
}

pub fn queue_show(ctx: &Context, id: &str) -> anyhow::Result<i32> {
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(Failure::new(1, format!("{id:?} is not a queue id")).into());
    }
    let spool_dir = daemon_settings(ctx)?.spool_dir;
    let (env, body) = Spool::new(&spool_dir)
        .read(id)
        .map_err(|e| Failure::new(1, format!("no message {id} in the queue ({e})")))?;
    let st = queue_state::load(&spool_dir, id, &env.rcpt_to)
        .unwrap_or_else(|_| MessageState::fresh(&env.rcpt_to));
    let end = body
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map_or(body.len(), |i| i + 2);
    let headers = String::from_utf8_lossy(&body[..end]).replace("\r\n", "\n");
    if ctx.json() {
        output::json(&serde_json::json!({
            "id": env.id, "received": env.received, "client": env.client.to_string(), "helo": env.helo,
            "user": env.user, "from": env.mail_from, "size": env.size, "held": st.held,
            "recipients": st.recipients, "headers": headers,
        }))?;
        return Ok(0);
    }
    let mut out = format!(
        "id:       {}\nreceived: {}\nclient:   {} (HELO {})\nuser:     {}\nfrom:     {}\nsize:     {}\nheld:     {}\n",
        env.id, when(env.received), env.client, env.helo, env.user.as_deref().unwrap_or("-"), env.mail_from, env.size, st.held
    );
    for r in &st.recipients {
        out.push_str(&format!(
            "to:       {} {}, {} attempts{}\n",
            r.rcpt,
            r.state.as_str(),
            r.attempts,
            r.last_reply
                .as_deref()
                .map(|l| format!(", last: {l}"))
                .unwrap_or_default()
        ));
    }
    out.push('\n');
    out.push_str(&headers);
    output::print(&out)?;
    Ok(0)
}
