//! RCPT TO: one recipient, decided by `shared::decision::rcpt` (the function
//! `relayctl relay check` calls too) from the settings in force at this RCPT, the
//! listener's role, the client's trust and its AUTH user. This file only gathers what
//! the decision needs, counts and logs what it returns, and sends its reply.

use shared::decision::{self, Request};
use shared::trust::TrustMatch;

use super::grammar::Params;
use super::session::Session;

impl Session {
    /// Whom the list trusts this client as, under the settings and names in force now;
    /// looked up once per session and again only after a reload or newly resolved names.
    async fn trust_now(&mut self) -> Option<TrustMatch> {
        let active = self.shared.current();
        let names = self.shared.names.load_full();
        let key = (active.generation, names.generation);
        if let Some((seen, trust)) = &self.trust {
            if *seen == key {
                return trust.clone();
            }
        }
        let dns = if active.hosts.names().is_empty() {
            None
        } else {
            self.shared.dns_for(&active.daemon)
        };
        let found =
            shared::trust::lookup(&active.hosts, &names.resolved, self.client, dns.as_deref())
                .await;
        self.trust = Some((key, found.clone()));
        found
    }

    pub async fn rcpt_to(&mut self, path: String, params: Params) {
        let Some(count) = self.mail.as_ref().map(|m| m.rcpts.len()) else {
            return self.reply("503 5.5.1 Error: need MAIL command");
        };
        if let Some((key, _)) = params.first() {
            return self.reply(&format!("555 5.5.4 Unsupported parameter {key}"));
        }
        let trust = self.trust_now().await;
        // Taken after the trust lookup (which may wait on DNS): the newest settings.
        let active = self.shared.current();
        if count >= active.daemon.max_recipients {
            self.shared.stats.refuse("too_many_recipients");
            return self.reply("452 4.5.3 Error: too many recipients");
        }
        let address = path
            .strip_prefix('<')
            .and_then(|p| p.strip_suffix('>'))
            .unwrap_or(&path);
        let d = decision::rcpt(
            &Request {
                settings: &active.policy,
                role: self.role,
                client: self.client,
                trust: trust.as_ref(),
                user: self.user.as_deref(),
                users: &active.users,
            },
            address,
        );
        tracing::info!(
            client = %self.client,
            role = self.role.as_str(),
            user = self.user.as_deref().unwrap_or("-"),
            rcpt = ?address,
            entry = trust.as_ref().map_or("-", |t| t.entry.as_str()),
            rule = d.rule,
            serial = active.serial,
            reply = %d.reply,
            reason = %d.reason,
            "rcpt"
        );
        if d.accept {
            let stats = &self.shared.stats;
            let counter = if d.recipient.is_local() {
                &stats.accepted_local
            } else {
                &stats.relayed
            };
            self.shared.count(counter);
            if let Some(m) = self.mail.as_mut() {
                m.rcpts.push(path);
                m.guarded |= d.guarded;
                if m.unknown_user.is_none() {
                    m.unknown_user = d.unknown_user.clone();
                }
            }
        } else {
            self.shared.stats.refuse(d.rule);
        }
        self.reply(&d.reply);
    }
}
