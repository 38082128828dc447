//! Resources shared by the records that repeat them: most formats print the full resource in
//! every record or batch, and a command may hold millions of records.
//!
//! A worker keeps one [`Resources`] for all the batches it parses (a batch is a megabyte of
//! records: the OpenTelemetry demo's Collector capture has lines of up to 858 KB, each a batch of
//! its own, and a per-batch memory read every group's resource afresh). What it remembers is
//! bounded, so that an input whose every record has a resource of its own stays linear. It also
//! keeps the few texts besides resources that records repeat and a reader checks once: OTLP
//! histogram bounds.

use std::collections::HashMap;
use std::sync::Arc;

use crate::model::Resource;

/// Interns resources: most formats repeat the full resource in every record or batch. Texts are
/// kept per format family (Python's, OTLP's, Node's): one text means different attributes in each.
#[derive(Debug, Default)]
pub struct Resources {
    /// Distinct resources, compared by value: the first [`SHARED_MOST`].
    shared: Vec<Arc<Resource>>,
    /// Python resource texts, each compared with the text ahead (see `Skim::known`): the first
    /// [`LISTED_MOST`].
    python: Vec<(String, Arc<Resource>)>,
    /// OTLP resource texts, looked up whole once the skimmer has found their end: the host
    /// metrics of a Collector capture hold a resource per process, hundreds, each repeated every
    /// scrape. The first [`OTLP_MOST`].
    /// (Hashed by foldhash: SipHash over texts of kilobytes was a twentieth of reading the
    /// demo capture.)
    otlp: HashMap<Arc<str>, Arc<Resource>, foldhash::fast::FixedState>,
    /// The OTLP resource texts met last, the latest first: most requests repeat one of the last
    /// few (the demo's eight services take turns), each compared with the text ahead, byte for
    /// byte, before that is read. The last [`OTLP_RECENT`].
    otlp_recent: Vec<(Arc<str>, Arc<Resource>)>,
    /// Node resource literals, compared with the text ahead: the first [`LISTED_MOST`].
    node: Vec<(String, Arc<Resource>)>,
    /// Rust text resource sections, line by line (a metrics-heavy capture prints one per block,
    /// hundreds of thousands): the first [`LISTED_MOST`].
    lines: Vec<(Vec<String>, Arc<Resource>)>,
    /// OTLP JSON histogram bounds checked last, newest first: the OTLP reader's
    /// (`otlp_json::fast`), which keeps a few.
    pub otlp_bounds: Vec<String>,
}

/// Resources kept for comparing by value: each new text is compared with all of them.
const SHARED_MOST: usize = 256;
/// Texts kept in the lists each record's text is compared with, one by one.
const LISTED_MOST: usize = 64;
/// OTLP texts kept for looking up (hashed, so many are cheap).
const OTLP_MOST: usize = 4096;
/// OTLP texts compared with the text ahead before it is read.
const OTLP_RECENT: usize = 8;

impl Resources {
    /// The shared resource printed as `raw`; `parse` runs only the first time a text is seen.
    /// `raw` is a checked JSON value: [`Resources::texts`] hands it out as one.
    pub fn intern_raw(&mut self, raw: &str, parse: impl FnOnce() -> Resource) -> Arc<Resource> {
        if let Some((_, r)) = self.python.iter().find(|(text, _)| text == raw) {
            return r.clone();
        }
        let r = self.intern(parse());
        if self.python.len() < LISTED_MOST {
            self.python.push((raw.to_string(), r.clone()));
        }
        r
    }

    /// The texts of the resources interned by [`Resources::intern_raw`], checked JSON values.
    pub fn texts(&self) -> impl Iterator<Item = &str> {
        self.python.iter().map(|(text, _)| text.as_str())
    }

    /// The first of the OTLP resources met last, the latest first, whose text (a checked JSON
    /// object) `ahead` says is the text ahead; it becomes the latest.
    pub fn otlp_recent(&mut self, mut ahead: impl FnMut(&str) -> bool) -> Option<Arc<Resource>> {
        let at = self.otlp_recent.iter().position(|(text, _)| ahead(text))?;
        self.otlp_recent[..=at].rotate_right(1);
        Some(self.otlp_recent[0].1.clone())
    }

    /// The OTLP JSON resource whose text (a checked JSON object) is `raw`, if one was read.
    pub fn otlp_known(&mut self, raw: &str) -> Option<Arc<Resource>> {
        let (text, r) = self.otlp.get_key_value(raw)?;
        let (text, r) = (text.clone(), r.clone());
        self.otlp_met(text, r.clone());
        Some(r)
    }

    /// Makes a resource the latest met (see [`Resources::otlp_recent`]).
    fn otlp_met(&mut self, text: Arc<str>, r: Arc<Resource>) {
        match self.otlp_recent.iter().position(|(t, _)| Arc::ptr_eq(t, &text)) {
            Some(at) => self.otlp_recent[..=at].rotate_right(1),
            None => {
                self.otlp_recent.truncate(OTLP_RECENT - 1);
                self.otlp_recent.insert(0, (text, r));
            }
        }
    }

