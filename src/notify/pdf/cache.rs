//! Per-process caches of shaped text. A letter's wording repeats from letter to letter (only the
//! names, addresses and dates change), and shaping a line with rustybuzz costs tens of
//! microseconds: shaping each line once per process instead of once per letter is most of what a
//! letter used to cost.
//!
//! Both caches are bounded: when full they are emptied and fill again with what is in use, which
//! for letters is the wording of the kinds and languages being relayed.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};

use super::fonts::{FontSet, Style};
use super::shape::{self, Shaped};

/// A map that forgets everything when it reaches `cap` entries.
pub struct Bounded<K, V> {
    cap: usize,
    map: Mutex<HashMap<K, V>>,
}

impl<K: Eq + Hash, V: Clone> Bounded<K, V> {
    /// An empty cache of at most `cap` entries.
    pub fn new(cap: usize) -> Self {
        Self {
            cap,
            map: Mutex::new(HashMap::new()),
        }
    }

    /// The value for `key`, computed by `make` (outside the lock) when it is not cached.
    pub fn get_or(&self, key: K, make: impl FnOnce() -> V) -> V {
        if let Some(v) = self.lock().get(&key) {
            return v.clone();
        }
        let v = make();
        let mut map = self.lock();
        if map.len() >= self.cap {
            map.clear();
        }
        map.insert(key, v.clone());
        v
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<K, V>> {
        self.map.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Key of a shaped text: the font set (by address: one per process and directory), the weight
/// and the text.
type Key = (usize, Style, String);

/// Lines kept shaped: a line of glyphs is a few kilobytes, so at most a few tens of megabytes.
const LINES_KEPT: usize = 8_192;

/// Widths kept (the words of the wording; names do not repeat).
const WIDTHS_KEPT: usize = 100_000;

fn key(fonts: &FontSet, style: Style, text: &str) -> Key {
    (std::ptr::from_ref(fonts) as usize, style, text.to_string())
}

/// `text` shaped in `style`, shaped once per process while it stays in the cache.
pub fn shaped(fonts: &FontSet, style: Style, text: &str) -> Result<Arc<Shaped>, char> {
    static LINES: std::sync::OnceLock<Bounded<Key, Result<Arc<Shaped>, char>>> =
        std::sync::OnceLock::new();
    LINES
        .get_or_init(|| Bounded::new(LINES_KEPT))
        .get_or(key(fonts, style, text), || {
            shape::shape(fonts, style, text).map(Arc::new)
        })
}

/// Width of `text` in em (a character no font covers counts half an em).
pub fn width_em(fonts: &FontSet, style: Style, text: &str) -> f32 {
    static WIDTHS: std::sync::OnceLock<Bounded<Key, f32>> = std::sync::OnceLock::new();
    WIDTHS
        .get_or_init(|| Bounded::new(WIDTHS_KEPT))
        .get_or(key(fonts, style, text), || {
            match shape::shape(fonts, style, text) {
                Ok(s) => s.width,
                Err(_) => 0.5 * text.chars().count() as f32,
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_cache_starts_over_and_keeps_answering() {
        let cache = Bounded::new(2);
        assert_eq!(cache.get_or(1, || "a"), "a");
        assert_eq!(cache.get_or(1, || "not computed again"), "a");
        cache.get_or(2, || "b");
        assert_eq!(cache.get_or(3, || "c"), "c");
        assert_eq!(cache.lock().len(), 1, "emptied when full, then filled");
        assert_eq!(cache.get_or(1, || "a again"), "a again");
    }
}
