//! Tests of the grammar and of the compiled matcher against a naive reference.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use proptest::prelude::*;

use super::*;

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

fn net(text: &str) -> Entry {
    Entry::Net(text.parse().unwrap())
}

fn range(start: &str, end: &str) -> Entry {
    Entry::Range {
        start: ip(start),
        end: ip(end),
    }
}

fn parsed(text: &str) -> Entry {
    parse_entry(text).unwrap_or_else(|e| panic!("{text:?} refused: {e}"))
}

fn refused(text: &str) -> EntryError {
    match parse_entry(text) {
        Ok(entry) => panic!("{text:?} accepted as {entry:?}"),
        Err(err) => err,
    }
}

fn message(text: &str) -> String {
    refused(text).to_string()
}

mod grammar {
    use super::*;

    #[test]
    fn addresses() {
        assert_eq!(parsed("192.168.123.55"), Entry::Addr(ip("192.168.123.55")));
        assert_eq!(parsed("2001:db8::25"), Entry::Addr(ip("2001:db8::25")));
        assert_eq!(parsed("[2001:db8::1]"), Entry::Addr(ip("2001:db8::1")));
        assert_eq!(parsed("  10.0.0.1\t\n"), Entry::Addr(ip("10.0.0.1")));
        assert_eq!(parsed("0.0.0.0"), Entry::Addr(ip("0.0.0.0")));
        assert_eq!(parsed("10.1.2.5-5"), Entry::Addr(ip("10.1.2.5")));
    }

    #[test]
    fn v4_mapped_entries_become_ipv4() {
        assert_eq!(parsed("::ffff:10.1.2.3"), Entry::Addr(ip("10.1.2.3")));
        assert_eq!(parsed("[::ffff:10.1.2.3]"), Entry::Addr(ip("10.1.2.3")));
        assert_eq!(parsed("::ffff:10.0.0.0/104"), net("10.0.0.0/8"));
        assert_eq!(
            parsed("::ffff:10.0.0.1-::ffff:10.0.0.9"),
            range("10.0.0.1", "10.0.0.9")
        );
    }

    #[test]
    fn networks() {
        assert_eq!(parsed("192.168.1.0/24"), net("192.168.1.0/24"));
        assert_eq!(parsed("2001:db8::/48"), net("2001:db8::/48"));
        assert_eq!(parsed("[2001:db8::]/48"), net("2001:db8::/48"));
        assert_eq!(parsed("192.168.1.0/255.255.255.0"), net("192.168.1.0/24"));
        assert_eq!(parsed("10.0.0.1/32"), net("10.0.0.1/32"));
        assert_eq!(parsed("10.0.0.1/255.255.255.255"), net("10.0.0.1/32"));
        assert_eq!(parsed("2001:db8::/ffff:ffff::"), net("2001:db8::/32"));
    }

    #[test]
    fn apple_examples() {
        assert_eq!(parsed("192.168.123.55"), Entry::Addr(ip("192.168.123.55")));
        assert_eq!(
            parsed("192.168.40-43.*"),
            range("192.168.40.0", "192.168.43.255")
        );
        assert_eq!(parsed("192.168.40.0/255.255.248.0"), net("192.168.40.0/21"));
        assert_eq!(parsed("192.168.40.0/21"), net("192.168.40.0/21"));
        assert_eq!(
            parsed("mail.example.com"),
            Entry::Name("mail.example.com".into())
        );
        assert_eq!(parsed("example.com"), Entry::Name("example.com".into()));
    }

    #[test]
    fn ranges() {
        assert_eq!(
            parsed("192.168.1.10-192.168.1.40"),
            range("192.168.1.10", "192.168.1.40")
        );
        assert_eq!(parsed("10.1.2.*"), range("10.1.2.0", "10.1.2.255"));
        assert_eq!(parsed("10.1.2.10-20"), range("10.1.2.10", "10.1.2.20"));
        assert_eq!(parsed("10.0-255.*.*"), range("10.0.0.0", "10.255.255.255"));
        assert_eq!(parsed("10.*.0-255.*"), range("10.0.0.0", "10.255.255.255"));
        assert_eq!(
            parsed("2001:db8::1-2001:db8::ff"),
            range("2001:db8::1", "2001:db8::ff")
        );
        assert_eq!(
            parsed("[2001:db8::1]-[2001:db8::ff]"),
            range("2001:db8::1", "2001:db8::ff")
        );
        assert_eq!(parsed("10.0.0.1-10.0.0.1"), range("10.0.0.1", "10.0.0.1"));
    }

