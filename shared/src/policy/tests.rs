use super::*;
use proptest::prelude::*;
use std::net::{IpAddr, Ipv4Addr};

const OURS: &str = "example.com";
/// Our own address: a literal of it is *not* in local_domains unless a test says so.
const OUR_IP: &str = "192.0.2.25";
const CLIENT: IpAddr = IpAddr::V4(Ipv4Addr::new(203, 0, 113, 9));
const LOCAL_RCPT: &str = "alice@example.com";
const REMOTE_RCPT: &str = "u@remote.example";

fn settings(r: bool, a: bool) -> PolicySettings {
    PolicySettings {
        restrict_relay: r,
        require_auth: a,
        local_domains: vec![OURS.to_string()],
    }
}

fn untrusted() -> Client<'static> {
    Client {
        addr: CLIENT,
        trust: Trust::NotTrusted,
        user: None,
    }
}

fn trusted() -> Client<'static> {
    Client {
        addr: IpAddr::V4(Ipv4Addr::new(10, 1, 2, 3)),
        trust: Trust::Trusted {
            entry: "10.0.0.0/8",
        },
        user: None,
    }
}

fn authenticated() -> Client<'static> {
    Client {
        addr: CLIENT,
        trust: Trust::NotTrusted,
        user: Some("alice"),
    }
}

fn both() -> Client<'static> {
    Client {
        user: Some("alice"),
        ..trusted()
    }
}

fn all_settings() -> [PolicySettings; 4] {
    [
        settings(false, false),
        settings(false, true),
        settings(true, false),
        settings(true, true),
    ]
}

fn all_clients() -> [Client<'static>; 4] {
    [untrusted(), trusted(), authenticated(), both()]
}

// ---- the table, row by row, local and remote --------------------------------------------

fn check(r: bool, a: bool, client: Client<'_>, rcpt: &str, code: u16, enhanced: &str, rule: Rule) {
    let d = decide(&settings(r, a), &client, rcpt);
    assert_eq!(
        (d.code, d.enhanced, d.rule, d.accept),
        (code, enhanced, rule, code == 250),
        "R={} A={} client={client:?} rcpt={rcpt}: {}",
        u8::from(r),
        u8::from(a),
        d.reason
    );
}

#[test]
fn row_r0_a0_anyone() {
    check(
        false,
        false,
        untrusted(),
        LOCAL_RCPT,
        250,
        "2.1.5",
        Rule::Local,
    );
    check(
        false,
        false,
        untrusted(),
        REMOTE_RCPT,
        250,
        "2.1.5",
        Rule::OpenRelay,
    );
}

#[test]
fn row_r0_a1_authenticated() {
    check(
        false,
        true,
        authenticated(),
        LOCAL_RCPT,
        250,
        "2.1.5",
        Rule::Authenticated,
    );
    check(
        false,
        true,
        authenticated(),
        REMOTE_RCPT,
        250,
        "2.1.5",
        Rule::Authenticated,
    );
}

#[test]
fn row_r0_a1_not_authenticated() {
    check(
        false,
        true,
        untrusted(),
        LOCAL_RCPT,
        530,
        "5.7.0",
        Rule::AuthRequired,
    );
    check(
        false,
        true,
        untrusted(),
        REMOTE_RCPT,
        530,
        "5.7.0",
        Rule::AuthRequired,
    );
}

#[test]
fn row_r0_a1_list_is_not_in_force() {
    // With the restriction off the host list means nothing: trusted must still log in.
    check(
        false,
        true,
        trusted(),
        LOCAL_RCPT,
        530,
        "5.7.0",
        Rule::AuthRequired,
    );
    check(
        false,
        true,
        trusted(),
        REMOTE_RCPT,
        530,
        "5.7.0",
        Rule::AuthRequired,
    );
}

#[test]
fn row_r1_a0_trusted() {
    check(
        true,
        false,
        trusted(),
        LOCAL_RCPT,
        250,
        "2.1.5",
        Rule::Local,
    );
    check(
        true,
        false,
        trusted(),
        REMOTE_RCPT,
        250,
        "2.1.5",
        Rule::Trusted,
    );
}

