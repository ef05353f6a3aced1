//! The commands that move no mail: EHLO and HELO (with the ESMTP extensions offered),
//! RSET, NOOP, HELP, VRFY, and the ones relayd refuses to serve.

use super::sasl;
use super::session::Session;
use super::wire::End;

impl Session {
    /// AUTH is offered over TLS, or in the clear only where the administrator allows it.
    pub fn auth_offered(&self) -> bool {
        self.tls || self.shared.current().daemon.allow_plaintext_auth
    }

    pub fn ehlo(&mut self, name: String) -> Result<(), End> {
        let active = self.shared.current();
        self.mail = None;
        self.esmtp = true;
        let mut lines = vec![
            format!("{} Hello {name} [{}]", active.daemon.hostname, self.client),
            "PIPELINING".to_string(),
            format!("SIZE {}", active.daemon.max_message_size),
            "8BITMIME".to_string(),
            "ENHANCEDSTATUSCODES".to_string(),
        ];
        if !self.tls && active.tls.is_some() {
            lines.push("STARTTLS".into());
        }
        if self.auth_offered() {
            lines.push(format!("AUTH {}", sasl::MECHANISMS));
        }
        lines.push("HELP".into());
        self.helo = Some(name);
        self.junk()?;
        let last = lines.len() - 1;
        for (i, l) in lines.iter().enumerate() {
            let sep = if i == last { ' ' } else { '-' };
            self.reply(&format!("250{sep}{l}"));
        }
        Ok(())
    }

    pub fn helo(&mut self, name: String) -> Result<(), End> {
        self.mail = None;
        self.esmtp = false;
        let host = self.shared.current().daemon.hostname.clone();
        self.reply(&format!("250 {host}"));
        self.helo = Some(name);
        self.junk()
    }

    pub fn rset(&mut self) -> Result<(), End> {
        self.mail = None;
        self.reply("250 2.0.0 Ok");
        self.junk()
    }

    pub fn noop(&mut self) -> Result<(), End> {
        self.reply("250 2.0.0 Ok");
        self.junk()
    }

    pub fn help(&mut self) -> Result<(), End> {
        self.reply(
            "214 2.0.0 Commands: EHLO HELO MAIL RCPT DATA RSET NOOP QUIT HELP VRFY STARTTLS AUTH",
        );
        self.junk()
    }

    pub fn vrfy(&mut self) -> Result<(), End> {
        // Never says whether a user exists (see shared::decision).
        self.reply("252 2.5.2 Cannot VRFY user, but will accept message and attempt delivery");
        self.junk()
    }

    pub fn not_implemented(&mut self, verb: &str) {
        self.reply(&format!("502 5.5.1 Error: {verb} not implemented"));
    }
}