    #[test]
    fn names() {
        assert_eq!(
            parsed("Mail.Example.COM."),
            Entry::Name("mail.example.com".into())
        );
        assert_eq!(parsed("localhost"), Entry::Name("localhost".into()));
        assert_eq!(
            parsed("mx-1.example.com"),
            Entry::Name("mx-1.example.com".into())
        );
        assert_eq!(parsed("1.2.3.com"), Entry::Name("1.2.3.com".into()));
        assert_eq!(
            parsed(".example.com"),
            Entry::Subdomain("example.com".into())
        );
        assert_eq!(
            parsed("*.Example.com."),
            Entry::Subdomain("example.com".into())
        );
        let longest = [
            "a".repeat(63),
            "b".repeat(63),
            "c".repeat(63),
            "d".repeat(61),
        ]
        .join(".");
        assert_eq!(longest.len(), 253);
        assert_eq!(parsed(&longest), Entry::Name(longest.clone()));
        assert_eq!(parsed(&format!("{longest}.")), Entry::Name(longest));
    }

    #[test]
    fn display_is_canonical() {
        assert_eq!(
            parsed("192.168.40.0/255.255.248.0").to_string(),
            "192.168.40.0/21"
        );
        assert_eq!(
            parsed("192.168.40-43.*").to_string(),
            "192.168.40.0-192.168.43.255"
        );
        assert_eq!(parsed("[2001:DB8::1]").to_string(), "2001:db8::1");
        assert_eq!(parsed("*.Example.com.").to_string(), ".example.com");
        assert_eq!(parsed("::ffff:10.1.2.3").to_string(), "10.1.2.3");
    }

