//! What a followed answer prints at each refresh when it is not the whole answer again: the new
//! rows of a listing (`spans`, `logs`), and the time buckets of `latency --every` once closed.

use std::time::{Duration, Instant};

/// The rows a followed listing printed already (`spans`, `logs`), by what tells them apart:
/// each print shows the rows of the answer not shown before. A row not `ready` yet (a log record
/// whose request has not arrived) is held back, for `hold` at most.
pub struct NewRows<K> {
    printed: std::collections::HashMap<K, usize>,
    held: std::collections::HashMap<K, Instant>,
    hold: Duration,
}

impl<K: std::hash::Hash + Eq + Clone> NewRows<K> {
    pub fn new(hold: Duration) -> Self {
        NewRows { printed: Default::default(), held: Default::default(), hold }
    }

    /// The rows of `all` not printed yet and ready (or held long enough), now counted as printed.
    pub fn take<T>(&mut self, all: Vec<T>, key: impl Fn(&T) -> K, ready: impl Fn(&T) -> bool) -> Vec<T> {
        let mut seen: std::collections::HashMap<K, usize> = std::collections::HashMap::new();
        let mut new = Vec::new();
        for row in all {
            let k = key(&row);
            let n = seen.entry(k.clone()).or_insert(0);
            *n += 1;
            if *n <= self.printed.get(&k).copied().unwrap_or(0) {
                continue;
            }
            let waited = self.held.entry(k.clone()).or_insert_with(Instant::now).elapsed() >= self.hold;
            if ready(&row) || waited {
                self.held.remove(&k);
                *self.printed.entry(k).or_insert(0) += 1;
                new.push(row);
            }
        }
        new
    }

    /// Whether nothing was printed yet.
    pub fn none(&self) -> bool {
        self.printed.is_empty()
    }
}

/// `latency --every W` followed into a pipe: each bucket is printed once, when closed (records
/// later than its end plus `grace` have come). Requests that come for a bucket already printed
/// are counted, to be said at the end.
pub struct Buckets {
    every: i64,
    grace: i64,
    /// Buckets starting before this were printed.
    closed: i64,
    /// Requests in printed buckets when last looked at, and those that came after.
    before: usize,
    pub late: usize,
}

impl Buckets {
    pub fn new(every: i64, grace: i64) -> Buckets {
        Buckets { every, grace, closed: i64::MIN, before: 0, late: 0 }
    }

    /// The buckets to print now, given the requests' start times and the newest record's time
    /// (`last`: every bucket left); `None` when none closed since the last print.
    pub fn closed(&mut self, starts: &[i64], newest: Option<i64>, last: bool) -> Option<std::ops::Range<i64>> {
        let now = starts.iter().filter(|s| **s < self.closed).count();
        self.late += now.saturating_sub(self.before);
        self.before = now;
        let upto = match newest {
            _ if last => i64::MAX,
            None => return None,
            Some(t) => crate::cmd::latency::closed_before(t, self.grace, self.every),
        };
        if upto <= self.closed {
            return None;
        }
        self.before = starts.iter().filter(|s| **s < upto).count();
        let range = self.closed..upto;
        self.closed = upto;
        Some(range)
    }
}