#[test]
fn row_r1_a0_authenticated() {
    check(
        true,
        false,
        authenticated(),
        LOCAL_RCPT,
        250,
        "2.1.5",
        Rule::Local,
    );
    check(
        true,
        false,
        authenticated(),
        REMOTE_RCPT,
        250,
        "2.1.5",
        Rule::Authenticated,
    );
}

#[test]
fn row_r1_a0_other() {
    check(
        true,
        false,
        untrusted(),
        LOCAL_RCPT,
        250,
        "2.1.5",
        Rule::Local,
    );
    check(
        true,
        false,
        untrusted(),
        REMOTE_RCPT,
        554,
        "5.7.1",
        Rule::RelayDenied,
    );
}

#[test]
fn row_r1_a1_trusted() {
    check(
        true,
        true,
        trusted(),
        LOCAL_RCPT,
        250,
        "2.1.5",
        Rule::Trusted,
    );
    check(
        true,
        true,
        trusted(),
        REMOTE_RCPT,
        250,
        "2.1.5",
        Rule::Trusted,
    );
}

#[test]
fn row_r1_a1_authenticated() {
    check(
        true,
        true,
        authenticated(),
        LOCAL_RCPT,
        250,
        "2.1.5",
        Rule::Authenticated,
    );
    check(
        true,
        true,
        authenticated(),
        REMOTE_RCPT,
        250,
        "2.1.5",
        Rule::Authenticated,
    );
}

#[test]
fn row_r1_a1_other() {
    check(
        true,
        true,
        untrusted(),
        LOCAL_RCPT,
        530,
        "5.7.0",
        Rule::AuthRequired,
    );
    check(
        true,
        true,
        untrusted(),
        REMOTE_RCPT,
        530,
        "5.7.0",
        Rule::AuthRequired,
    );
}

#[test]
fn trusted_and_authenticated_names_the_entry_first() {
    let d = decide(&settings(true, false), &both(), REMOTE_RCPT);
    assert_eq!(d.rule, Rule::Trusted);
    assert_eq!(
        d.reason,
        "relay to remote.example allowed: client 10.1.2.3 matches open_relay_addr_list \
         entry 10.0.0.0/8 (also authenticated as alice)"
    );
}

// ---- replies and reasons -----------------------------------------------------------------

#[test]
fn replies() {
    let d = decide(&settings(true, false), &untrusted(), "<u@remote.example>");
    assert_eq!(
        d.reply(),
        "554 5.7.1 <u@remote.example>: Relay access denied"
    );
    assert_eq!(d.address, "u@remote.example");
    let d = decide(&settings(true, false), &untrusted(), LOCAL_RCPT);
    assert_eq!(d.reply(), "250 2.1.5 Ok");
    let d = decide(&settings(true, true), &untrusted(), LOCAL_RCPT);
    assert_eq!(d.reply(), "530 5.7.0 Authentication required");
    let d = decide(&settings(true, false), &untrusted(), "a b@example.com");
    assert_eq!(d.reply(), "501 5.1.3 Bad recipient address syntax");
}

