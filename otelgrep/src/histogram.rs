//! Histograms as buckets: explicit bounds and exponential scales read into one shape, differenced
//! (cumulative exports), added (`--every`, per route) and estimated (percentiles, linear within a
//! bucket as Prometheus' `histogram_quantile` does). Pure arithmetic; `metrics` decides what to
//! show.

use std::collections::BTreeMap;

use crate::model::{MetricKind, PointValue};

/// A histogram as buckets `(lower, upper, count)` in ascending order, whatever its encoding.
#[derive(Debug, Clone, PartialEq)]
pub struct Hist {
    pub buckets: Vec<(f64, f64, u64)>,
    pub count: u64,
    pub sum: Option<f64>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    /// An exponential histogram's own buckets, which merge exactly across scales and offsets.
    exp: Option<Exp>,
}

/// Exponential buckets by index: `scale`, the zero count, positive and negative index → count.
#[derive(Debug, Clone, PartialEq)]
struct Exp {
    scale: i32,
    zero: u64,
    positive: BTreeMap<i32, u64>,
    negative: BTreeMap<i32, u64>,
}

impl Exp {
    /// The same counts at a coarser scale: bucket `i` at scale `s` lies in bucket `i >> (s - t)`
    /// at scale `t` (each step down merges pairs of buckets).
    fn at_scale(&self, t: i32) -> Exp {
        let shift = (self.scale - t).max(0) as u32;
        let down = |m: &BTreeMap<i32, u64>| {
            let mut out = BTreeMap::new();
            for (i, c) in m {
                let e = out.entry(i >> shift).or_insert(0u64);
                *e = e.saturating_add(*c);
            }
            out
        };
        Exp {
            scale: self.scale.min(t),
            zero: self.zero,
            positive: down(&self.positive),
            negative: down(&self.negative),
        }
    }

    /// The buckets in ascending order.
    fn buckets(&self) -> Vec<(f64, f64, u64)> {
        let bound = |i: i32| exp_bound(self.scale, i64::from(i));
        let mut out: Vec<(f64, f64, u64)> =
            self.negative.iter().rev().map(|(i, c)| (-bound(i + 1), -bound(*i), *c)).collect();
        out.push((0.0, 0.0, self.zero));
        out.extend(self.positive.iter().map(|(i, c)| (bound(*i), bound(i + 1), *c)));
        out
    }

    /// `self ± other` at the coarser of the two scales; `None` when a count would go negative.
    fn combine(&self, other: &Exp, add: bool) -> Option<Exp> {
        let t = self.scale.min(other.scale);
        let (mut a, b) = (self.at_scale(t), other.at_scale(t));
        let apply = |x: u64, y: u64| if add { Some(x.saturating_add(y)) } else { x.checked_sub(y) };
        a.zero = apply(a.zero, b.zero)?;
        for (mine, theirs) in [(&mut a.positive, &b.positive), (&mut a.negative, &b.negative)] {
            for (i, c) in theirs {
                let e = mine.entry(*i).or_insert(0);
                *e = apply(*e, *c)?;
            }
        }
        Some(a)
    }
}

/// The lower bound of exponential bucket `i` at `scale`: 2^(i / 2^scale) in one rounding, so that
/// bounds at whole powers of two are exact.
fn exp_bound(scale: i32, i: i64) -> f64 {
    2f64.powf(i as f64 * 2f64.powi(-scale))
}