    #[test]
    fn documented_messages() {
        let cases = [
            ("300.1.1.1", "300.1.1.1: octet 300 is out of range 0-255"),
            (
                "192.168.1.5/24",
                "192.168.1.5/24: host bits are set (did you mean 192.168.1.0/24?)",
            ),
            (
                "10.0.0.1-10.0.0.0",
                "10.0.0.1-10.0.0.0: range start is after its end",
            ),
            ("", "empty entry"),
            ("   ", "empty entry"),
            (
                "192.168.1.0/255.0.255.0",
                "192.168.1.0/255.0.255.0: netmask is not contiguous",
            ),
            ("10.0.0.0/33", "10.0.0.0/33: /33 is longer than 32 bits"),
            (
                "2001:db8::/129",
                "2001:db8::/129: /129 is longer than 128 bits",
            ),
            ("fe80::1%eth0", "fe80::1%eth0: zone ids are not allowed"),
            (
                "10.0.0.1-2001:db8::1",
                "10.0.0.1-2001:db8::1: mixed IPv4 and IPv6 in one range",
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(message(text), expected, "for {text:?}");
        }
    }

    #[test]
    fn every_address_is_an_open_relay() {
        for text in [
            "0.0.0.0/0",
            "::/0",
            "*",
            "*.*.*.*",
            "0-255.*.*.*",
            "0.0.0.0/0.0.0.0",
            "0.0.0.0-255.255.255.255",
            "::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
            "::ffff:0.0.0.0/96",
            "[::]/0",
        ] {
            let err = refused(text);
            assert!(
                matches!(err.reason(), Reason::OpenRelay(_)),
                "{text}: {err}"
            );
            let msg = err.to_string();
            assert!(msg.contains("open relay"), "{msg}");
            assert!(msg.contains("open_relay_addr_flag 0"), "{msg}");
        }
    }

    #[test]
    fn reasons() {
        let cases: &[(&str, Reason)] = &[
            ("192.*.1.*", Reason::NotContiguous),
            ("192.168.40-43.5", Reason::NotContiguous),
            ("10.1-2.3-4.*", Reason::NotContiguous),
            ("192.168.43-40.*", Reason::OctetRangeReversed(43, 40)),
            ("1.2.3", Reason::NotAddressNorName(3)),
            ("1.2.3.4.5", Reason::NotAddressNorName(5)),
            ("*.5", Reason::OctetCount(2)),
            ("010.0.0.1", Reason::OctetLeadingZero("010".into())),
            (
                "1.2.3.99999999999",
                Reason::OctetOutOfRange("99999999999".into()),
            ),
            ("10.0.0.1-10.0.0", Reason::OctetCount(3)),
            ("10.0.0.0/", Reason::MissingPrefix),
            ("10.0.0.0/abc", Reason::BadPrefix("abc".into())),
            (
                "10.0.0.0/99999999999999",
                Reason::PrefixTooLong {
                    prefix: "99999999999999".into(),
                    bits: 32,
                },
            ),
            ("10.0.0.0/ffff::", Reason::NetmaskFamily("ffff::".into())),
            ("10.0.0.0/255.255.255.1", Reason::NetmaskNotContiguous),
            (
                "10.0.0.1/255.255.255.0",
                Reason::HostBitsSet("10.0.0.0/255.255.255.0".into()),
            ),
            ("[10.0.0.1]", Reason::BracketedIpv4),
            ("[2001:db8::1", Reason::BadIpv6),
            ("2001:db8::g", Reason::BadIpv6),
            ("mail.example.com:25", Reason::BadIpv6),
            ("[fe80::1%2]", Reason::ZoneId),
            ("10.0.0.1 10.0.0.2", Reason::Whitespace),
            ("my_host.example.com", Reason::Underscore),
            ("a..example.com", Reason::EmptyLabel),
            ("..example.com", Reason::EmptyLabel),
            (".", Reason::EmptyLabel),
            ("-a.example.com", Reason::LabelHyphen("-a".into())),
            ("a-.example.com", Reason::LabelHyphen("a-".into())),
            ("foo.*.com", Reason::MisplacedWildcard),
            ("mail@example.com", Reason::BadNameChar('@')),
            ("exämple.com", Reason::BadNameChar('ä')),
        ];
        for (text, reason) in cases {
            assert_eq!(refused(text).reason(), reason, "for {text:?}");
        }
    }

    #[test]
    fn bare_wildcards_are_refused() {
        for text in ["*.", "*..", ".*", "**"] {
            refused(text);
        }
    }

    #[test]
    fn name_length_limits() {
        let label = "a".repeat(64);
        assert_eq!(
            refused(&format!("{label}.com")).reason(),
            &Reason::LabelTooLong(label)
        );
        let long = [
            "a".repeat(63),
            "b".repeat(63),
            "c".repeat(63),
            "d".repeat(62),
        ]
        .join(".");
        assert_eq!(refused(&long).reason(), &Reason::NameTooLong(254));
    }

    #[test]
    fn error_names_the_trimmed_entry() {
        let err = refused("  300.1.1.1 ");
        assert_eq!(err.text(), "300.1.1.1");
        assert_eq!(
            err.to_string(),
            "300.1.1.1: octet 300 is out of range 0-255"
        );
    }
}

mod matcher {
    use super::*;

    fn compile(entries: &[&str]) -> Compiled {
        HostList::compile(entries.iter().copied())
    }

    fn hit(list: &HostList, addr: &str) -> Option<(usize, String)> {
        list.lookup(ip(addr)).map(|m| (m.index, m.text.to_owned()))
    }

    #[test]
    fn shareable() {
        fn assert_shareable<T: Send + Sync + Clone + 'static>() {}
        assert_shareable::<HostList>();
    }

    #[test]
    fn empty_list_trusts_nothing() {
        let list = compile(&[]).list;
        assert!(list.is_empty());
        assert_eq!(list.lookup(ip("127.0.0.1")), None);
        assert_eq!(list.lookup(ip("::1")), None);
        assert_eq!(list.counts(), Counts::default());
    }

