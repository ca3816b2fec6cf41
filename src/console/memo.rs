//! Whole-run aggregates kept in memory while their run is unchanged.
//!
//! The Run page's table by court and the Report each group every case of a run (300,000 rows
//! joined to their cases, outcomes and offers: seconds), and the What if evaluates every case
//! again. None of that changes until the run's outcomes or some offer's state do, so each result
//! is kept with the [`Stamp`] of the run it was computed on, and recomputed only when the stamp
//! moved. A What if is computed in the background: its page says so and refreshes itself.

use std::any::Any;
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Instant;

pub use crate::store::run_views::Stamp;

/// Results kept at most (the least recently used go first).
const CAPACITY: usize = 64;

type Value = Arc<dyn Any + Send + Sync>;

enum Slot {
    Ready(Value),
    Computing,
}

struct Entry {
    stamp: Stamp,
    slot: Slot,
    used: Instant,
}

/// Results by key (page, run and parameters), each with the stamp of its run.
#[derive(Default)]
pub struct Memo {
    entries: Mutex<HashMap<String, Entry>>,
}

impl Memo {
    fn lookup<T: Send + Sync + 'static>(&self, key: &str, stamp: Stamp) -> Option<Option<Arc<T>>> {
        let mut map = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let e = map.get_mut(key).filter(|e| e.stamp == stamp)?;
        e.used = Instant::now();
        Some(match &e.slot {
            Slot::Ready(v) => v.clone().downcast::<T>().ok(),
            Slot::Computing => None,
        })
    }

    fn put(&self, key: &str, stamp: Stamp, slot: Slot) {
        let mut map = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= CAPACITY && !map.contains_key(key) {
            let oldest = map
                .iter()
                .min_by_key(|(_, e)| e.used)
                .map(|(k, _)| k.clone());
            if let Some(k) = oldest {
                map.remove(&k);
            }
        }
        let used = Instant::now();
        map.insert(key.to_string(), Entry { stamp, slot, used });
    }

    /// The result under `key` for `stamp`, computing it with `make` (and keeping it) when there
    /// is none.
    pub async fn get_or_compute<T, E, F>(
        &self,
        key: &str,
        stamp: Stamp,
        make: F,
    ) -> Result<Arc<T>, E>
    where
        T: Send + Sync + 'static,
        F: Future<Output = Result<T, E>>,
    {
        if let Some(Some(v)) = self.lookup::<T>(key, stamp) {
            return Ok(v);
        }
        let v = Arc::new(make.await?);
        self.put(key, stamp, Slot::Ready(v.clone()));
        Ok(v)
    }

    /// The result under `key` for `stamp` if it is ready; otherwise `None`, after starting
    /// `make` in the background unless it is already running. A failed computation is logged
    /// and forgotten, so the next request tries again.
    pub fn in_background<T, E, F>(
        self: &Arc<Self>,
        key: &str,
        stamp: Stamp,
        make: F,
    ) -> Option<Arc<T>>
    where
        T: Send + Sync + 'static,
        E: std::fmt::Display + Send + 'static,
        F: Future<Output = Result<T, E>> + Send + 'static,
    {
        match self.lookup::<T>(key, stamp) {
            Some(Some(v)) => return Some(v),
            Some(None) => return None,
            None => {}
        }
        self.put(key, stamp, Slot::Computing);
        let (memo, key) = (self.clone(), key.to_string());
        tokio::spawn(async move {
            match make.await {
                Ok(v) => memo.put(&key, stamp, Slot::Ready(Arc::new(v))),
                Err(e) => {
                    tracing::error!(error = %e, "A console aggregate failed.");
                    let mut map = memo.entries.lock().unwrap_or_else(|e| e.into_inner());
                    map.remove(&key);
                }
            }
        });
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_result_is_kept_until_its_run_changes() {
        let memo = Memo::default();
        let (a, b) = (Stamp::new(10, 3), Stamp::new(11, 3));
        let one = memo
            .get_or_compute("k", a, async { Ok::<_, ()>(1) })
            .await
            .unwrap();
        let kept = memo
            .get_or_compute("k", a, async { Ok::<_, ()>(2) })
            .await
            .unwrap();
        let moved = memo
            .get_or_compute("k", b, async { Ok::<_, ()>(3) })
            .await
            .unwrap();
        assert_eq!((*one, *kept, *moved), (1, 1, 3));
    }

    #[tokio::test]
    async fn a_background_result_is_ready_on_a_later_request() {
        let memo = Arc::new(Memo::default());
        let s = Stamp::new(1, 1);
        let first = memo.in_background("w", s, async { Ok::<_, String>(7) });
        assert!(first.is_none());
        let mut got = None;
        for _ in 0..100 {
            got = memo.in_background("w", s, async { Ok::<_, String>(8) });
            if got.is_some() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        assert_eq!(
            got.as_deref(),
            Some(&7),
            "computed once, by the first request"
        );
        let failed = memo.in_background("x", s, async { Err::<u8, _>("no".to_string()) });
        assert!(failed.is_none());
    }
}
