//! The `Received:` header relayd puts first on every message it accepts (RFC 5321
//! 4.4), with its date in RFC 5322 form.

use super::session::Session;
use crate::date::rfc5322_date;

impl Session {
    pub fn received_header(&self, hostname: &str, id: &str, rcpts: &[String]) -> String {
        let with = match (self.esmtp, self.tls, self.user.is_some()) {
            (false, _, _) => "SMTP",
            (true, false, false) => "ESMTP",
            (true, true, false) => "ESMTPS",
            (true, false, true) => "ESMTPA",
            (true, true, true) => "ESMTPSA",
        };
        let helo: String = self
            .helo
            .as_deref()
            .unwrap_or("unknown")
            .chars()
            .filter(|c| c.is_ascii_graphic())
            .take(255)
            .collect();
        let for_clause = match rcpts {
            [one] => format!("\r\n\tfor {one}"),
            _ => String::new(),
        };
        format!(
            "Received: from {helo} ([{}])\r\n\tby {hostname} (relayd) with {with} id {id}{for_clause};\r\n\t{}\r\n",
            self.client,
            rfc5322_date(shared::spool::now_secs())
        )
    }
}