#[test]
fn reasons_name_the_rule_and_entry() {
    let d = decide(&settings(true, false), &trusted(), REMOTE_RCPT);
    assert_eq!(
        d.reason,
        "relay to remote.example allowed: client 10.1.2.3 matches open_relay_addr_list \
         entry 10.0.0.0/8"
    );
    let d = decide(&settings(true, false), &untrusted(), REMOTE_RCPT);
    assert_eq!(
        d.reason,
        "relay to remote.example denied: client 203.0.113.9 is not in \
         open_relay_addr_list and did not authenticate"
    );
    let d = decide(&settings(true, false), &authenticated(), REMOTE_RCPT);
    assert_eq!(
        d.reason,
        "relay to remote.example allowed: authenticated as alice"
    );
    let d = decide(&settings(true, true), &untrusted(), LOCAL_RCPT);
    assert_eq!(
        d.reason,
        "local delivery to example.com refused: smtp_auth_flag is 1 and client \
         203.0.113.9 is not in open_relay_addr_list and did not authenticate"
    );
    let d = decide(&settings(false, false), &untrusted(), REMOTE_RCPT);
    assert!(d.reason.contains("open relay"), "{}", d.reason);
    let d = decide(
        &settings(true, false),
        &untrusted(),
        "u%remote.example@example.com",
    );
    assert!(d.reason.contains("percent hack"), "{}", d.reason);
    let d = decide(&settings(true, false), &untrusted(), "");
    assert_eq!(d.reason, "bad recipient address: empty address");
}

