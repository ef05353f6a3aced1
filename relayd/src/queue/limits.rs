//! How many delivery attempts may go to one next hop at once
//! (`max_deliveries_per_destination`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Per-destination slots.
#[derive(Default)]
pub struct Limits {
    per_hop: Mutex<HashMap<String, Arc<Semaphore>>>,
}

impl Limits {
    /// A slot for `hop`, waiting while `max` attempts to it are in flight.
    pub async fn acquire(&self, hop: &str, max: usize) -> Option<OwnedSemaphorePermit> {
        let sem = {
            let mut map = self.per_hop.lock().ok()?;
            Arc::clone(
                map.entry(hop.to_string())
                    .or_insert_with(|| Arc::new(Semaphore::new(max.max(1)))),
            )
        };
        sem.acquire_owned().await.ok()
    }
}
