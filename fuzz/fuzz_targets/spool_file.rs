//! The spool file reader: whatever a queue file holds (damage, a crash's leftovers),
//! reading it gives the message or an error, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

thread_local! {
    static DIR: tempfile::TempDir = tempfile::tempdir().expect("a scratch folder");
}

fuzz_target!(|data: &[u8]| {
    DIR.with(|dir| {
        let spool = shared::spool::Spool::new(dir.path());
        if spool.ensure_dirs().is_err() {
            return;
        }
        let id = "0006B0FA92CE230421D753E50000";
        if std::fs::write(spool.queue_dir().join(id), data).is_ok() {
            let _ = spool.read(id);
            let _ = spool.envelope(id);
            let _ = shared::queue_state::load(dir.path(), id, &[]);
        }
    });
});
