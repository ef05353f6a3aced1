//! One delivery attempt of one queued message: every recipient that is due goes to its
//! next hop (grouped by hop), each outcome is recorded in the message's state record
//! and `fsync`ed before anything is acted on, then a finished message has its bounce
//! queued (if any recipient failed) and leaves the spool.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use shared::queue_state::{self, MessageState, RcptState};
use shared::spool::{Envelope, Spool};

use super::bounce;
use super::limits::Limits;
use crate::deliver::cache::Cache;
use crate::deliver::oauth::Tokens;
use crate::deliver::route::{self, Route};
use crate::deliver::{lmtp, maildir, smtp, Outcome};
use crate::state::Shared;

fn now() -> u64 {
    shared::spool::now_secs()
}

fn bare(addr: &str) -> String {
    addr.trim_start_matches('<')
        .trim_end_matches('>')
        .to_string()
}

/// Tries message `id` (`force`: deferred recipients too, for a flush); returns when it
/// is due again (`None`: it is gone or held).
pub async fn run(
    shared: Arc<Shared>,
    limits: Arc<Limits>,
    cache: Arc<Cache>,
    tokens: Arc<Tokens>,
    spool_dir: PathBuf,
    id: String,
    force: bool,
) -> Option<u64> {
    let dir = spool_dir.clone();
    let key = id.clone();
    let loaded = tokio::task::spawn_blocking(move || -> std::io::Result<_> {
        let (env, body) = Spool::new(&dir).read(&key)?;
        let state = queue_state::load(&dir, &key, &env.rcpt_to)?;
        Ok((env, body, state))
    })
    .await;
    let (env, body, mut state) = match loaded {
        Ok(Ok(x)) => x,
        Ok(Err(e)) if e.kind() == std::io::ErrorKind::NotFound => return None,
        Ok(Err(e)) => {
            tracing::error!(id = %id, error = %e, "cannot read a queued message: it stays queued");
            return Some(now() + 300);
        }
        Err(e) => {
            tracing::error!(id = %id, error = %e, "delivery task failed");
            return Some(now() + 300);
        }
    };
    if state.held {
        return None;
    }
    let active = shared.current();
    let daemon = &active.daemon;
    let t = now();
    let expired = t >= env.received.saturating_add(daemon.queue_lifetime);
    // Due recipients, grouped by next hop (all local ones together).
    let mut groups: BTreeMap<String, (Route, Vec<usize>)> = BTreeMap::new();
    for (i, r) in state.recipients.iter().enumerate() {
        if r.state.is_done() || (r.next_attempt > t && !force) {
            continue;
        }
        let route = route::route(&bare(&r.rcpt), &active.policy.local_domains);
        let key = match &route {
            Route::Local { .. } => "local".to_string(),
            Route::Remote { domain } => route::hop_name(daemon, domain),
            Route::Undeliverable(_) => format!("undeliverable {i}"),
        };
        groups.entry(key).or_insert((route, Vec::new())).1.push(i);
    }
    let sender = bare(&env.mail_from);
    for (hop_key, (route, idx)) in groups {
        let started = Instant::now();
        let rcpts: Vec<String> = idx
            .iter()
            .map(|&i| bare(&state.recipients[i].rcpt))
            .collect();
        // What an LMTP or SMTP transaction with the next hop needs.
        let envelope = smtp::Envelope {
            helo: &daemon.hostname,
            sender: &sender,
            rcpts: &rcpts,
            message: &body,
        };
        let timeout = daemon.command_timeout.min(Duration::from_secs(300));
        let (hop_label, outcomes) = match route {
            Route::Undeliverable(why) => {
                ("none".to_string(), vec![Outcome::Failed(why); idx.len()])
            }
            Route::Local { .. } => match &daemon.lmtp {
                Some(server) => (
                    format!("lmtp {server}"),
                    lmtp::deliver(server, &envelope, timeout).await,
                ),
                None => (
                    "maildir".to_string(),
                    local(&active, &body, &sender, &rcpts).await,
                ),
            },
            Route::Remote { domain } => {
                let _slot = limits
                    .acquire(&hop_key, daemon.max_deliveries_per_destination)
                    .await;
                let dns = shared.dns_for(daemon);
                match route::resolve(daemon, dns.as_deref(), &domain).await {
                    Err(o) => (hop_key.clone(), vec![o; idx.len()]),
                    Ok(hop) => {
                        let outcomes = super::hop::deliver(
                            &shared, &active, &hop, &envelope, &cache, &tokens, timeout,
                        )
                        .await;
                        (hop.name.clone(), outcomes)
                    }
                }
            }
        };
        for (&i, outcome) in idx.iter().zip(outcomes) {
            record(
                &shared,
                &mut state.recipients[i],
                &outcome,
                &hop_label,
                expired,
                &daemon.retry_schedule,
                t,
            );
            let r = &state.recipients[i];
            tracing::info!(id = %id, rcpt = %r.rcpt, next_hop = %hop_label, reply = %outcome.reply(), delay_s = t.saturating_sub(env.received), attempt_ms = started.elapsed().as_millis() as u64, outcome = outcome.word(), state = r.state.as_str(), "delivery");
        }
    }
    finish(&shared, &spool_dir, &id, &env, &body, state).await
}

