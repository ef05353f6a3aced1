//! The whole RCPT decision, as one function that relayd's session and `relayctl relay
//! check` both call with what they know, so that they answer every recipient alike
//! (ARCHITECTURE.md "One decision, two callers").
//!
//! On top of the policy table (`policy::decide`) it applies the listener's role (a
//! submission port requires AUTH whatever the list says) and the local user table. It
//! still never looks at `MAIL FROM`, `HELO` or headers, and does no I/O: trust was looked
//! up by the caller through `trust::lookup`.
//!
//! Unknown local users, and what a client may learn: the users of the store are both
//! mailboxes and AUTH logins, so a `550 5.1.1` at RCPT that an existing user would not
//! get tells any client which login names exist. A client that is trusted or has
//! authenticated is told at RCPT, as Postfix does. Any other client gets the same `250`
//! for a local recipient whether or not the user exists; the transaction is then refused
//! at DATA with `550 5.1.1` (so nothing is accepted for a mailbox that does not exist,
//! and no bounce goes to a forged sender), that refusal counts as an error and as a
//! failure in the client's cross-session throttle, and a throttled client gets one
//! answer for every local transaction, known users or not.

use std::net::IpAddr;

use crate::policy::{self, Client, PolicySettings, RecipientClass, Trust};
use crate::settings::Role;
use crate::trust::TrustMatch;
use crate::users::Users;

/// What the caller knows about one RCPT.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    pub settings: &'a PolicySettings,
    /// The role of the listener the client connected to.
    pub role: Role,
    /// The client's address.
    pub client: IpAddr,
    /// The list entry that trusts the client (from `trust::lookup`), if any.
    pub trust: Option<&'a TrustMatch>,
    /// The user the client authenticated as (in `Users::canonical` form), if it did.
    pub user: Option<&'a str>,
    pub users: &'a Users,
}

/// The answer to one RCPT.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RcptDecision {
    pub accept: bool,
    pub code: u16,
    /// RFC 3463 enhanced status code.
    pub enhanced: &'static str,
    /// The reply line without CRLF (never contains CR or LF).
    pub reply: String,
    /// A stable name for counters and logs.
    pub rule: &'static str,
    /// For people: which rule and which entry fired, or why none did.
    pub reason: String,
    pub recipient: RecipientClass,
    /// Set when the recipient was taken although its mailbox does not exist (see the
    /// module's note): the transaction must be refused at DATA with [`unknown_user_reply`].
    pub unknown_user: Option<String>,
    /// A local recipient taken from a client that is not told whether users exist,
    /// known or not: the transaction is subject to the harvest throttle at DATA.
    pub guarded: bool,
}

/// The answer to `MAIL FROM` on a listener whose role requires AUTH, if the client has
/// not authenticated: the same rule the RCPT decision applies, given early.
pub fn mail(role: Role, user: Option<&str>) -> Option<&'static str> {
    (role == Role::Submission && user.is_none()).then_some("530 5.7.0 Authentication required")
}

/// Decides one recipient.
pub fn rcpt(req: &Request<'_>, recipient: &str) -> RcptDecision {
    let trust = match req.trust {
        Some(t) => Trust::Trusted { entry: &t.entry },
        None => Trust::NotTrusted,
    };
    let client = Client {
        addr: req.client,
        trust,
        user: req.user,
    };
    let d = policy::decide(req.settings, &client, recipient);
    let mut out = RcptDecision {
        accept: d.accept,
        code: d.code,
        enhanced: d.enhanced,
        reply: d.reply(),
        rule: d.rule.as_str(),
        reason: d.reason.clone(),
        recipient: d.recipient.clone(),
        unknown_user: None,
        guarded: false,
    };
    // The listener's rule comes first: a submission port answers 530 to every client
    // that has not authenticated, whatever the table would have said (as at MAIL).
    if req.role == Role::Submission && req.user.is_none() {
        out.accept = false;
        (out.code, out.enhanced, out.rule) = (530, "5.7.0", "auth_required");
        out.reply = "530 5.7.0 Authentication required".into();
        out.reason = format!(
            "refused: this listener is a submission port, and client {} did not authenticate",
            req.client
        );
        return out;
    }
    let RecipientClass::Local {
        local_part,
        domain: Some(_),
    } = &d.recipient
    else {
        return out;
    };
    if !d.accept {
        return out;
    }
    let told = req.user.is_some() || (req.settings.restrict_relay && req.trust.is_some());
    out.guarded = !told;
    if req.users.is_mailbox(local_part) {
        return out;
    }
    if told {
        out.accept = false;
        (out.code, out.enhanced, out.rule) = (550, "5.1.1", "unknown_user");
        out.reply = unknown_user_reply(&d.address);
        out.reason = format!("no user {local_part} here (/users/{local_part} has no passwd)");
    } else {
        out.unknown_user = Some(d.address.clone());
        out.reason = format!(
            "{}; but there is no user {local_part} here: the message will be refused at DATA \
             (an untrusted client is not told at RCPT which users exist)",
            out.reason
        );
    }
    out
}