    #[test]
    fn apple_examples_match() {
        let c = compile(&[
            "192.168.123.55",
            "192.168.40-43.*",
            "192.168.40.0/255.255.248.0",
            "192.168.40.0/21",
            "mail.example.com",
            "example.com",
        ]);
        assert!(c.rejected.is_empty());
        let list = c.list;
        assert_eq!(
            hit(&list, "192.168.123.55"),
            Some((0, "192.168.123.55".into()))
        );
        assert_eq!(hit(&list, "192.168.123.56"), None);
        assert_eq!(
            hit(&list, "192.168.40.0"),
            Some((1, "192.168.40-43.*".into()))
        );
        assert_eq!(
            hit(&list, "192.168.43.255"),
            Some((1, "192.168.40-43.*".into()))
        );
        assert_eq!(
            hit(&list, "192.168.44.0"),
            Some((2, "192.168.40.0/255.255.248.0".into()))
        );
        assert_eq!(hit(&list, "192.168.47.255").map(|h| h.0), Some(2));
        assert_eq!(hit(&list, "192.168.48.0"), None);
        assert_eq!(hit(&list, "192.168.39.255"), None);
        assert_eq!(
            list.counts(),
            Counts {
                addresses: 1,
                networks: 3,
                names: 2
            }
        );
        let names: Vec<_> = list
            .names()
            .iter()
            .map(|n| (n.index, n.kind.clone()))
            .collect();
        assert_eq!(
            names,
            vec![
                (4, NameKind::Host("mail.example.com".into())),
                (5, NameKind::Host("example.com".into())),
            ]
        );
    }

    #[test]
    fn v4_mapped_clients_match_v4_entries() {
        let list = compile(&["10.1.2.0/24", "2001:db8::/32"]).list;
        assert_eq!(hit(&list, "::ffff:10.1.2.3").map(|h| h.0), Some(0));
        assert_eq!(hit(&list, "::ffff:10.1.3.3"), None);
        assert_eq!(hit(&list, "2001:db8::5").map(|h| h.0), Some(1));
        // IPv4-compatible (deprecated) addresses are IPv6, not IPv4.
        assert_eq!(hit(&list, "::10.1.2.3"), None);
    }

    #[test]
    fn v4_mapped_entries_match_v4_clients() {
        let list = compile(&["::ffff:10.1.2.3"]).list;
        assert_eq!(hit(&list, "10.1.2.3").map(|h| h.0), Some(0));
        assert_eq!(hit(&list, "::ffff:10.1.2.3").map(|h| h.0), Some(0));
    }

    #[test]
    fn earliest_entry_names_the_match() {
        let list = compile(&["10.0.0.0/8", "10.1.2.3"]).list;
        assert_eq!(hit(&list, "10.1.2.3"), Some((0, "10.0.0.0/8".into())));

        let list = compile(&["10.1.2.3", "10.0.0.0/8", "10.1.2.0-10.1.2.9"]).list;
        assert_eq!(hit(&list, "10.1.2.3"), Some((0, "10.1.2.3".into())));
        assert_eq!(hit(&list, "10.1.2.4"), Some((1, "10.0.0.0/8".into())));
        assert_eq!(hit(&list, "10.1.2.2"), Some((1, "10.0.0.0/8".into())));
    }

    #[test]
    fn rejected_entries_keep_their_input_positions() {
        let c = compile(&[" 10.0.0.1 ", "bad_name", "10.0.0.2", "0.0.0.0/0"]);
        assert_eq!(
            c.rejected,
            vec![
                Rejected {
                    index: 1,
                    text: "bad_name".into(),
                    reason: Reason::Underscore.to_string(),
                },
                Rejected {
                    index: 3,
                    text: "0.0.0.0/0".into(),
                    reason: Reason::OpenRelay("IPv4").to_string(),
                },
            ]
        );
        assert_eq!(hit(&c.list, "10.0.0.1"), Some((0, " 10.0.0.1 ".into())));
        assert_eq!(hit(&c.list, "10.0.0.2"), Some((2, "10.0.0.2".into())));
        assert_eq!(hit(&c.list, "10.0.0.3"), None);
    }

