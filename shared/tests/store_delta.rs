//! The store's delta: small edits land beside the domain file, readers see them exactly
//! as if the file had been rewritten, and anything the delta cannot vouch for is read
//! whole.

use std::fs;

use shared::store::{Change, Domain, Since, Store, StoreError, DELTA_FILE, DELTA_MAX_CHANGES};

const KEY: &str = "open_relay_addr_list";

fn store_with_list(n: usize) -> (tempfile::TempDir, Store, u32) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::new(dir.path().join("store"));
    let id = store
        .update(|d| -> Result<u32, StoreError> {
            let id = d.create("/config/AppleMailServer")?;
            d.create_prop(
                id,
                KEY,
                (0..n)
                    .map(|i| format!("10.0.{}.{}", i / 256, i % 256))
                    .collect(),
            )?;
            Ok(id)
        })
        .unwrap();
    (dir, store, id)
}

fn values(d: &Domain) -> Vec<String> {
    d.lookup("/config/AppleMailServer")
        .unwrap()
        .values(KEY)
        .unwrap()
        .to_vec()
}

#[test]
fn small_edits_go_to_the_delta_and_read_back_the_same() {
    let (_t, store, id) = store_with_list(1000);
    let before = fs::read(store.file()).unwrap();
    store
        .update(|d| d.merge_prop(id, KEY, vec!["192.0.2.1".into()]))
        .unwrap();
    store
        .update(|d| d.destroy_vals(id, KEY, &["10.0.0.5".into()]))
        .unwrap();
    store
        .update(|d| d.append_prop(id, KEY, vec!["10.0.0.7".into()]))
        .unwrap();
    assert_eq!(
        fs::read(store.file()).unwrap(),
        before,
        "the domain file is not rewritten"
    );
    assert!(store.dir().join(DELTA_FILE).exists());
    let d = store.load().unwrap();
    assert_eq!(d.serial(), 4);
    let v = values(&d);
    assert_eq!(v.len(), 1001);
    assert!(!v.contains(&"10.0.0.5".to_string()));
    assert_eq!(&v[v.len() - 2..], ["192.0.2.1", "10.0.0.7"]);
    let mode = fs::metadata(store.dir().join(DELTA_FILE)).unwrap();
    assert_eq!(
        std::os::unix::fs::PermissionsExt::mode(&mode.permissions()) & 0o777,
        0o640
    );
}

#[test]
fn a_full_delta_or_another_kind_of_edit_rewrites_the_file_and_drops_the_delta() {
    let (_t, store, id) = store_with_list(10);
    for i in 0..DELTA_MAX_CHANGES + 1 {
        store
            .update(|d| {
                d.merge_prop(
                    id,
                    KEY,
                    vec![format!("192.0.2.{}", i % 250), format!("x{i}.example")],
                )
            })
            .unwrap();
    }
    // The write that found the delta full went whole.
    assert!(!store.dir().join(DELTA_FILE).exists());
    assert_eq!(
        values(&store.load().unwrap()).len(),
        10 + 250 + DELTA_MAX_CHANGES + 1
    );
    store
        .update(|d| d.merge_prop(id, KEY, vec!["198.51.100.1".into()]))
        .unwrap();
    assert!(store.dir().join(DELTA_FILE).exists());
    store
        .update(|d| d.create_prop(id, "smtp_auth_flag", vec!["1".into()]))
        .unwrap();
    assert!(!store.dir().join(DELTA_FILE).exists());
    let d = store.load().unwrap();
    assert!(values(&d).contains(&"198.51.100.1".to_string()));
    assert_eq!(d.serial(), 2 + DELTA_MAX_CHANGES as u64 + 2);
}

#[test]
fn a_big_edit_is_one_whole_write() {
    let (_t, store, id) = store_with_list(10);
    let many: Vec<String> = (0..5000)
        .map(|i| format!("172.16.{}.{}", i / 256, i % 256))
        .collect();
    store.update(|d| d.merge_prop(id, KEY, many)).unwrap();
    assert!(!store.dir().join(DELTA_FILE).exists());
    assert_eq!(values(&store.load().unwrap()).len(), 5010);
}

