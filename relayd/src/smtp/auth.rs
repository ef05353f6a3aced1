//! AUTH (RFC 4954): the exchange with the client, the password check (bounded to one
//! per core), and the throttles: a growing pause per failure, the session closed after
//! a few, and a client (an IPv6 client by its /64) refused for a while after many
//! failures across sessions. Passwords are never logged.

use shared::users::Users;

use super::grammar::MAX_COMMAND_LINE;
use super::sasl::{self, Decoded};
use super::session::Session;
use super::wire::{End, Line};

/// AUTH failures before the session is closed; each failure waits longer.
const MAX_AUTH_FAILURES: u32 = 3;
const AUTH_DELAY_STEP: std::time::Duration = std::time::Duration::from_millis(400);

impl Session {
    async fn read_response(&mut self, prompt: &str) -> Result<String, End> {
        self.reply(&format!("334 {prompt}"));
        match self.read_line(MAX_COMMAND_LINE).await? {
            Line::Text(t) => Ok(t),
            Line::TooLong => Ok(String::new()),
        }
    }

    /// The credentials the client sends for `mechanism`, or the reply refusing them.
    async fn credentials(
        &mut self,
        mechanism: &str,
        initial: Option<String>,
    ) -> Result<Result<(String, String), &'static str>, End> {
        let decoded = match mechanism {
            "PLAIN" => {
                let response = match initial {
                    Some(r) => r,
                    None => self.read_response("").await?,
                };
                sasl::decode_plain(&response)
            }
            "LOGIN" => {
                let user = match initial {
                    Some(r) => sasl::decode_login_field(&r),
                    None => sasl::decode_login_field(
                        &self.read_response(sasl::LOGIN_USER_PROMPT).await?,
                    ),
                };
                match user {
                    None => Decoded::Cancelled,
                    Some(user) => match sasl::decode_login_field(
                        &self.read_response(sasl::LOGIN_PASS_PROMPT).await?,
                    ) {
                        Some(password) => Decoded::Credentials { user, password },
                        None => Decoded::Cancelled,
                    },
                }
            }
            _ => return Ok(Err("504 5.5.4 Error: unsupported authentication mechanism")),
        };
        Ok(match decoded {
            Decoded::Credentials { user, password } => Ok((user, password)),
            Decoded::Cancelled => Err("501 5.7.0 Error: authentication cancelled"),
            Decoded::Malformed => Err("501 5.5.2 Error: cannot decode the response"),
        })
    }

    pub async fn auth(&mut self, mechanism: &str, initial: Option<String>) -> Result<(), End> {
        let refusal = if self.user.is_some() {
            Some("503 5.5.1 Error: already authenticated")
        } else if self.mail.is_some() {
            Some("503 5.5.1 Error: AUTH not allowed during a mail transaction")
        } else if self.helo.is_none() {
            Some("503 5.5.1 Error: send EHLO first")
        } else if !self.auth_offered() {
            Some("538 5.7.11 Encryption required for requested authentication mechanism")
        } else {
            None
        };
        if let Some(r) = refusal {
            self.reply(r);
            return Ok(());
        }
        if self.shared.throttled(self.client) {
            self.reply("454 4.7.0 Error: too many authentication failures from this address, try again later");
            return Err(End::Gone);
        }
        let (user, password) = match self.credentials(mechanism, initial).await? {
            Ok(c) => c,
            Err(reply) => {
                self.reply(reply);
                return Ok(());
            }
        };
        let hash = self.shared.current().users.hash(&user).map(str::to_string);
        let ok = {
            let Ok(_slot) = self.shared.auth_slots.acquire().await else {
                return Err(End::Gone);
            };
            tokio::task::spawn_blocking(move || sasl::verify(hash.as_deref(), &password))
                .await
                .unwrap_or(false)
        };
        if ok {
            // `?` escapes: a user name is client input and must not forge log lines.
            tracing::info!(client = %self.client, user = ?user, mechanism, "authenticated");
            self.user = Some(Users::canonical(&user));
            self.trust = None;
            self.reply("235 2.7.0 Authentication successful");
            return Ok(());
        }
        self.auth_failures += 1;
        let recent = self.shared.record_failure(self.client);
        self.shared.stats.refuse("auth_failed");
        tracing::warn!(client = %self.client, user = ?user, mechanism, failures = self.auth_failures, "authentication failed");
        // A growing pause makes guessing slow; it grows with this client's failures
        // across sessions, so reconnecting does not start the count again.
        self.flush().await?;
        tokio::time::sleep(AUTH_DELAY_STEP * recent.min(25)).await;
        if self.auth_failures >= MAX_AUTH_FAILURES || recent >= crate::state::FAILURE_LIMIT {
            self.reply("421 4.7.0 Error: too many authentication failures, closing connection");
            return Err(End::Gone);
        }
        self.reply("535 5.7.8 Error: authentication failed");
        Ok(())
    }
}