    #[test]
    fn from_entries_matches_like_compile() {
        let c = HostList::from_entries(vec![
            ("net".to_owned(), net("10.0.0.0/8")),
            ("name".to_owned(), Entry::Name("example.com".into())),
            ("mapped".to_owned(), net("::ffff:192.168.0.0/112")),
            (
                "mixed".to_owned(),
                Entry::Range {
                    start: ip("10.0.0.1"),
                    end: ip("::1"),
                },
            ),
        ]);
        assert_eq!(c.rejected.len(), 1);
        assert_eq!(c.rejected[0].index, 3);
        assert_eq!(hit(&c.list, "10.9.9.9"), Some((0, "net".into())));
        assert_eq!(hit(&c.list, "192.168.3.4"), Some((2, "mapped".into())));
        assert_eq!(c.list.names().len(), 1);
    }

    #[test]
    fn family_edges() {
        let list = compile(&[
            "255.255.255.255",
            "0.0.0.0",
            "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fff0/124",
            "::",
        ])
        .list;
        assert_eq!(hit(&list, "255.255.255.255").map(|h| h.0), Some(0));
        assert_eq!(hit(&list, "0.0.0.0").map(|h| h.0), Some(1));
        assert_eq!(hit(&list, "0.0.0.1"), None);
        assert_eq!(
            hit(&list, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff").map(|h| h.0),
            Some(2)
        );
        assert_eq!(hit(&list, "::").map(|h| h.0), Some(3));
        assert_eq!(hit(&list, "::1"), None);
    }
}

mod properties {
    use super::*;

    /// Addresses clustered around a few bases so random entries overlap and touch.
    fn v4_addr() -> impl Strategy<Value = u32> {
        let base = prop::sample::select(vec![0u32, 0x0a00_0000, 0xc0a8_0100, 0xffff_fe00]);
        (base, 0u32..1024).prop_map(|(b, o)| b.saturating_add(o))
    }

    /// Same for IPv6, kept clear of `::ffff:0:0/96` (those entries are IPv4).
    fn v6_addr() -> impl Strategy<Value = u128> {
        let base = prop::sample::select(vec![
            0u128,
            0x2001_0db8_u128 << 96,
            0xfe80_u128 << 112,
            u128::MAX - 0xffff,
        ]);
        (base, 0u128..1024).prop_map(|(b, o)| b.saturating_add(o))
    }

    fn v4_entry() -> impl Strategy<Value = Entry> {
        prop_oneof![
            v4_addr().prop_map(|a| Entry::Addr(IpAddr::V4(a.into()))),
            (v4_addr(), prop_oneof![22u8..=32, 1u8..=32]).prop_map(|(a, p)| {
                Entry::Net(IpNet::V4(Ipv4Net::new(a.into(), p).unwrap().trunc()))
            }),
            (v4_addr(), 0u32..700).prop_map(|(a, len)| Entry::Range {
                start: IpAddr::V4(a.into()),
                end: IpAddr::V4(a.saturating_add(len).into()),
            }),
        ]
    }

    fn v6_entry() -> impl Strategy<Value = Entry> {
        prop_oneof![
            v6_addr().prop_map(|a| Entry::Addr(IpAddr::V6(a.into()))),
            (v6_addr(), prop_oneof![118u8..=128, 100u8..=128]).prop_map(|(a, p)| {
                Entry::Net(IpNet::V6(Ipv6Net::new(a.into(), p).unwrap().trunc()))
            }),
            (v6_addr(), 0u128..700).prop_map(|(a, len)| Entry::Range {
                start: IpAddr::V6(a.into()),
                end: IpAddr::V6(a.saturating_add(len).into()),
            }),
        ]
    }

    fn entries() -> impl Strategy<Value = Vec<Entry>> {
        prop::collection::vec(prop_oneof![3 => v4_entry(), 1 => v6_entry()], 0..40)
    }