/// Why a point's value cannot be right, when it cannot: a counter's number that is not finite,
/// or negative where the counter only goes up (deltas and totals would be NaN, or go down);
/// explicit bounds that are not one fewer than the counts (a histogram without buckets has
/// neither), ascending and not NaN; bucket counts that do not add up to the point's count (OTLP
/// says they must); an exponential histogram's bucket indices (offset plus position) beyond an
/// `i32`, bounds beyond what a double holds, or a scale the data model does not allow (-10 to
/// 20). Such a point would give buckets like `inf..inf`, wrap an index or poison a total: it is
/// left out, and said.
pub fn unreadable(kind: MetricKind, v: &PointValue) -> Option<String> {
    match v {
        PointValue::Double(d) if matches!(kind, MetricKind::Counter | MetricKind::UpDownCounter) && !d.is_finite() => {
            Some(format!("a counter value of {d}"))
        }
        PointValue::Double(d) if kind == MetricKind::Counter && *d < 0.0 => {
            Some("a negative value of a counter that only goes up".into())
        }
        PointValue::Int(i) if kind == MetricKind::Counter && *i < 0 => {
            Some("a negative value of a counter that only goes up".into())
        }
        PointValue::Histogram { count, bounds, counts, .. } => {
            if !counts.is_empty() && counts.len() != bounds.len() + 1 {
                return Some(format!("{} bucket counts for {} bounds", counts.len(), bounds.len()));
            }
            if bounds.iter().any(|b| b.is_nan()) || bounds.windows(2).any(|w| w[0] >= w[1]) {
                return Some("bucket bounds that do not ascend".into());
            }
            let held: u128 = counts.iter().map(|&c| u128::from(c)).sum();
            if !counts.is_empty() && held != u128::from(*count) {
                return Some(format!("a count of {count} where its buckets hold {held}"));
            }
            None
        }
        PointValue::ExponentialHistogram {
            count,
            scale,
            zero_count,
            positive_offset,
            positive,
            negative_offset,
            negative,
            ..
        } => {
            if !(-10..=20).contains(scale) {
                return Some(format!("exponential scale {scale} (the data model allows -10 to 20)"));
            }
            let fits = |offset: i32, n: usize| i32::try_from(n).ok().and_then(|n| offset.checked_add(n)).is_some();
            if !fits(*positive_offset, positive.len()) || !fits(*negative_offset, negative.len()) {
                return Some("exponential bucket indices beyond the range of an index".into());
            }
            // The lowest and highest bounds of the buckets that hold values: 2^(i / 2^scale) past
            // a double's range is 0 or inf, a bucket no value can be in.
            let bound = |i: i64| exp_bound(*scale, i);
            for (offset, counts) in [(positive_offset, positive), (negative_offset, negative)] {
                let (Some(first), Some(last)) =
                    (counts.iter().position(|&c| c > 0), counts.iter().rposition(|&c| c > 0))
                else {
                    continue;
                };
                let (lo, hi) = (bound(i64::from(*offset) + first as i64), bound(i64::from(*offset) + last as i64 + 1));
                if lo == 0.0 || !hi.is_finite() {
                    return Some("exponential bucket bounds outside the range of a double".into());
                }
            }
            let held: u128 =
                positive.iter().chain(negative).map(|&c| u128::from(c)).sum::<u128>() + u128::from(*zero_count);
            if held != u128::from(*count) {
                return Some(format!("a count of {count} where its buckets hold {held}"));
            }
            None
        }
        _ => None,
    }
}

impl Hist {
    /// Explicit bounds `b0..bn` give `(-inf, b0], (b0, b1], ..., (bn, +inf)`; an exponential
    /// histogram's bucket `i` at scale `s` is `(base^i, base^(i+1)]` with `base = 2^(2^-s)`, negative
    /// buckets mirrored, and the zero bucket `[0, 0]`.
    pub fn from(v: &PointValue) -> Option<Hist> {
        match v {
            PointValue::Histogram { count, sum, min, max, bounds, counts } => {
                let mut buckets = Vec::with_capacity(counts.len());
                for (i, c) in counts.iter().enumerate() {
                    let lo =
                        if i == 0 { f64::NEG_INFINITY } else { bounds.get(i - 1).copied().unwrap_or(f64::INFINITY) };
                    let hi = bounds.get(i).copied().unwrap_or(f64::INFINITY);
                    buckets.push((lo, hi, *c));
                }
                Some(Hist { buckets, count: *count, sum: *sum, min: *min, max: *max, exp: None })
            }
            PointValue::ExponentialHistogram {
                count,
                sum,
                min,
                max,
                scale,
                zero_count,
                positive_offset,
                positive,
                negative_offset,
                negative,
            } => {
                let index = |offset: i32, counts: &[u64]| -> BTreeMap<i32, u64> {
                    counts
                        .iter()
                        .enumerate()
                        .filter(|(_, c)| **c > 0)
                        .map(|(k, c)| (offset.saturating_add(k as i32), *c))
                        .collect()
                };
                let exp = Exp {
                    scale: *scale,
                    zero: *zero_count,
                    positive: index(*positive_offset, positive),
                    negative: index(*negative_offset, negative),
                };
                Some(Hist { buckets: exp.buckets(), count: *count, sum: *sum, min: *min, max: *max, exp: Some(exp) })
            }
            _ => None,
        }
    }

