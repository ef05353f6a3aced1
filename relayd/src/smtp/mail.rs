//! MAIL FROM: starts a transaction. The sender is recorded, never trusted: nothing of
//! it reaches the relay decision.

use shared::policy::MAX_PATH_OCTETS;

use super::grammar::Params;
use super::session::{Session, Transaction};

impl Session {
    pub fn mail_from(&mut self, path: String, params: Params) {
        if self.helo.is_none() {
            return self.reply("503 5.5.1 Error: send HELO/EHLO first");
        }
        if self.mail.is_some() {
            return self.reply("503 5.5.1 Error: nested MAIL command");
        }
        // The listener's AUTH rule, from the same code that decides each RCPT.
        if let Some(refusal) = shared::decision::mail(self.role, self.user.as_deref()) {
            self.shared.stats.refuse("auth_required");
            return self.reply(refusal);
        }
        if path.chars().any(char::is_control) || path.len() > MAX_PATH_OCTETS {
            return self.reply("501 5.1.7 Bad sender address syntax");
        }
        let max_size = self.shared.current().daemon.max_message_size;
        let mut declared = 0;
        for (key, value) in &params {
            match (key.as_str(), value.as_deref()) {
                ("SIZE", Some(v)) => match v.parse::<u64>() {
                    Ok(n) if n > max_size => {
                        return self.reply("552 5.3.4 Message size exceeds fixed limit");
                    }
                    Ok(n) => declared = n,
                    Err(_) => return self.reply("501 5.5.4 Bad SIZE parameter"),
                },
                ("BODY", Some(v))
                    if v.eq_ignore_ascii_case("8BITMIME") || v.eq_ignore_ascii_case("7BIT") => {}
                ("AUTH", Some(_)) => {}
                _ => return self.reply(&format!("555 5.5.4 Unsupported parameter {key}")),
            }
        }
        if !self.spool_has_room(declared) {
            return;
        }
        self.mail = Some(Transaction {
            from: path,
            rcpts: Vec::new(),
            guarded: false,
            unknown_user: None,
        });
        self.reply("250 2.1.0 Ok");
    }
}