    fn probe() -> impl Strategy<Value = IpAddr> {
        prop_oneof![
            v4_addr().prop_map(|a| IpAddr::V4(a.into())),
            v4_addr().prop_map(|a| IpAddr::V6(Ipv4Addr::from(a).to_ipv6_mapped())),
            v6_addr().prop_map(|a| IpAddr::V6(a.into())),
        ]
    }

    /// The reference: scan every entry, the first that covers wins.
    fn naive(entries: &[Entry], client: IpAddr) -> Option<usize> {
        let client = client.to_canonical();
        entries.iter().position(|entry| match *entry {
            Entry::Addr(a) => a == client,
            Entry::Net(n) => n.contains(&client),
            Entry::Range { start, end } => {
                start.is_ipv4() == client.is_ipv4() && start <= client && client <= end
            }
            Entry::Name(_) | Entry::Subdomain(_) => false,
        })
    }

    /// The first and last address of an entry and their neighbours, in both spellings
    /// for IPv4.
    fn boundaries(entry: &Entry) -> Vec<IpAddr> {
        let (start, end) = match *entry {
            Entry::Addr(a) => (a, a),
            Entry::Net(n) => (n.network(), n.broadcast()),
            Entry::Range { start, end } => (start, end),
            Entry::Name(_) | Entry::Subdomain(_) => return Vec::new(),
        };
        match (start, end) {
            (IpAddr::V4(s), IpAddr::V4(e)) => {
                let (s, e) = (u32::from(s), u32::from(e));
                [s.wrapping_sub(1), s, e, e.wrapping_add(1)]
                    .into_iter()
                    .flat_map(|a| {
                        let a = Ipv4Addr::from(a);
                        [IpAddr::V4(a), IpAddr::V6(a.to_ipv6_mapped())]
                    })
                    .collect()
            }
            (IpAddr::V6(s), IpAddr::V6(e)) => {
                let (s, e) = (u128::from(s), u128::from(e));
                [s.wrapping_sub(1), s, e, e.wrapping_add(1)]
                    .into_iter()
                    .map(|a| IpAddr::V6(Ipv6Addr::from(a)))
                    .collect()
            }
            _ => Vec::new(),
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn lookup_agrees_with_a_scan(entries in entries(), probes in prop::collection::vec(probe(), 0..40)) {
            let texts: Vec<String> = entries.iter().map(ToString::to_string).collect();
            let compiled = HostList::compile(texts.iter().map(String::as_str));
            prop_assert!(compiled.rejected.is_empty(), "{:?}", compiled.rejected);
            let all_probes = entries.iter().flat_map(boundaries).chain(probes);
            for client in all_probes {
                let got = compiled.list.lookup(client);
                let want = naive(&entries, client);
                prop_assert_eq!(got.map(|m| m.index), want, "client {}", client);
                if let (Some(m), Some(i)) = (got, want) {
                    prop_assert_eq!(m.text, texts[i].as_str());
                }
            }
        }

        #[test]
        fn display_round_trips(entry in prop_oneof![v4_entry(), v6_entry()]) {
            prop_assert_eq!(parse_entry(&entry.to_string()), Ok(entry));
        }

        #[test]
        fn parser_never_panics(text in "[0-9a-fA-F.:/*\\[\\]%_ -]{0,40}") {
            let _ = parse_entry(&text);
        }
    }
}

#[test]
fn lists_that_together_trust_everyone_are_detected() {
    let all = HostList::compile(["0.0.0.0/1", "128.0.0.0/2", "192.0.0.0/2"]).list;
    assert_eq!(all.trusts_every_address(), Some("IPv4"));
    let gap = HostList::compile(["0.0.0.0/1", "128.0.0.0/2", "192.0.0.0-255.255.255.254"]).list;
    assert_eq!(gap.trusts_every_address(), None);
    let v6 = HostList::compile(["::/1", "8000::/1", "10.0.0.0/8"]).list;
    assert_eq!(v6.trusts_every_address(), Some("IPv6"));
    assert_eq!(
        HostList::compile(["10.0.0.0/8"])
            .list
            .trusts_every_address(),
        None
    );
    assert_eq!(
        HostList::compile(Vec::<&str>::new())
            .list
            .trusts_every_address(),
        None
    );
}

#[test]
fn the_cheap_pre_check_never_misses_a_list_that_trusts_everyone() {
    let cases: &[&[&str]] = &[
        &["0.0.0.0/1", "128.0.0.0/2", "192.0.0.0/2"],
        &["0.0.0.0/2", "64.0.0.0/2", "128.0.0.0/1", "10.0.0.1"],
        &["0.0.0.0-127.255.255.255", "128.0.0.0-255.255.255.255"],
        &["::/1", "8000::/1", "10.0.0.0/8"],
        &["::/2", "4000::/2", "8000::/1"],
    ];
    for list in cases {
        let compiled = HostList::compile(list.iter().copied()).list;
        assert!(compiled.trusts_every_address().is_some(), "{list:?}");
        assert!(
            HostList::might_trust_every_address(list.iter().copied()),
            "{list:?}"
        );
    }
    let many: Vec<String> = (0..100_000u32)
        .map(|i| std::net::Ipv4Addr::from(0x0a00_0000 + i).to_string())
        .chain([
            "192.168.0.0/16".to_string(),
            "2001:db8::/32".to_string(),
            "mail.example.com".to_string(),
        ])
        .collect();
    assert!(!HostList::might_trust_every_address(
        many.iter().map(String::as_str)
    ));
}

mod edits {
    use super::*;

