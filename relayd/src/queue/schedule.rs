//! When each queued message is due: ordered by time, so the runner takes the next due
//! message in O(log n) however long the queue is.

use std::collections::{BTreeSet, HashMap};

#[derive(Default)]
pub struct Schedule {
    when: HashMap<String, u64>,
    order: BTreeSet<(u64, String)>,
}

impl Schedule {
    pub fn from_map(due: HashMap<String, u64>) -> Schedule {
        let order = due.iter().map(|(id, t)| (*t, id.clone())).collect();
        Schedule { when: due, order }
    }

    /// Message `id` is due at `t` (replacing any earlier entry).
    pub fn set(&mut self, id: String, t: u64) {
        if let Some(old) = self.when.insert(id.clone(), t) {
            self.order.remove(&(old, id.clone()));
        }
        self.order.insert((t, id));
    }

    /// Takes the earliest message due by `now` out of the schedule.
    pub fn pop_due(&mut self, now: u64) -> Option<String> {
        let first = self.order.first()?;
        if first.0 > now {
            return None;
        }
        let (_, id) = self.order.pop_first()?;
        self.when.remove(&id);
        Some(id)
    }

    pub fn len(&self) -> usize {
        self.when.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn earliest_first_and_replaced_entries_move() {
        let mut s = Schedule::default();
        s.set("b".into(), 20);
        s.set("a".into(), 10);
        s.set("c".into(), 30);
        s.set("c".into(), 5);
        assert_eq!(s.len(), 3);
        assert_eq!(s.pop_due(15).as_deref(), Some("c"));
        assert_eq!(s.pop_due(15).as_deref(), Some("a"));
        assert_eq!(s.pop_due(15), None, "b is not due yet");
        assert_eq!(s.pop_due(20).as_deref(), Some("b"));
        assert_eq!(s.len(), 0);
    }
}