#[test]
fn a_delta_for_another_domain_file_is_ignored() {
    let (_t, store, id) = store_with_list(10);
    store
        .update(|d| d.merge_prop(id, KEY, vec!["192.0.2.1".into()]))
        .unwrap();
    // An administrator restores the domain file by hand (same serial, other bytes).
    let text = fs::read_to_string(store.file())
        .unwrap()
        .replace("10.0.0.3", "10.0.0.33");
    fs::write(store.file(), text).unwrap();
    let v = values(&store.load().unwrap());
    assert!(v.contains(&"10.0.0.33".to_string()));
    assert!(!v.contains(&"192.0.2.1".to_string()), "stale delta applied");
    // The next write starts a delta on the file as it is now.
    store
        .update(|d| d.merge_prop(id, KEY, vec!["192.0.2.2".into()]))
        .unwrap();
    let v = values(&store.load().unwrap());
    assert!(v.contains(&"10.0.0.33".to_string()) && v.contains(&"192.0.2.2".to_string()));
    assert!(!v.contains(&"192.0.2.1".to_string()));
}

#[test]
fn a_damaged_delta_is_an_error_naming_it_and_is_never_overwritten() {
    let (_t, store, id) = store_with_list(10);
    store
        .update(|d| d.merge_prop(id, KEY, vec!["192.0.2.1".into()]))
        .unwrap();
    let path = store.dir().join(DELTA_FILE);
    let mut bytes = fs::read(&path).unwrap();
    bytes.truncate(bytes.len() / 2);
    fs::write(&path, &bytes).unwrap();
    let err = store.load().unwrap_err().to_string();
    assert!(err.contains(DELTA_FILE), "{err}");
    let err = store
        .update(|d| d.merge_prop(id, KEY, vec!["192.0.2.9".into()]))
        .unwrap_err();
    assert!(err.to_string().contains(DELTA_FILE));
    assert_eq!(fs::read(&path).unwrap(), bytes);
}

#[test]
fn a_reader_gets_only_what_was_added_since() {
    let (_t, store, id) = store_with_list(10);
    let seen = store.read().unwrap();
    assert!(matches!(
        store.changes_since(&seen.version).unwrap(),
        Since::Unchanged
    ));
    store
        .update(|d| d.merge_prop(id, KEY, vec!["192.0.2.1".into()]))
        .unwrap();
    let Since::Grew {
        changes,
        serial,
        version,
    } = store.changes_since(&seen.version).unwrap()
    else {
        panic!("expected the delta to have grown");
    };
    assert_eq!(serial, 2);
    assert_eq!(
        changes,
        [Change::Append {
            dir: id,
            key: KEY.into(),
            values: vec!["192.0.2.1".into()]
        }]
    );
    store
        .update(|d| d.destroy_vals(id, KEY, &["10.0.0.1".into()]))
        .unwrap();
    let Since::Grew {
        changes,
        serial,
        version: later,
    } = store.changes_since(&version).unwrap()
    else {
        panic!("expected the delta to have grown");
    };
    assert_eq!(serial, 3);
    assert_eq!(
        changes,
        [Change::Remove {
            dir: id,
            key: KEY.into(),
            values: vec!["10.0.0.1".into()]
        }]
    );
    assert!(matches!(
        store.changes_since(&later).unwrap(),
        Since::Unchanged
    ));
    // A reader that read after the delta existed sees the same.
    assert_eq!(store.read().unwrap().version, later);
    store
        .update(|d| d.create_prop(id, "smtp_auth_flag", vec!["1".into()]))
        .unwrap();
    assert!(matches!(
        store.changes_since(&later).unwrap(),
        Since::Rewritten
    ));
}

/// Random sequences of edits through the store read back exactly as the same edits
/// made in memory, whichever of them went to the delta.
#[test]
fn random_edits_read_back_as_made() {
    let (_t, store, id) = store_with_list(20);
    let mut mirror = store.load().unwrap();
    let mut seed = 0x9e3779b97f4a7c15u64;
    let mut next = move |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    for step in 0..600 {
        let v = format!("10.0.0.{}", next(40));
        let op = next(20);
        let edit = |d: &mut Domain| -> Result<(), StoreError> {
            match op {
                0..=7 => d.merge_prop(id, KEY, vec![v.clone()]).map(|_| ()),
                8..=11 => d
                    .destroy_vals(id, KEY, std::slice::from_ref(&v))
                    .map(|_| ()),
                12..=16 => d.append_prop(id, KEY, vec![v.clone(), v.clone()]),
                17 => d.append_prop(id, "other", vec![v.clone()]),
                18 => d.create_prop(id, "flag", vec![step.to_string()]),
                _ => d.insert_val(id, KEY, v.clone(), 3),
            }
        };
        edit(&mut mirror).unwrap();
        store.update(edit).unwrap();
        let got = store.load().unwrap();
        let dir = |d: &Domain| d.dir(id).unwrap().properties.clone();
        assert_eq!(dir(&got), dir(&mirror), "after step {step}");
    }
}
