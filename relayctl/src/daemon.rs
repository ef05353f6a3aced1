//! Talking to the running relayd: `status`, `--wait`, and reading its queue.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde_json::Value;
use shared::settings::DaemonSettings;
use shared::spool::Spool;

use crate::output::{self, Failure};
use crate::Context;

fn daemon_settings(ctx: &Context) -> anyhow::Result<DaemonSettings> {
    let domain = ctx.local().load()?;
    Ok(DaemonSettings::from_domain(&domain, &ctx.cli.store)?)
}

fn socket(ctx: &Context) -> anyhow::Result<PathBuf> {
    Ok(daemon_settings(ctx)?.control_socket)
}

/// Asks relayd for its status document.
pub fn ask_status(path: &std::path::Path) -> anyhow::Result<Value> {
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
        .set_read_timeout(Some(Duration::from_secs(5)))
        .map_err(not_running)?;
    stream.write_all(b"status\n").map_err(not_running)?;
    let mut text = String::new();
    stream.read_to_string(&mut text).map_err(not_running)?;
    Ok(serde_json::from_str(&text)?)
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
        "last reload: serial {} at {} (unix time), {} ms{}\n",
        r["serial"].as_u64().unwrap_or(0),
        r["time"].as_u64().unwrap_or(0),
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
        let v = ask_status(&path)?;
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
    let spool = Spool::new(daemon_settings(ctx)?.spool_dir);
    let queued = spool
        .list()
        .map_err(|e| Failure::new(199, format!("spool {}: {e}", spool.dir().display())))?;
    if ctx.json() {
        let rows: Vec<Value> = queued
            .iter()
            .map(|e| {
                serde_json::json!({
                    "id": e.id, "received": e.received, "client": e.client.to_string(),
                    "helo": e.helo, "user": e.user, "from": e.mail_from, "to": e.rcpt_to, "size": e.size,
                })
            })
            .collect();
        output::json(&rows)?;
        return Ok(0);
    }
    let mut out = String::new();
    for e in &queued {
        out.push_str(&format!(
            "{}  {:>8}  {}  {} -> {}\n",
            e.id,
            e.size,
            e.client,
            e.mail_from,
            e.rcpt_to.join(", ")
        ));
    }
    out.push_str(&format!(
        "{} message{} queued\n",
        queued.len(),
        if queued.len() == 1 { "" } else { "s" }
    ));
    output::print(&out)?;
    Ok(0)
}
