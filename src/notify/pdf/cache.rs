//! Per-process caches of shaped text. A letter's wording repeats from letter to letter (only the
//! names, addresses and dates change), and shaping a line with rustybuzz costs tens of
//! microseconds: shaping each line once per process instead of once per letter is most of what a
//! letter used to cost.
//!
//! Both caches are bounded: when full they are emptied and fill again with what is in use, which
//! for letters is the wording of the kinds and languages being relayed.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, RwLock};

use foldhash::fast::RandomState;

use super::fonts::{FontSet, Style};
use super::shape::{self, Shaped};

/// Which texts: the font set (by address: one per process and directory) and the weight.
type Family = (usize, Style);

/// Each family's texts. Hashed with foldhash: the texts are looked up for every word and line
/// of every letter, and SipHash was a visible part of that.
type Texts<F, V> = HashMap<F, HashMap<String, V, RandomState>, RandomState>;

/// A map of texts per family (font set and weight, and whatever else the value depends on) that
/// forgets everything when it reaches `cap` entries. Looked up by `&str`, so a hit allocates
/// nothing, and behind a read-write lock, so the threads writing a batch's letters look words up
/// side by side.
pub struct Bounded<F, V> {
    cap: usize,
    /// Entries held, and the texts of each family.
    map: RwLock<(usize, Texts<F, V>)>,
}

impl<F: Hash + Eq + Copy, V: Clone> Bounded<F, V> {
    /// An empty cache of at most `cap` entries.
    pub fn new(cap: usize) -> Self {
        Self {
            cap,
            map: RwLock::new((0, HashMap::default())),
        }
    }

    /// The value for `text` in `family`, computed by `make` (outside the lock) when it is not
    /// cached.
    pub fn get_or(&self, family: F, text: &str, make: impl FnOnce() -> V) -> V {
        {
            let map = self.map.read().unwrap_or_else(|e| e.into_inner());
            if let Some(v) = map.1.get(&family).and_then(|m| m.get(text)) {
                return v.clone();
            }
        }
        let v = make();
        let mut map = self.map.write().unwrap_or_else(|e| e.into_inner());
        let (len, families) = &mut *map;
        if *len >= self.cap {
            families.clear();
            *len = 0;
        }
        let texts = families.entry(family).or_default();
        if texts.insert(text.to_string(), v.clone()).is_none() {
            *len += 1;
        }
        v
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.map.read().unwrap_or_else(|e| e.into_inner()).0
    }
}

/// Lines kept shaped: a line of glyphs is a few kilobytes, so at most a few tens of megabytes.
const LINES_KEPT: usize = 8_192;

/// Widths kept (the words of the wording; names do not repeat).
const WIDTHS_KEPT: usize = 100_000;

fn family(fonts: &FontSet, style: Style) -> Family {
    (std::ptr::from_ref(fonts) as usize, style)
}

/// `text` shaped in `style`, shaped once per process while it stays in the cache.
pub fn shaped(fonts: &FontSet, style: Style, text: &str) -> Result<Arc<Shaped>, char> {
    static LINES: std::sync::OnceLock<Bounded<Family, Result<Arc<Shaped>, char>>> =
        std::sync::OnceLock::new();
    LINES
        .get_or_init(|| Bounded::new(LINES_KEPT))
        .get_or(family(fonts, style), text, || {
            shape::shape(fonts, style, text).map(Arc::new)
        })
}

/// Width of `text` in em (a character no font covers counts half an em).
pub fn width_em(fonts: &FontSet, style: Style, text: &str) -> f32 {
    static WIDTHS: std::sync::OnceLock<Bounded<Family, f32>> = std::sync::OnceLock::new();
    WIDTHS
        .get_or_init(|| Bounded::new(WIDTHS_KEPT))
        .get_or(family(fonts, style), text, || {
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
        let (a, b) = ((1, Style::Regular), (1, Style::Bold));
        assert_eq!(cache.get_or(a, "1", || "a"), "a");
        assert_eq!(cache.get_or(a, "1", || "not computed again"), "a");
        assert_eq!(cache.get_or(b, "1", || "bold"), "bold", "weights apart");
        assert_eq!(cache.get_or(a, "3", || "c"), "c");
        assert_eq!(cache.len(), 1, "emptied when full, then filled");
        assert_eq!(cache.get_or(a, "1", || "a again"), "a again");
    }
}
