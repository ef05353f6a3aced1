//! The `Received:` header relayd puts first on every message it accepts (RFC 5321
//! 4.4), with its date in RFC 5322 form.

use time::format_description::well_known::Rfc2822;
use time::OffsetDateTime;

use super::session::Session;

/// `Sun, 29 Nov 2026 04:30:00 +0000` for a Unix time.
pub fn rfc5322_date(secs: u64) -> String {
    let t = i64::try_from(secs)
        .ok()
        .and_then(|s| OffsetDateTime::from_unix_timestamp(s).ok())
        .unwrap_or(OffsetDateTime::UNIX_EPOCH);
    t.format(&Rfc2822)
        .unwrap_or_else(|_| "Thu, 01 Jan 1970 00:00:00 +0000".into())
}

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

#[cfg(test)]
mod tests {
    #[test]
    fn dates() {
        assert_eq!(super::rfc5322_date(0), "Thu, 01 Jan 1970 00:00:00 +0000");
        assert_eq!(
            super::rfc5322_date(1_795_926_600),
            "Sun, 29 Nov 2026 04:30:00 +0000"
        );
    }
}
