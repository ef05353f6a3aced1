//! Dates in RFC 5322 form, for `Received:` headers and delivery reports.

use time::format_description::well_known::Rfc2822;
use time::OffsetDateTime;

/// `Sun, 29 Nov 2026 04:30:00 +0000` for a Unix time.
pub fn rfc5322_date(secs: u64) -> String {
    let t = i64::try_from(secs)
        .ok()
        .and_then(|s| OffsetDateTime::from_unix_timestamp(s).ok())
        .unwrap_or(OffsetDateTime::UNIX_EPOCH);
    t.format(&Rfc2822)
        .unwrap_or_else(|_| "Thu, 01 Jan 1970 00:00:00 +0000".into())
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
