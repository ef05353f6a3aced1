//! Remote recipients to their SMTP next hop: the sender rewrite for mail through the
//! relayhost, the login (a password, or an OAuth2 token from `deliver::oauth`), and the
//! one retry with a fresh token when the relayhost refuses the cached one.

use std::time::Duration;

use crate::deliver::cache::Cache;
use crate::deliver::oauth::Tokens;
use crate::deliver::route;
use crate::deliver::{smtp, Outcome};
use crate::state::Shared;

/// Remote recipients over SMTP to `hop`, logged in as the settings say. With an OAuth2
/// login, a token the relayhost refuses is forgotten and the delivery tried once more
/// with a fresh one; a token that cannot be had defers every recipient with the reason.
pub async fn deliver(
    shared: &Shared,
    active: &crate::state::Active,
    hop: &route::Hop,
    envelope: &smtp::Envelope<'_>,
    cache: &Cache,
    tokens: &Tokens,
    timeout: Duration,
) -> Vec<Outcome> {
    let daemon = &active.daemon;
    // Mail through the relayhost leaves as the mailbox it accepts (sender_rewrite);
    // mail to an MX host is signed (DKIM) when its From: is at the signing domain.
    let rewritten = match (daemon.sender_rewrite.rewrite(envelope.sender), &active.dkim) {
        (Some(new), _) if hop.relayhost => Some((
            new.to_string(),
            crate::deliver::rewrite::rewrite(envelope.message, envelope.sender, new),
        )),
        (_, Some(dkim)) if !hop.relayhost => match dkim.sign(envelope.message) {
            Ok(Some(signed)) => Some((envelope.sender.to_string(), signed)),
            Ok(None) => None,
            Err(e) => {
                // Unsigned mail may be junked; unsent mail is worse. Say so, send it.
                tracing::warn!(error = %e, "DKIM signing failed: sent unsigned");
                None
            }
        },
        _ => None,
    };
    let owned;
    let envelope = match &rewritten {
        Some((sender, message)) => {
            owned = smtp::Envelope {
                sender,
                message,
                ..*envelope
            };
            &owned
        }
        None => envelope,
    };
    let user = daemon.relayhost_user.as_deref();
    let oauth = daemon.relayhost_oauth.as_ref().filter(|_| hop.relayhost);
    let mut retried = false;
    loop {
        let token = match (oauth, user) {
            (Some(cfg), Some(_)) => match tokens.get(cfg).await {
                Ok(g) => {
                    if let Some(r) = g.rotated {
                        keep_refresh_token(shared, r).await;
                    }
                    Some(g.token)
                }
                Err(why) => {
                    return vec![
                        Outcome::Deferred(format!("451 4.7.0 {why}"));
                        envelope.rcpts.len()
                    ]
                }
            },
            _ => None,
        };
        let secret = match (oauth, &token, &daemon.relayhost_password) {
            (Some(cfg), Some(t), _) if cfg.bearer => Some(smtp::Secret::OAuthBearer(t)),
            (Some(_), Some(t), _) => Some(smtp::Secret::XOAuth2(t)),
            (None, _, Some(p)) => Some(smtp::Secret::Password(&p.0)),
            _ => None,
        };
        let credentials = match (user, secret) {
            (Some(user), Some(secret)) => Some(smtp::Login { user, secret }),
            _ => None,
        };
        let s = smtp::Settings {
            timeout,
            credentials,
            ca: daemon.relayhost_ca.as_deref(),
            cache,
            keep: daemon.max_deliveries_per_destination,
        };
        let done = smtp::deliver(hop, envelope, &s).await;
        shared.count(if done.reused {
            &shared.stats.sessions_reused
        } else {
            &shared.stats.sessions_opened
        });
        match &token {
            Some(t) if !retried && done.outcomes.iter().any(smtp::login_refused) => {
                tracing::info!(next_hop = %hop.name, "the relayhost refused the OAuth2 token: fetching a new one");
                tokens.forget(t).await;
                retried = true;
            }
            _ => return done.outcomes,
        }
    }
}

/// A refresh token the provider rotated goes back to the store, so a restart uses it.
/// relayd serving as `run_as` may not write the store: then it is kept in memory only,
/// and the log says so.
async fn keep_refresh_token(shared: &Shared, token: String) {
    let store = shared.store.clone();
    let written = tokio::task::spawn_blocking(move || {
        store.update(|d| {
            let id = d.create(shared::settings::RELAYD)?;
            d.create_prop(id, "oauth_refresh_token", vec![token])
        })
    })
    .await;
    match written {
        Ok(Ok(())) => tracing::info!("wrote the rotated OAuth2 refresh token to the store"),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "cannot write the rotated OAuth2 refresh token to the store: it is kept in memory until relayd stops")
        }
        Err(e) => {
            tracing::warn!(error = %e, "cannot write the rotated OAuth2 refresh token to the store")
        }
    }
}