    /// Entries that overlap, repeat, and mix kinds, so edits hit all of them.
    const UNIVERSE: [&str; 16] = [
        "10.0.0.1",
        "10.0.0.2",
        "10.0.0.0/30",
        "10.0.0.0/24",
        "10.0.0.1-10.0.0.5",
        "10.0.1.0/24",
        "10.0.0.3",
        "2001:db8::1",
        "2001:db8::/126",
        "::ffff:10.0.0.4",
        "host.example",
        ".sub.example",
        "10.0.0.300",
        "0.0.0.0/0",
        "10.0.0.2",
        "2001:db8::/120",
    ];

    fn words(picks: &[usize]) -> Vec<String> {
        picks
            .iter()
            .map(|&i| UNIVERSE[i % 16].to_string())
            .collect()
    }

    /// Everything a compile leaves behind, down to the segments and the kept spans.
    fn inside(c: &Compiled) -> impl PartialEq + std::fmt::Debug {
        let l = &c.list;
        (
            l.v4.segments().collect::<Vec<_>>(),
            l.v6.segments().collect::<Vec<_>>(),
            l.texts
                .iter()
                .map(|(i, t)| (i, t.to_string()))
                .collect::<Vec<_>>(),
            l.names.clone(),
            l.counts,
            (l.raw_v4.clone(), l.raw_v6.clone(), l.single.clone()),
            c.rejected.clone(),
        )
    }

    proptest! {
        /// Editing the compiled list in place leaves exactly what compiling the edited
        /// text does, for few edits (one by one) and many (rebuilt).
        #[test]
        fn apply_is_a_compile_of_the_edited_text(
            start in prop::collection::vec(0usize..16, 0..24),
            steps in prop::collection::vec(
                (any::<bool>(), prop::collection::vec(0usize..16, 1..4)), 1..12),
        ) {
            let mut text = words(&start);
            let before = HostList::compile(text.iter().map(String::as_str));
            let edits: Vec<(bool, Vec<String>)> =
                steps.iter().map(|(remove, picks)| (*remove, words(picks))).collect();
            for (remove, values) in &edits {
                match remove {
                    true => text.retain(|t| !values.contains(t)),
                    false => text.extend(values.iter().cloned()),
                }
            }
            let as_edits: Vec<Edit<'_>> = edits
                .iter()
                .map(|(remove, v)| if *remove { Edit::Remove(v) } else { Edit::Append(v) })
                .collect();
            let applied = before.list.apply(&before.rejected, &as_edits);
            let fresh = HostList::compile(text.iter().map(String::as_str));
            prop_assert_eq!(inside(&applied), inside(&fresh), "{:?}", text);
        }
    }
}