/// The refusal of a recipient, or of a transaction holding one, whose user does not exist.
pub fn unknown_user_reply(address: &str) -> String {
    format!(
        "550 5.1.1 <{address}>: Recipient address rejected: User unknown in local recipient table"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trust::How;

    fn users() -> Users {
        let mut d = crate::store::Domain::new();
        let id = d.create("/users/alice").unwrap();
        d.create_prop(id, crate::users::PASSWD, vec!["$6$x$y".into()])
            .unwrap();
        Users::from_domain(&d)
    }

    fn settings(r: bool, a: bool) -> PolicySettings {
        PolicySettings {
            restrict_relay: r,
            require_auth: a,
            local_domains: vec!["example.com".into()],
        }
    }

    fn ask(
        s: &PolicySettings,
        role: Role,
        trust: Option<&TrustMatch>,
        user: Option<&str>,
        recipient: &str,
    ) -> RcptDecision {
        rcpt(
            &Request {
                settings: s,
                role,
                client: "192.0.2.1".parse().unwrap(),
                trust,
                user,
                users: &users(),
            },
            recipient,
        )
    }

    #[test]
    fn submission_requires_auth_even_from_a_trusted_client() {
        let s = settings(true, false);
        let t = TrustMatch {
            entry: "192.0.2.0/24".into(),
            how: How::Listed,
        };
        let d = ask(&s, Role::Submission, Some(&t), None, "bob@remote.example");
        assert_eq!((d.accept, d.code, d.enhanced), (false, 530, "5.7.0"));
        assert_eq!(
            mail(Role::Submission, None),
            Some("530 5.7.0 Authentication required")
        );
        assert_eq!(mail(Role::Submission, Some("alice")), None);
        let d = ask(
            &s,
            Role::Submission,
            None,
            Some("alice"),
            "bob@remote.example",
        );
        assert!(d.accept);
        let d = ask(&s, Role::Smtp, Some(&t), None, "bob@remote.example");
        assert!(d.accept);
        // Found by the differential test: an untrusted client on a submission port
        // gets the port's 530, not the table's 554.
        let d = ask(&s, Role::Submission, None, None, "bob@remote.example");
        assert_eq!((d.code, d.enhanced), (530, "5.7.0"));
    }

    #[test]
    fn unknown_users_are_told_only_to_clients_that_may_relay() {
        let s = settings(true, false);
        let t = TrustMatch {
            entry: "192.0.2.1".into(),
            how: How::Listed,
        };
        let known = ask(&s, Role::Smtp, None, None, "Alice@example.com");
        let unknown = ask(&s, Role::Smtp, None, None, "nobody@example.com");
        assert_eq!(
            known.reply, unknown.reply,
            "the same answer for an untrusted client"
        );
        assert_eq!(known.unknown_user, None);
        assert!(known.guarded && unknown.guarded);
        assert_eq!(unknown.unknown_user.as_deref(), Some("nobody@example.com"));
        for (trust, user) in [(Some(&t), None), (None, Some("alice"))] {
            let d = ask(&s, Role::Smtp, trust, user, "nobody@example.com");
            assert_eq!((d.accept, d.code, d.enhanced), (false, 550, "5.1.1"));
            assert_eq!(d.rule, "unknown_user");
        }
        let pm = ask(&s, Role::Smtp, Some(&t), None, "PostMaster@example.com");
        assert!(pm.accept && pm.unknown_user.is_none());
    }

    #[test]
    fn refusals_of_the_table_stay_as_they_are() {
        let s = settings(true, true);
        let d = ask(&s, Role::Smtp, None, None, "nobody@example.com");
        assert_eq!((d.code, d.enhanced), (530, "5.7.0"));
        let s = settings(true, false);
        let d = ask(&s, Role::Smtp, None, None, "bob@remote.example");
        assert_eq!((d.code, d.enhanced), (554, "5.7.1"));
        assert!(d.unknown_user.is_none());
    }
}