/// Local recipients, one Maildir delivery each (blocking I/O, off the async threads).
async fn local(
    active: &crate::state::Active,
    body: &[u8],
    sender: &str,
    rcpts: &[String],
) -> Vec<Outcome> {
    let root = active.daemon.mail_root.clone();
    let host = active.daemon.hostname.clone();
    let domains = active.policy.local_domains.clone();
    let sender = format!("<{sender}>");
    let rcpts = rcpts.to_vec();
    let body = body.to_vec();
    tokio::task::spawn_blocking(move || {
        rcpts
            .iter()
            .map(|r| match route::route(r, &domains) {
                Route::Local { local_part } => {
                    maildir::deliver(&root, &host, &local_part, r, &sender, &body)
                }
                _ => Outcome::Failed("550 5.1.1 not a local address".into()),
            })
            .collect()
    })
    .await
    .unwrap_or_else(|e| {
        vec![Outcome::Deferred(format!(
            "451 4.3.0 delivery task failed: {e}"
        ))]
    })
}

fn record(
    shared: &Shared,
    r: &mut queue_state::Recipient,
    o: &Outcome,
    hop: &str,
    expired: bool,
    schedule: &[u64],
    t: u64,
) {
    r.attempts = r.attempts.saturating_add(1);
    r.next_hop = Some(hop.to_string());
    r.last_reply = Some(o.reply().to_string());
    match o {
        Outcome::Delivered(_) => {
            r.state = RcptState::Delivered;
            shared.count(&shared.stats.delivered);
        }
        Outcome::Failed(_) => {
            r.state = RcptState::Bounced;
            shared.count(&shared.stats.bounced);
        }
        Outcome::Deferred(reply) if expired => {
            r.state = RcptState::Bounced;
            r.last_reply = Some(format!("{reply} (queue_lifetime reached: given up)"));
            shared.count(&shared.stats.bounced);
        }
        Outcome::Deferred(_) => {
            r.state = RcptState::Deferred;
            r.next_attempt = t + queue_state::backoff(schedule, r.attempts);
            shared.count(&shared.stats.deferred);
        }
    }
}

/// Records the state; a finished message gets its bounce queued and leaves the spool.
async fn finish(
    shared: &Arc<Shared>,
    spool_dir: &Path,
    id: &str,
    env: &Envelope,
    body: &[u8],
    mut state: MessageState,
) -> Option<u64> {
    if !state.is_done() {
        delay_warning(shared, spool_dir, env, body, &mut state).await;
    } else if state
        .recipients
        .iter()
        .all(|r| r.state == RcptState::Delivered)
    {
        // Nothing to report: the removal is the only record needed. It is not fsynced
        // (Postfix does not either): a crash may bring the message back, to be sent
        // again, which is the crash window between the next hop's 250 and our record.
        let (dir, key) = (spool_dir.to_path_buf(), id.to_string());
        let removed =
            tokio::task::spawn_blocking(move || queue_state::forget_message(&dir, &key)).await;
        if !matches!(removed, Ok(Ok(()))) {
            tracing::error!(id, "cannot remove a delivered message: tried again later");
            return Some(now() + 60);
        }
        tracing::info!(id, "removed: every recipient is delivered");
        return None;
    }
    let dir = spool_dir.to_path_buf();
    let (key, snapshot) = (id.to_string(), state.clone());
    let stored =
        tokio::task::spawn_blocking(move || queue_state::store(&dir, &key, &snapshot)).await;
    if !matches!(stored, Ok(Ok(()))) {
        tracing::error!(id, "cannot record delivery state: tried again later (a delivered recipient may get a second copy)");
        return Some(now() + 60);
    }
    if !state.is_done() {
        return state.due();
    }
    let failed = bounce::entries(&state, RcptState::Bounced);
    if !failed.is_empty() && !state.bounce_queued {
        if env.mail_from == "<>" {
            tracing::warn!(
                id,
                failed = failed.len(),
                "no bounce for a message from the null sender (a bounce is never bounced)"
            );
        } else if let Err(e) =
            bounce::queue(shared, spool_dir, env, body, &failed, &bounce::Kind::Failed).await
        {
            tracing::error!(id, error = %e, "cannot queue the bounce: tried again later");
            return Some(now() + 60);
        }
    }
    state.bounce_queued = true;
    let (dir, key) = (spool_dir.to_path_buf(), id.to_string());
    let removed = tokio::task::spawn_blocking(move || {
        queue_state::store(&dir, &key, &state)?;
        queue_state::remove_message(&dir, &key)
    })
    .await;
    if !matches!(removed, Ok(Ok(()))) {
        tracing::error!(id, "cannot remove a finished message: tried again later");
        return Some(now() + 60);
    }
    tracing::info!(id, "removed: every recipient is done");
    None
}

/// With `delay_warning_time`, the sender of a message still queued that long is told,
/// once, which recipients are still being retried (at the first attempt past it).
async fn delay_warning(
    shared: &Arc<Shared>,
    spool_dir: &Path,
    env: &Envelope,
    body: &[u8],
    state: &mut MessageState,
) {
    let daemon = &shared.current().daemon;
    let after = daemon.delay_warning_time;
    if after == 0 || state.warned || now() < env.received.saturating_add(after) {
        return;
    }
    if env.mail_from == "<>" {
        state.warned = true;
        return;
    }
    let delayed = bounce::entries(state, RcptState::Deferred);
    if delayed.is_empty() {
        return;
    }
    let until = crate::date::rfc5322_date(env.received.saturating_add(daemon.queue_lifetime));
    let kind = bounce::Kind::Delayed { until };
    match bounce::queue(shared, spool_dir, env, body, &delayed, &kind).await {
        // Recorded with the state that follows; a crash before that repeats the warning.
        Ok(()) => state.warned = true,
        Err(e) => {
            tracing::error!(id = %env.id, error = %e, "cannot queue the delay warning: tried at the next attempt")
        }
    }
}
