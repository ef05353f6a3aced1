//! A map keyed by borrowed text that stays a plain vector while it is small.
//!
//! Edits to a long list usually name one or two values, and each of the list's 100,000
//! entries is then looked up in them: comparing against two strings is several times
//! cheaper than hashing every entry, so the store's replay, the host list's edit and
//! relayctl's removal all look up through this.

use std::collections::HashMap;

/// Past this many keys, hashing wins.
const FEW: usize = 8;

#[derive(Debug, Clone)]
pub enum TextMap<'a, V> {
    Few(Vec<(&'a str, V)>),
    Many(HashMap<&'a str, V>),
}

impl<V> Default for TextMap<'_, V> {
    fn default() -> Self {
        TextMap::Few(Vec::new())
    }
}

impl<'a, V> TextMap<'a, V> {
    /// Sets `key` to `value`, replacing an earlier value.
    pub fn insert(&mut self, key: &'a str, value: V) {
        match self {
            TextMap::Few(pairs) => {
                if let Some(pair) = pairs.iter_mut().find(|(k, _)| *k == key) {
                    pair.1 = value;
                } else if pairs.len() < FEW {
                    pairs.push((key, value));
                } else {
                    let mut map: HashMap<&'a str, V> = std::mem::take(pairs).into_iter().collect();
                    map.insert(key, value);
                    *self = TextMap::Many(map);
                }
            }
            TextMap::Many(map) => {
                map.insert(key, value);
            }
        }
    }

    pub fn get(&self, key: &str) -> Option<&V> {
        match self {
            TextMap::Few(pairs) => pairs.iter().find(|(k, _)| *k == key).map(|(_, v)| v),
            TextMap::Many(map) => map.get(key),
        }
    }

    pub fn contains(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    pub fn is_empty(&self) -> bool {
        match self {
            TextMap::Few(pairs) => pairs.is_empty(),
            TextMap::Many(map) => map.is_empty(),
        }
    }
}

/// A set of texts: the keys of a map to nothing.
pub type TextSet<'a> = TextMap<'a, ()>;

impl<'a> FromIterator<&'a str> for TextSet<'a> {
    fn from_iter<I: IntoIterator<Item = &'a str>>(iter: I) -> Self {
        let mut set = TextSet::default();
        for key in iter {
            set.insert(key, ());
        }
        set
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_and_large_answer_alike() {
        let keys: Vec<String> = (0..20).map(|i| format!("10.0.0.{i}")).collect();
        for n in [0, 1, FEW, FEW + 1, 20] {
            let set: TextSet<'_> = keys[..n].iter().map(String::as_str).collect();
            assert_eq!(matches!(set, TextMap::Many(_)), n > FEW);
            for (i, k) in keys.iter().enumerate() {
                assert_eq!(set.contains(k), i < n, "{n} keys, {k}");
            }
        }
        let mut m = TextMap::default();
        m.insert("a", 1);
        m.insert("a", 2);
        assert_eq!(m.get("a"), Some(&2));
        assert!(!m.is_empty() && m.get("b").is_none());
    }
}
