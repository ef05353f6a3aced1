//! The Postfix policy request reader (`relayd/src/policyd/request.rs`, included by
//! path): any byte stream, in any chunks, gives requests, a clean end, or a refusal of
//! the protocol's form; never a panic, never a line or a request past its bounds.
#![no_main]
use libfuzzer_sys::fuzz_target;
use tokio::io::BufReader;

#[path = "../../relayd/src/policyd/request.rs"]
#[allow(dead_code)]
mod request;

fuzz_target!(|data: &[u8]| {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    let mut reader = BufReader::with_capacity(7, data);
    rt.block_on(async {
        // As the service does: requests until the end or the first refusal.
        for _ in 0..1000 {
            match request::request(&mut reader).await {
                Ok(Some(Ok(attributes))) => {
                    assert!(attributes.len() <= request::MAX_ATTRIBUTES);
                    for (k, v) in &attributes {
                        assert!(!k.contains('\n') && !v.contains('\n'));
                        assert!((k.len() + v.len()) as u64 <= request::MAX_LINE);
                    }
                }
                Ok(Some(Err(_))) | Ok(None) | Err(_) => return,
            }
        }
    });
});