    /// `self - earlier`, bucket by bucket, when both have the same buckets and nothing went down
    /// (else `None`: a reset, or a rescaled exponential histogram).
    pub fn minus(&self, earlier: &Hist) -> Option<Hist> {
        if self.count < earlier.count {
            return None;
        }
        if let (Some(a), Some(b)) = (&self.exp, &earlier.exp) {
            let exp = a.combine(b, false)?;
            return Some(Hist {
                buckets: exp.buckets(),
                count: self.count - earlier.count,
                sum: self.sum.zip(earlier.sum).map(|(a, b)| a - b),
                min: self.min,
                max: self.max,
                exp: Some(exp),
            });
        }
        if self.buckets.len() != earlier.buckets.len() {
            return None;
        }
        let mut buckets = Vec::with_capacity(self.buckets.len());
        for (a, b) in self.buckets.iter().zip(&earlier.buckets) {
            if a.0 != b.0 || a.1 != b.1 || a.2 < b.2 {
                return None;
            }
            buckets.push((a.0, a.1, a.2 - b.2));
        }
        Some(Hist {
            buckets,
            count: self.count - earlier.count,
            sum: self.sum.zip(earlier.sum).map(|(a, b)| a - b),
            // Bounds of the whole run still bound the interval's values.
            min: self.min,
            max: self.max,
            exp: None,
        })
    }

    /// Adds another interval with the same buckets (for `--every`).
    pub fn add(&mut self, other: &Hist) -> bool {
        if let (Some(a), Some(b)) = (&self.exp, &other.exp) {
            let Some(exp) = a.combine(b, true) else { return false };
            self.buckets = exp.buckets();
            self.exp = Some(exp);
        } else if self.buckets.len() != other.buckets.len()
            || self.buckets.iter().zip(&other.buckets).any(|(a, b)| a.0 != b.0 || a.1 != b.1)
        {
            return false;
        } else {
            for (a, b) in self.buckets.iter_mut().zip(&other.buckets) {
                a.2 = a.2.saturating_add(b.2);
            }
        }
        // Counts from the input may be anything up to 2^64-1: added without overflow.
        self.count = self.count.saturating_add(other.count);
        self.sum = match (self.sum, other.sum) {
            (Some(a), Some(b)) => Some(a + b),
            _ => None,
        };
        // Bounds of every value only when both halves have theirs (estimates lean on them).
        self.min = self.min.zip(other.min).map(|(a, b)| a.min(b));
        self.max = self.max.zip(other.max).map(|(a, b)| a.max(b));
        true
    }