/// The policy's inputs are the settings, the client (address, trust, user) and the
/// recipient; there is no way to hand it a `MAIL FROM`, a `HELO` name or a header.
#[test]
fn mail_from_is_not_an_input() {
    let _: fn(&PolicySettings, &Client<'_>, &str) -> Decision = decide;
    // Exhaustive destructuring: adding a field to Client (say, a HELO name or a sender)
    // breaks this test, and whoever does it must come and read the module doc.
    let Client {
        addr: _,
        trust: _,
        user: _,
    } = untrusted();
    let PolicySettings {
        restrict_relay: _,
        require_auth: _,
        local_domains: _,
    } = settings(true, true);
}

// ---- recipient classification ------------------------------------------------------------

fn ours() -> Vec<String> {
    vec![OURS.to_string()]
}

fn class(rcpt: &str) -> RecipientClass {
    classify_recipient(rcpt, &ours())
}

fn trick_kind(rcpt: &str) -> Option<Trick> {
    match class(rcpt) {
        RecipientClass::RelayTrick { kind, .. } => Some(kind),
        _ => None,
    }
}

/// The sixteen RCPTs of nmap's `smtp-open-relay` script, with its `domain` the remote
/// one, `srvname` ours and `ip` our address; `None` where the recipient is plainly remote.
fn nmap_cases() -> Vec<(String, Option<Trick>)> {
    let to = "relaytest";
    let domain = "nmap.scanme.org";
    let srv = OURS;
    let ip = OUR_IP;
    use Trick::*;
    vec![
        (format!("{to}@{domain}"), None),
        (format!("{to}@{domain}"), None),
        (format!("{to}@{domain}"), None),
        (format!("{to}@{domain}"), None),
        (format!("{to}%{domain}@[{ip}]"), Some(PercentHack)),
        (format!("{to}%{domain}@{srv}"), Some(PercentHack)),
        (format!("\"{to}@{domain}\""), Some(QuotedAt)),
        (format!("\"{to}%{domain}\""), Some(QuotedAt)),
        (format!("{to}@{domain}@[{ip}]"), Some(MultipleAt)),
        (format!("\"{to}@{domain}\"@[{ip}]"), Some(QuotedAt)),
        (format!("{to}@{domain}@{srv}"), Some(MultipleAt)),
        (format!("@[{ip}]:{to}@{domain}"), Some(SourceRoute)),
        (format!("@{srv}:{to}@{domain}"), Some(SourceRoute)),
        (format!("{domain}!{to}"), Some(BangPath)),
        (format!("{domain}!{to}@[{ip}]"), Some(BangPath)),
        (format!("{domain}!{to}@{srv}"), Some(BangPath)),
    ]
}

fn other_tricks() -> Vec<(&'static str, Trick)> {
    use Trick::*;
    vec![
        ("user%remote.example@example.com", PercentHack),
        ("<user%remote.example@example.com>", PercentHack),
        ("user%remote.example", PercentHack),
        ("user%remote.example@[IPv6:2001:db8::25]", PercentHack),
        ("@example.com:user@remote.example", SourceRoute),
        ("@a.example,@b.example:u@c.example", SourceRoute),
        ("@[IPv6:2001:db8::25],@example.com:u@c.example", SourceRoute),
        ("@example.com:user@example.com", SourceRoute),
        ("remote.example!user@example.com", BangPath),
        ("remote.example!user", BangPath),
        ("a!b!user@example.com", BangPath),
        ("\"user@remote.example\"@example.com", QuotedAt),
        ("\"user%remote.example\"@example.com", QuotedAt),
        ("\"remote.example!user\"@example.com", QuotedAt),
        ("\"user\\@remote.example\"@example.com", QuotedAt),
        ("user@remote.example@example.com", MultipleAt),
        ("user@example.com@example.com", MultipleAt),
        ("user@[192.0.2.25]", ForeignLiteral),
        ("user@[IPv6:2001:db8::1]", ForeignLiteral),
        ("user@[x-tag:whatever]", ForeignLiteral),
    ]
}

#[test]
fn nmap_relay_tests_are_all_refused() {
    for (rcpt, trick) in nmap_cases() {
        assert_eq!(trick_kind(&rcpt), trick, "{rcpt}: {:?}", class(&rcpt));
        if trick.is_none() {
            assert!(
                matches!(class(&rcpt), RecipientClass::Remote { .. }),
                "{rcpt}"
            );
        }
        for rcpt in [rcpt.clone(), format!("<{rcpt}>")] {
            let d = decide(&settings(true, false), &untrusted(), &rcpt);
            assert_eq!(
                (d.accept, d.code, d.enhanced),
                (false, 554, "5.7.1"),
                "{rcpt}"
            );
            assert_eq!(d.rule, Rule::RelayDenied);
        }
    }
}

#[test]
fn other_tricks_are_classified_and_refused() {
    for (rcpt, trick) in other_tricks() {
        assert_eq!(trick_kind(rcpt), Some(trick), "{rcpt}: {:?}", class(rcpt));
        let d = decide(&settings(true, false), &untrusted(), rcpt);
        assert_eq!(
            (d.accept, d.code, d.enhanced),
            (false, 554, "5.7.1"),
            "{rcpt}"
        );
        let d = decide(&settings(true, true), &untrusted(), rcpt);
        assert_eq!((d.code, d.enhanced), (530, "5.7.0"), "{rcpt}");
    }
}

#[test]
fn tricks_are_remote_so_trusted_and_authenticated_may_send_them() {
    let cases = nmap_cases()
        .into_iter()
        .map(|(r, _)| r)
        .chain(other_tricks().into_iter().map(|(r, _)| r.to_string()));
    for rcpt in cases {
        for s in [settings(true, false), settings(true, true)] {
            let d = decide(&s, &trusted(), &rcpt);
            assert_eq!((d.code, d.rule), (250, Rule::Trusted), "{rcpt}");
            let d = decide(&s, &authenticated(), &rcpt);
            assert_eq!((d.code, d.rule), (250, Rule::Authenticated), "{rcpt}");
        }
    }
}

#[test]
fn local_recipients() {
    let local = |rcpt: &str, lp: &str, dom: Option<&str>| {
        assert_eq!(
            class(rcpt),
            RecipientClass::Local {
                local_part: lp.to_string(),
                domain: dom.map(str::to_string),
            },
            "{rcpt}"
        );
    };
    local("alice@example.com", "alice", Some("example.com"));
    local("<alice@example.com>", "alice", Some("example.com"));
    local("Alice@EXAMPLE.Com.", "Alice", Some("example.com"));
    local(
        "first.last+tag@example.com",
        "first.last+tag",
        Some("example.com"),
    );
    local(
        "\"john doe\"@example.com",
        "\"john doe\"",
        Some("example.com"),
    );
    local("postmaster", "postmaster", None);
    local("<PostMaster>", "PostMaster", None);
    local("postmaster@example.com", "postmaster", Some("example.com"));
}

#[test]
fn local_domains_forms() {
    let doms = vec![
        "example.com.".to_string(),
        "[192.0.2.25]".to_string(),
        "[IPv6:2001:DB8::1]".to_string(),
        ".example.org".to_string(),
    ];
    let c = |r: &str| classify_recipient(r, &doms);
    assert!(c("u@example.com").is_local());
    assert!(c("u@[192.0.2.25]").is_local());
    assert!(c("u@[IPv6:::ffff:192.0.2.25]").is_local());
    assert!(c("u@[ipv6:2001:db8:0::1]").is_local());
    assert!(c("u@mail.example.org").is_local());
    assert_eq!(
        c("u@example.org"),
        RecipientClass::Remote {
            domain: "example.org".to_string()
        }
    );
    assert_eq!(
        c("u@sub.example.com"),
        RecipientClass::Remote {
            domain: "sub.example.com".to_string()
        }
    );
    assert_eq!(
        c("u@[192.0.2.26]"),
        RecipientClass::RelayTrick {
            kind: Trick::ForeignLiteral,
            detail: "address literal [192.0.2.26] is not in local_domains".to_string()
        }
    );
    // A literal of ours does not launder a trick.
    assert!(matches!(
        c("u%remote.example@[192.0.2.25]"),
        RecipientClass::RelayTrick {
            kind: Trick::PercentHack,
            ..
        }
    ));
}

#[test]
fn invalid_recipients() {
    let long_local = format!("{}@example.com", "a".repeat(65));
    let long_path = format!("u@{}.example.com", ["a"; 130].join("."));
    let long_label = format!("u@{}.com", "a".repeat(64));
    let cases: Vec<&str> = vec![
        "",
        "<>",
        "<",
        "<alice@example.com",
        "alice@example.com>",
        "@",
        "alice@",
        "@example.com",
        "@example.com:",
        "@example.com:@remote:u@x",
        "a b@example.com",
        "alice@exa mple.com",
        " alice@example.com",
        "alice@example.com ",
        "alice\r\n@example.com",
        "alice@example.com\r\nRCPT TO:<x@remote>",
        "ali\0ce@example.com",
        "\u{e9}l\u{e8}ve@example.com",
        "alice",
        "\"alice\"",
        "\"\"@example.com",
        "\"unterminated@example.com",
        "\"a\"b@example.com",
        "alice@example..com",
        "alice@.example.com",
        "alice@example.com..",
        "alice@[192.0.2]",
        "alice@[300.0.2.1]",
        "alice@[IPv6:zz::1]",
        "alice@[192.0.2.1",
        "ali(ce)@example.com",
        "alice,bob@example.com",
        "alice@example.com@",
        &long_local,
        &long_path,
        &long_label,
    ];
    for rcpt in cases {
        assert!(
            matches!(class(rcpt), RecipientClass::Invalid { .. }),
            "{rcpt:?}: {:?}",
            class(rcpt)
        );
        for s in all_settings() {
            for c in all_clients() {
                let d = decide(&s, &c, rcpt);
                assert_eq!(
                    (d.accept, d.code, d.enhanced, d.rule),
                    (false, 501, "5.1.3", Rule::BadAddress),
                    "{rcpt:?}"
                );
                assert_eq!(d.reply(), "501 5.1.3 Bad recipient address syntax");
            }
        }
    }
}

#[test]
fn length_limits_are_inclusive() {
    let local64 = format!("{}@example.com", "a".repeat(64));
    assert!(class(&local64).is_local());
    // 254 octets of address + 2 brackets = 256: allowed; one more is not.
    let at_limit = format!("u@{}bexample.com", "a.".repeat(120));
    assert_eq!(at_limit.len(), 254);
    assert!(matches!(class(&at_limit), RecipientClass::Remote { .. }));
    let over = format!("u@b{}", &at_limit[2..]);
    assert_eq!(over.len(), 255);
    assert!(matches!(class(&over), RecipientClass::Invalid { .. }));
}

// ---- properties --------------------------------------------------------------------------

fn prop_domains() -> Vec<String> {
    vec![
        "example.com".to_string(),
        "[192.0.2.1]".to_string(),
        ".example.org".to_string(),
    ]
}

/// Strings built from the pieces relay tricks are made of, so that the generator hits
/// the interesting corners far more often than uniform noise would.
fn address_like() -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec![
        "user",
        "postmaster",
        "example.com",
        "EXAMPLE.COM.",
        "sub.example.org",
        "example.org",
        "remote.example",
        "@",
        "@",
        "%",
        "!",
        "\"",
        "\\",
        ":",
        ",",
        "[",
        "]",
        "192.0.2.1",
        "IPv6:::ffff:192.0.2.1",
        "IPv6:2001:db8::1",
        ".",
        "<",
        ">",
        " ",
        "\r\n",
        "\0",
        "é",
    ]);
    prop::collection::vec(pieces, 0..12).prop_map(|v| v.concat())
}