    /// [`Resources::intern_raw`] for OTLP JSON resources.
    pub fn intern_otlp_raw(&mut self, raw: &str, parse: impl FnOnce() -> Resource) -> Arc<Resource> {
        if let Some(r) = self.otlp_known(raw) {
            return r;
        }
        let r = self.intern(parse());
        if self.otlp.len() < OTLP_MOST {
            let text: Arc<str> = raw.into();
            self.otlp.insert(text.clone(), r.clone());
            self.otlp_met(text, r.clone());
        }
        r
    }

    /// The shared resource printed as `lines`; `parse` runs only the first time they are seen.
    pub fn intern_lines(&mut self, lines: &[&str], parse: impl FnOnce() -> Resource) -> Arc<Resource> {
        let same = |kept: &[String]| kept.len() == lines.len() && kept.iter().zip(lines).all(|(k, l)| k == l);
        if let Some((_, r)) = self.lines.iter().find(|(kept, _)| same(kept)) {
            return r.clone();
        }
        let r = self.intern(parse());
        if self.lines.len() < LISTED_MOST {
            self.lines.push((lines.iter().map(|l| l.to_string()).collect(), r.clone()));
        }
        r
    }

    /// A Node resource literal already read, at the start of `text`: its length and resource.
    pub fn node_known(&self, text: &str) -> Option<(usize, Arc<Resource>)> {
        self.node.iter().find(|(raw, _)| text.starts_with(raw.as_str())).map(|(raw, r)| (raw.len(), r.clone()))
    }

    /// Remembers a Node resource literal's text and what it reads as (the first 64 texts: each
    /// record is compared with all of them).
    pub fn node_remember(&mut self, raw: &str, r: Resource) -> Arc<Resource> {
        let r = self.intern(r);
        if self.node.len() < LISTED_MOST {
            self.node.push((raw.to_string(), r.clone()));
        }
        r
    }

    /// The shared copy of `r`: one whose attributes are identical (a resource with `-0.0` is not
    /// one with `0.0`, which `==` says it is).
    pub fn intern(&mut self, r: Resource) -> Arc<Resource> {
        if let Some(existing) = self.shared.iter().find(|e| crate::model::identical(&e.attributes, &r.attributes)) {
            return existing.clone();
        }
        let r = Arc::new(r);
        if self.shared.len() < SHARED_MOST {
            self.shared.push(r.clone());
        }
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Value;

    fn named(name: &str) -> Resource {
        Resource { attributes: vec![("service.name".into(), Value::Str(name.into()))] }
    }

    #[test]
    fn a_text_read_before_is_its_resource_and_memory_is_bounded() {
        let mut resources = Resources::default();
        let text =
            |i: usize| format!(r#"{{"attributes":[{{"key":"service.name","value":{{"stringValue":"s{i}"}}}}]}}"#);
        for i in 0..OTLP_MOST + 10 {
            let r = resources.intern_otlp_raw(&text(i), || named(&format!("s{i}")));
            assert_eq!(r.service_name(), Some(format!("s{i}").as_str()));
        }
        assert_eq!(resources.otlp.len(), OTLP_MOST);
        assert_eq!(resources.shared.len(), SHARED_MOST);
        // Remembered: the same shared copy, not parsed again.
        let first = resources.otlp_known(&text(0)).unwrap();
        assert!(Arc::ptr_eq(&first, &resources.intern_otlp_raw(&text(0), || unreachable!())));
        // Past the bound: read again each time, still right.
        assert!(resources.otlp_known(&text(OTLP_MOST + 1)).is_none());
        let late = resources.intern_otlp_raw(&text(OTLP_MOST + 1), || named("late"));
        assert_eq!(late.service_name(), Some("late"));
    }

    /// Rust text resource sections: the same lines are the same resource, read once; lines that
    /// differ, even by one being left out, are another.
    #[test]
    fn resource_lines_read_before_are_their_resource() {
        let mut resources = Resources::default();
        let a = ["\t ->  service.name=String(Static(\"a\"))", "\t ->  host=String(Static(\"h\"))"];
        let first = resources.intern_lines(&a, || named("a"));
        assert!(Arc::ptr_eq(&first, &resources.intern_lines(&a, || unreachable!())));
        assert_eq!(resources.intern_lines(&a[..1], || named("a1")).service_name(), Some("a1"));
        assert_eq!(resources.intern_lines(&[a[1], a[0]], || named("b")).service_name(), Some("b"));
    }

    /// Two resources that differ only by the sign of a zero stay two: each record keeps its own.
    #[test]
    fn a_negative_zero_is_another_resource() {
        let mut resources = Resources::default();
        let with = |x: f64| Resource { attributes: vec![("neg0".into(), Value::Double(x))] };
        let (plus, minus) = (resources.intern(with(0.0)), resources.intern(with(-0.0)));
        assert!(minus.attributes[0].1.identical(&Value::Double(-0.0)));
        assert!(!Arc::ptr_eq(&plus, &minus));
        assert!(Arc::ptr_eq(&plus, &resources.intern(with(0.0))));
        // A NaN is itself: shared, not a copy per record.
        assert!(Arc::ptr_eq(&resources.intern(with(f64::NAN)), &resources.intern(with(f64::NAN))));
    }
}