    /// The `q` quantile (0..=1), linear within the bucket holding rank `q * count`, as Prometheus
    /// estimates it, the bucket narrowed to the histogram's min and max when it has them (every
    /// value lies between them: a bucket [0, 5] ms whose values span 0.02 to 0.3 ms is not
    /// estimated at 2.5 ms). An open-ended first bucket without a min starts at 0 when its upper
    /// bound is positive, an open-ended last one without a max ends at its lower bound. `None` for
    /// an empty histogram.
    pub fn estimate(&self, q: f64) -> Option<f64> {
        if self.count == 0 {
            return None;
        }
        let rank = q * self.count as f64;
        let mut seen = 0u64;
        for &(lo, hi, c) in &self.buckets {
            if c == 0 {
                continue;
            }
            if seen.saturating_add(c) as f64 >= rank {
                let lo = if lo.is_finite() {
                    lo
                } else {
                    self.min.filter(|m| m.is_finite() && *m <= hi).unwrap_or(if hi > 0.0 { 0.0 } else { hi })
                };
                let hi = if hi.is_finite() { hi } else { self.max.filter(|m| m.is_finite() && *m >= lo).unwrap_or(lo) };
                let lo = self.min.filter(|m| m.is_finite() && *m > lo && *m <= hi).unwrap_or(lo);
                let hi = self.max.filter(|m| m.is_finite() && *m < hi && *m >= lo).unwrap_or(hi);
                return Some(lo + (hi - lo) * ((rank - seen as f64) / c as f64).clamp(0.0, 1.0));
            }
            seen = seen.saturating_add(c);
        }
        // Bucket counts short of `count` (a malformed point): the top of the last non-empty bucket.
        self.buckets.iter().rev().find(|b| b.2 > 0).map(|b| if b.1.is_finite() { b.1 } else { b.0 })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::PointValue;

    fn explicit(bounds: &[f64], counts: &[u64]) -> Hist {
        Hist::from(&PointValue::Histogram {
            count: counts.iter().sum(),
            sum: None,
            min: None,
            max: None,
            bounds: bounds.to_vec(),
            counts: counts.to_vec(),
        })
        .unwrap()
    }

    #[test]
    fn estimates_keep_within_the_min_and_max() {
        // Four values in [0, 5], between 0.02 and 0.3: the median is not 2.5.
        let mut h = explicit(&[0.0, 5.0, 10.0], &[0, 4, 0, 0]);
        (h.min, h.max) = (Some(0.02), Some(0.3));
        assert!((h.estimate(0.5).unwrap() - 0.16).abs() < 1e-12);
        // Added to a histogram without them, the bounds are not known any more.
        let mut added = h.clone();
        assert!(added.add(&explicit(&[0.0, 5.0, 10.0], &[0, 4, 0, 0])));
        assert_eq!((added.min, added.max), (None, None));
        assert_eq!(added.estimate(0.5), Some(2.5));
    }

    #[test]
    fn estimates_are_linear_within_the_bucket() {
        // 10 values in (0, 5], 10 in (5, 10]: the median is the top of the first bucket.
        let h = explicit(&[0.0, 5.0, 10.0], &[0, 10, 10, 0]);
        assert_eq!(h.estimate(0.5), Some(5.0));
        assert_eq!(h.estimate(0.25), Some(2.5));
        assert_eq!(h.estimate(0.75), Some(7.5));
        assert_eq!(h.estimate(1.0), Some(10.0));
        // Everything above the last bound: no max known, so the bound itself.
        assert_eq!(explicit(&[1.0], &[0, 4]).estimate(0.5), Some(1.0));
        assert_eq!(explicit(&[1.0], &[0, 0]).estimate(0.5), None);
    }

    #[test]
    fn exponential_buckets_have_power_of_two_bounds() {
        let h = Hist::from(&PointValue::ExponentialHistogram {
            count: 3,
            sum: None,
            min: None,
            max: None,
            scale: 0,
            zero_count: 1,
            positive_offset: 1,
            positive: vec![1, 1],
            negative_offset: 0,
            negative: vec![],
        })
        .unwrap();
        assert_eq!(h.buckets, vec![(0.0, 0.0, 1), (2.0, 4.0, 1), (4.0, 8.0, 1)]);
        assert_eq!(h.estimate(1.0), Some(8.0));
    }

    #[test]
    fn cumulative_histograms_difference_only_when_nothing_went_down() {
        let a = explicit(&[1.0], &[1, 1]);
        let b = explicit(&[1.0], &[3, 1]);
        assert_eq!(b.minus(&a).map(|h| h.buckets), Some(vec![(f64::NEG_INFINITY, 1.0, 2), (1.0, f64::INFINITY, 0)]));
        assert_eq!(a.minus(&b), None);
    }
}
