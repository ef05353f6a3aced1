//! The fast reader of the store's own layout against the general property-list parser:
//! whatever the fast one accepts, the general one reads the same.

use std::path::Path;

use shared::store::{decode, decode_any, encode, Domain, Property};

struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

const PIECES: &[&str] = &[
    "",
    " ",
    "a",
    "10.0.0.1",
    "&",
    "<",
    ">",
    "\"",
    "'",
    "&amp;",
    "]]>",
    "\t",
    "\n",
    "\r",
    "\r\n",
    "é",
    "名",
    " x ",
    "#",
    ";",
    "\u{1F600}",
];

fn text(r: &mut Rng) -> String {
    (0..r.below(4))
        .map(|_| PIECES[r.below(PIECES.len() as u64) as usize])
        .collect()
}

fn domain(r: &mut Rng) -> Domain {
    let mut d = Domain::new();
    for i in 0..r.below(5) {
        let id = d.create(&format!("/d{i}")).unwrap();
        let props = (0..r.below(4))
            .map(|k| Property {
                key: format!("k{k}{}", text(r).replace(['\r', '\n', '\t'], "")),
                values: (0..r.below(4)).map(|_| text(r)).collect(),
            })
            .collect();
        d.set_properties(id, props).unwrap();
        if r.below(2) == 0 {
            d.create(&format!("/d{i}/sub")).unwrap();
        }
    }
    d
}

fn same(a: &Domain, b: &Domain) -> bool {
    a.serial() == b.serial() && encode(a).unwrap() == encode(b).unwrap()
}

#[test]
fn the_fast_reader_reads_what_the_general_one_reads() {
    let mut r = Rng(0x853c49e6748fea9b);
    let file = Path::new("domain.plist");
    let mut damaged_accepted = 0;
    for _ in 0..400 {
        let d = domain(&mut r);
        let bytes = encode(&d).unwrap();
        let general = decode_any(&bytes, file).unwrap();
        assert!(same(&decode(&bytes, file).unwrap(), &general));
        assert!(same(&general, &d) || bytes.contains(&b'\r'));
        // Damage: a byte changed, removed or repeated somewhere.
        for _ in 0..20 {
            let mut bad = bytes.clone();
            let at = r.below(bad.len() as u64) as usize;
            match r.below(3) {
                0 => bad[at] = b"<>&;/ a0\t\"x#"[r.below(12) as usize],
                1 => {
                    bad.remove(at);
                }
                _ => bad.insert(at, bad[at]),
            }
            match (decode(&bad, file), decode_any(&bad, file)) {
                (Ok(fast), Ok(general)) => {
                    damaged_accepted += 1;
                    assert!(same(&fast, &general), "{}", String::from_utf8_lossy(&bad));
                }
                (Err(_), Err(_)) => {}
                (fast, general) => panic!(
                    "readers disagree on {}: fast {:?}, general {:?}",
                    String::from_utf8_lossy(&bad),
                    fast.map(|d| d.serial()),
                    general.map(|d| d.serial())
                ),
            }
        }
    }
    assert!(
        damaged_accepted > 0,
        "no damage left a readable file: the comparison saw nothing"
    );
}

#[test]
fn other_spellings_of_the_same_plist_still_read() {
    let mut d = Domain::new();
    let id = d.create("/config").unwrap();
    d.create_prop(id, "k", vec!["a&b".into(), "".into()])
        .unwrap();
    let bytes = String::from_utf8(encode(&d).unwrap()).unwrap();
    let file = Path::new("domain.plist");
    for variant in [
        bytes.replace("\t", "  "),
        bytes.replace("<string>a&amp;b</string>", "<string>a&#38;b</string>"),
        bytes.replace("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", ""),
        bytes.replace("<array/>", "<array></array>"),
        bytes.replace("<dict>", "<!-- note --><dict>"),
    ] {
        let got = decode(variant.as_bytes(), file).unwrap();
        assert!(same(&got, &d), "{variant}");
    }
}
