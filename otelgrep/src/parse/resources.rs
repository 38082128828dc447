//! Resources shared by the records that repeat them: most formats print the full resource in
//! every record or batch, and a command may hold millions of records.

use std::sync::Arc;

use crate::model::Resource;

/// Interns resources: most formats repeat the full resource in every record or batch. Texts are
/// kept per format family (Python's, OTLP's, Node's): one text means different attributes in each.
#[derive(Debug, Default)]
pub struct Resources(
    Vec<Arc<Resource>>,
    Vec<(String, Arc<Resource>)>,
    Vec<(String, Arc<Resource>)>,
    Vec<(String, Arc<Resource>)>,
);

impl Resources {
    /// The shared resource printed as `raw`; `parse` runs only the first time a text is seen.
    /// `raw` is a checked JSON value: [`Resources::texts`] hands it out as one.
    pub fn intern_raw(&mut self, raw: &str, parse: impl FnOnce() -> Resource) -> Arc<Resource> {
        self.intern_text(false, raw, parse)
    }

    /// The texts of the resources interned by [`Resources::intern_raw`], checked JSON values.
    pub fn texts(&self) -> impl Iterator<Item = &str> {
        self.1.iter().map(|(text, _)| text.as_str())
    }

    /// [`Resources::intern_raw`] for OTLP JSON resources.
    pub fn intern_otlp_raw(&mut self, raw: &str, parse: impl FnOnce() -> Resource) -> Arc<Resource> {
        self.intern_text(true, raw, parse)
    }

    /// The texts of the resources interned by [`Resources::intern_otlp_raw`].
    pub fn otlp_texts(&self) -> impl Iterator<Item = &str> {
        self.2.iter().map(|(text, _)| text.as_str())
    }

    /// A Node resource literal already read, at the start of `text`: its length and resource.
    pub fn node_known(&self, text: &str) -> Option<(usize, Arc<Resource>)> {
        self.3.iter().find(|(raw, _)| text.starts_with(raw.as_str())).map(|(raw, r)| (raw.len(), r.clone()))
    }

    /// Remembers a Node resource literal's text and what it reads as (the first 64 texts: each
    /// record is compared with all of them).
    pub fn node_remember(&mut self, raw: &str, r: Resource) -> Arc<Resource> {
        let r = self.intern(r);
        if self.3.len() < 64 {
            self.3.push((raw.to_string(), r.clone()));
        }
        r
    }

    fn intern_text(&mut self, otlp: bool, raw: &str, parse: impl FnOnce() -> Resource) -> Arc<Resource> {
        let texts = if otlp { &self.2 } else { &self.1 };
        if let Some((_, r)) = texts.iter().find(|(text, _)| text == raw) {
            return r.clone();
        }
        let r = self.intern(parse());
        let texts = if otlp { &mut self.2 } else { &mut self.1 };
        texts.push((raw.to_string(), r.clone()));
        r
    }

    /// The shared copy of `r`.
    pub fn intern(&mut self, r: Resource) -> Arc<Resource> {
        if let Some(existing) = self.0.iter().find(|e| ***e == r) {
            return existing.clone();
        }
        let r = Arc::new(r);
        self.0.push(r.clone());
        r
    }
}