fn any_recipient() -> impl Strategy<Value = String> {
    // The last arm ends in one of our domains, so the accept branch is exercised often.
    let ends_local = (
        "[a-z][a-z%!.\"@:]{0,6}",
        prop::sample::select(vec![
            "@example.com",
            "@sub.example.org",
            "@[192.0.2.1]",
            "@[IPv6:::ffff:192.0.2.1]",
        ]),
    )
        .prop_map(|(l, d)| format!("{l}{d}"));
    prop_oneof![address_like(), any::<String>(), "[ -~]{0,300}", ends_local]
}

proptest! {
    #[test]
    fn untrusted_unauthenticated_only_reaches_our_domains(rcpt in any_recipient()) {
        let s = PolicySettings {
            restrict_relay: true,
            require_auth: false,
            local_domains: prop_domains(),
        };
        let d = decide(&s, &untrusted(), &rcpt);
        if d.accept {
            match &d.recipient {
                RecipientClass::Local { local_part, domain: None } => {
                    prop_assert!(local_part.eq_ignore_ascii_case("postmaster"));
                }
                RecipientClass::Local { domain: Some(domain), .. } => {
                    prop_assert!(
                        domain == "example.com"
                            || domain == "[192.0.2.1]"
                            || domain.ends_with(".example.org"),
                        "{rcpt:?} accepted for {domain}"
                    );
                }
                other => prop_assert!(false, "{rcpt:?} accepted as {other:?}"),
            }
            prop_assert_eq!(d.rule, Rule::Local);
            // Independent of the parser: an accepted address with an unquoted local part
            // has exactly one '@', no route, no '%' and no '!'.
            let addr = d.address.as_str();
            if !addr.starts_with('"') {
                prop_assert!(addr.matches('@').count() <= 1, "{addr:?}");
                prop_assert!(!addr.contains(['%', '!']), "{addr:?}");
                prop_assert!(!addr.starts_with('@'), "{addr:?}");
            }
        } else {
            prop_assert!(matches!(d.code, 554 | 501), "{rcpt:?}: {}", d.reply());
        }
    }

    #[test]
    fn decide_never_panics_and_replies_are_one_line(rcpt in any_recipient()) {
        for mut s in all_settings() {
            s.local_domains = prop_domains();
            for c in all_clients() {
                let d = decide(&s, &c, &rcpt);
                let reply = d.reply();
                prop_assert!(!reply.contains(['\r', '\n', '\0']), "{reply:?}");
                let prefix = format!("{} {} ", d.code, d.enhanced);
                prop_assert!(reply.starts_with(&prefix), "{reply:?}");
                prop_assert!(reply.len() <= 512, "{}", reply.len());
                prop_assert_eq!(d.accept, d.code == 250);
            }
        }
    }

    #[test]
    fn classification_ignores_angle_brackets(rcpt in address_like()) {
        let bare = classify_recipient(&rcpt, &prop_domains());
        let bracketed = classify_recipient(&format!("<{rcpt}>"), &prop_domains());
        if !rcpt.starts_with('<') && !rcpt.ends_with('>') {
            prop_assert_eq!(bare, bracketed);
        }
    }
}
