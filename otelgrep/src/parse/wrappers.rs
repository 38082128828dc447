//! The lines layer: what Docker, Kubernetes, the container runtime, journald and terminals put
//! around each line of a capture, taken off, and the lines of different sources told apart. No
//! formats here: a wrapper is recognised by its own shape (FORMATS.md §10), never by what it wraps.
//!
//! Wrappers stack: an outer prefix that names the source (`docker compose` `todo-1  | `,
//! `kubectl logs --prefix` `[pod/todo-7d9f/todo] `, a CRI log file's `TIME stdout F `, `journalctl`'s
//! `Dec 02 10:00:00 host todo[1234]: `, or Docker's `json-file` log driver, which writes each line
//! as a JSON object), then the timestamp `--timestamps` adds, and ANSI colour codes anywhere. Each
//! is recognised on a sample of the first lines (most of them must carry it), then taken off every
//! line that carries it; a line that does not (compose's `Attaching to ...`) passes as it is.
//! Lines of several services interleave line by line, so every source's lines go to a text of
//! their own, with the number each line had in the capture; a line split into parts (CRI `P`
//! parts, Docker's 16 KiB parts) is joined back, across the reads of a followed capture too
//! ([`Carry`]). Plain captures are not copied: [`unwrap`] says there is nothing to do.

use std::sync::LazyLock;

use regex::bytes::Regex;

/// One source's lines, unwrapped: its name, its text, and each line's number in the capture.
#[derive(Debug, Default)]
pub struct Source {
    pub name: String,
    pub text: Vec<u8>,
    pub lines: Vec<u64>,
}

/// A capture taken out of its wrappers.
#[derive(Debug, Default)]
pub struct Unwrapped {
    pub sources: Vec<Source>,
    /// What was taken off, and from how many lines (`docker compose`, 30026).
    pub found: Vec<(&'static str, usize)>,
}

/// Lines looked at to recognise the wrappers.
const SAMPLE: usize = 400;

/// An outer wrapper: it names each line's source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outer {
    Compose,
    KubectlPrefix,
    Cri,
    Journal,
    /// Docker's `json-file` log driver (`/var/lib/docker/containers/ID/ID-json.log`):
    /// `{"log":"line\n","stream":"stdout","time":"..."}`, a line over 16 KiB in parts whose
    /// `log` does not end with a line break (moby `daemon/logger/jsonfilelog`).
    DockerJson,
}

impl Outer {
    const ALL: [Outer; 5] = [Outer::Cri, Outer::Compose, Outer::KubectlPrefix, Outer::Journal, Outer::DockerJson];

    fn name(self) -> &'static str {
        match self {
            Outer::Compose => "docker compose",
            Outer::KubectlPrefix => "kubectl --prefix",
            Outer::Cri => "container runtime (CRI)",
            Outer::Journal => "journalctl",
            Outer::DockerJson => "docker json-file",
        }
    }

    fn pattern(self) -> &'static Regex {
        static COMPOSE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^([A-Za-z0-9][A-Za-z0-9_.-]*) +\| ?").unwrap());
        static KUBECTL: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^\[(pod/[^/\] ]+/[^\] ]+)\] ").unwrap());
        static CRI: LazyLock<Regex> = LazyLock::new(|| {
            Regex::new(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d) (stdout|stderr) ([FP]) ?")
                .unwrap()
        });
        static JOURNAL: LazyLock<Regex> = LazyLock::new(|| {
            Regex::new(
                r"^(?:[A-Z][a-z]{2} [ 0-9]\d \d\d:\d\d:\d\d|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:[+-]\d{4}|Z)) \S+ ([^\s:\[]+(?:\[\d+\])?): ",
            )
            .unwrap()
        });
        // Keys in the order the driver writes them; `log` is left out when empty. A space after
        // the colon: the lines re-written by Python's `json.dumps`.
        static DOCKER_JSON: LazyLock<Regex> = LazyLock::new(|| Regex::new(r#"^\{ ?"(?:log|stream)": ?""#).unwrap());
        match self {
            Outer::Compose => &COMPOSE,
            Outer::KubectlPrefix => &KUBECTL,
            Outer::Cri => &CRI,
            Outer::Journal => &JOURNAL,
            Outer::DockerJson => &DOCKER_JSON,
        }
    }
}

/// Whether a line's first byte may open a `\d` of a pattern: an ASCII digit, or the lead byte of
/// a Unicode digit (the patterns' `\d` is Unicode's).
fn digit_start(l: &[u8]) -> bool {
    l.first().is_some_and(|b| b.is_ascii_digit() || *b >= 0x80)
}

impl Outer {
    /// What every line the pattern matches has (its first byte, a literal it holds), looked at
    /// before the pattern: most lines of a capture have no wrapper, and the sample's patterns
    /// were half of what the whole ingest of a small input cost (the pipeline fuzzer's profile).
    /// Held to the patterns by a test over every capture and by the `arrival` fuzzer.
    pub(crate) fn may_match(self, l: &[u8]) -> bool {
        match self {
            Outer::Compose => l.first().is_some_and(u8::is_ascii_alphanumeric) && memchr::memchr(b'|', l).is_some(),
            Outer::KubectlPrefix => l.starts_with(b"[pod/"),
            Outer::Cri => digit_start(l) && memchr::memmem::find(l, b" std").is_some(),
            Outer::Journal => {
                (l.first().is_some_and(u8::is_ascii_uppercase) || digit_start(l))
                    && memchr::memmem::find(l, b": ").is_some()
            }
            Outer::DockerJson => l.first() == Some(&b'{'),
        }
    }

    /// The pattern's match at the start of `l`, if any.
    fn find(self, l: &[u8]) -> Option<regex::bytes::Match<'_>> {
        if self.may_match(l) { self.pattern().find(l) } else { None }
    }

    fn is_match(self, l: &[u8]) -> bool {
        self.may_match(l) && self.pattern().is_match(l)
    }
}

/// Whether `l` opens with a `--timestamps` stamp; what every one has is looked at first (as
/// [`Outer::may_match`]).
fn stamped(l: &[u8]) -> bool {
    digit_start(l) && memchr::memchr(b':', l).is_some() && STAMP.is_match(l)
}

/// Every line of `text` (and what follows an outer wrapper on it) that a pattern matches, its
/// prefilter lets through: the check of the `arrival` fuzzer and of the tests over every capture.
pub fn prefilters_hold(text: &[u8]) -> Result<(), String> {
    let wrong = |what: &str, l: &[u8]| {
        Err(format!("{what} matches {:?}, which its prefilter refuses", l.escape_ascii().to_string()))
    };
    for l in lines(text) {
        let mut rests = vec![l];
        for o in Outer::ALL {
            if let Some(m) = o.pattern().find(l) {
                if !o.may_match(l) {
                    return wrong(o.name(), l);
                }
                rests.push(&l[m.end()..]);
            }
        }
        for r in rests {
            if STAMP.is_match(r) && !stamped(r) {
                return wrong("a --timestamps stamp", r);
            }
        }
    }
    Ok(())
}

/// `--timestamps`: an RFC 3339 stamp and a space.
static STAMP: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d) ").unwrap());

/// ANSI escape sequences: CSI (`ESC [ ... m`), OSC (`ESC ] ... BEL`), and two-byte escapes.
static ANSI: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])").unwrap());

fn lines(text: &[u8]) -> impl Iterator<Item = &[u8]> {
    let text = text.strip_suffix(b"\n").unwrap_or(text);
    // Found by `memchr`, not a byte at a time: the first lines of a capture of long lines (OTLP
    // requests of 10 KB) are megabytes, and a byte at a time, twice, was 7% of the instructions
    // of reading 30 MB of them.
    let ends = memchr::memchr_iter(b'\n', text).chain([text.len()]);
    let mut start = 0;
    ends.map(move |end| {
        let line = &text[start..end];
        start = end + 1;
        line.strip_suffix(b"\r").unwrap_or(line)
    })
}

/// Whether `text` holds the lines wrappers are recognised on (its first [`SAMPLE`] lines that are
/// not empty, each ended by its line break): a stream reads on until it does, so that it decides
/// as the whole input would.
pub fn sample_complete(text: &[u8]) -> bool {
    let mut start = 0;
    let mut seen = 0;
    for nl in memchr::memchr_iter(b'\n', text) {
        let line = &text[start..nl];
        seen += usize::from(!line.strip_suffix(b"\r").unwrap_or(line).is_empty());
        if seen == SAMPLE {
            return true;
        }
        start = nl + 1;
    }
    false
}

/// Bytes of a sampled line looked at: wrappers sit at the start, and a line may be a megabyte.
const SAMPLE_BYTES: usize = 512;

/// How a capture's lines are wrapped, as recognised on its first lines: the same wrappers are
/// taken off the lines that come after (a followed capture, read as it grows).
#[derive(Debug, Clone, Copy)]
pub struct Wrapping {
    outer: Option<Outer>,
    stamped: bool,
}

impl Wrapping {
    /// More of a followed capture (whole lines) out of these wrappers, its lines numbered from
    /// `base + 1`: a line whose parts have not all come yet waits in `carry` for the rest.
    pub fn split_more(&self, text: &[u8], base: u64, carry: &mut Carry) -> Unwrapped {
        split(text, self.outer, self.stamped, base, Some(carry))
    }

    /// A whole capture out of these wrappers.
    pub fn split(&self, text: &[u8]) -> Unwrapped {
        split(text, self.outer, self.stamped, 0, None)
    }
}

/// Lines of a followed capture in parts (CRI `P`, Docker's parts of a long line) whose last part
/// has not come yet: per source, the parts so far and the line of the first.
#[derive(Debug, Default)]
pub struct Carry {
    parts: Vec<(String, Vec<u8>, u64)>,
    /// The stream the last Docker line said: a line cut before its own goes on it.
    last_stream: Vec<u8>,
}

impl Carry {
    pub fn is_empty(&self) -> bool {
        self.parts.is_empty()
    }

    /// The capture ended: a line whose last part never came is still a line.
    pub fn finish(self) -> Unwrapped {
        let sources = self
            .parts
            .into_iter()
            .map(|(name, mut text, first)| {
                text.push(b'\n');
                Source { name, text, lines: vec![first] }
            })
            .collect();
        Unwrapped { sources, found: Vec::new() }
    }
}

/// Adds what a later read took off (`more`) to what was taken off so far, kind by kind.
pub fn add_found(found: &mut Vec<(&'static str, usize)>, more: Vec<(&'static str, usize)>) {
    for (what, n) in more {
        match found.iter_mut().find(|(w, _)| *w == what) {
            Some((_, m)) => *m += n,
            None => found.push((what, n)),
        }
    }
}

/// Takes `text` out of its wrappers, or `None` when it has none (no copy is made then). Only the
/// start of the first lines is looked at: plain captures cost nothing more.
pub fn unwrap(text: &[u8]) -> Option<Unwrapped> {
    recognise(text).map(|w| w.split(text))
}

/// The wrappers of `text`'s lines, or `None` when they have none.
pub fn recognise(text: &[u8]) -> Option<Wrapping> {
    let sample: Vec<std::borrow::Cow<[u8]>> = lines(text)
        .filter(|l| !l.is_empty())
        .take(SAMPLE)
        .map(|l| {
            let l = &l[..l.len().min(SAMPLE_BYTES)];
            if memchr::memchr(0x1b, l).is_some() { ANSI.replace_all(l, &b""[..]) } else { l.into() }
        })
        .collect();
    let most = |n: usize| !sample.is_empty() && 2 * n > sample.len();
    let outer = Outer::ALL
        .into_iter()
        .map(|o| (o, sample.iter().filter(|l| o.is_match(l)).count()))
        .filter(|(_, n)| most(*n))
        .max_by_key(|(_, n)| *n)
        .map(|(o, _)| o);
    let rest = |l: &[u8]| -> bool {
        let after = outer.and_then(|o| o.find(l)).map_or(0, |m| m.end());
        stamped(&l[after..])
    };
    let stamped = most(sample.iter().filter(|l| rest(l)).count());
    // Colours alone are taken off when most lines have them (a terminal recording, a coloured
    // formatter), or when a coloured line is indented or a bracket (`grep --color` or `jq -C` on a
    // record's lines: records are indented, an app's log lines are not); a few coloured lines of
    // the app's own (Flask's banner) are foreign whatever their colour, and a large capture is
    // not copied for them.
    let tinted: Vec<&[u8]> =
        lines(text).filter(|l| !l.is_empty()).take(SAMPLE).filter(|l| memchr::memchr(0x1b, l).is_some()).collect();
    let coloured = most(tinted.len())
        || tinted.iter().any(|l| {
            let plain = ANSI.replace_all(&l[..l.len().min(SAMPLE_BYTES)], &b""[..]);
            matches!(plain.first(), Some(b'{' | b'}' | b'[' | b']' | b'\t')) || plain.starts_with(b"  ")
        });
    if outer.is_none() && !stamped && !coloured {
        return None;
    }
    Some(Wrapping { outer, stamped })
}

/// A line of Docker's `json-file` driver: the line it holds and its stream. Not one (a line the
/// driver did not write) passes as it is.
#[derive(serde::Deserialize)]
struct DockerLine<'a> {
    #[serde(borrow)]
    log: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow)]
    stream: Option<std::borrow::Cow<'a, str>>,
}

fn docker_line(raw: &[u8]) -> Option<DockerLine<'_>> {
    if !Outer::DockerJson.pattern().is_match(raw) {
        return None;
    }
    serde_json::from_slice(raw).ok().or_else(|| cut_docker_line(raw))
}

/// A Docker line cut short (a copy interrupted, a file cut): the part of its line that came, as a
/// line without its end, so that the record it held is a cut record, said as one, not a foreign
/// line. Where the cut fell inside an escape sequence, the sequence is left out.
fn cut_docker_line(raw: &[u8]) -> Option<DockerLine<'_>> {
    let body = raw.strip_prefix(br#"{"log":""#)?;
    // A string that ended is not a cut one: the object is damaged elsewhere.
    let mut escaped = false;
    for b in body {
        match (escaped, *b) {
            (false, b'"') => return None,
            (false, b'\\') => escaped = true,
            _ => escaped = false,
        }
    }
    (0..body.len().min(6) + 1).find_map(|short| {
        let mut quoted = Vec::with_capacity(body.len() + 2);
        quoted.push(b'"');
        quoted.extend_from_slice(&body[..body.len() - short]);
        quoted.push(b'"');
        let log: String = serde_json::from_slice(&quoted).ok()?;
        // Without its line break: the line goes on in a part that never came.
        let log = log.strip_suffix('\n').unwrap_or(&log).to_string();
        Some(DockerLine { log: Some(log.into()), stream: None })
    })
}

fn split(text: &[u8], outer: Option<Outer>, stamped: bool, base: u64, mut carry: Option<&mut Carry>) -> Unwrapped {
    let mut out = Unwrapped::default();
    let (mut outer_n, mut stamp_n, mut ansi_n) = (0, 0, 0);
    // A line in parts, per source: its first part's line and where it starts in the text.
    let mut partial: Vec<Option<(u64, usize)>> = Vec::new();
    // Lines carried from the text before start their sources.
    for (name, text, first) in carry.as_deref_mut().map(|c| std::mem::take(&mut c.parts)).unwrap_or_default() {
        out.sources.push(Source { name, text, lines: Vec::new() });
        partial.push(Some((first, 0)));
    }
    let mut last_stream: Vec<u8> = carry.as_deref_mut().map(|c| std::mem::take(&mut c.last_stream)).unwrap_or_default();
    for (i, raw) in lines(text).enumerate() {
        let number = base + i as u64 + 1;
        let cleaned;
        let mut line: &[u8] = raw;
        let mut source: &[u8] = b"";
        let mut is_partial = false;
        // A Docker line is a JSON object: its line is read out of it first (colour codes in it
        // are escaped until then).
        let docker = if outer == Some(Outer::DockerJson) { docker_line(raw) } else { None };
        if let Some(d) = &docker {
            outer_n += 1;
            // A line cut before its stream was said goes on the stream before it.
            match d.stream.as_deref() {
                Some(stream) => stream.as_bytes().clone_into(&mut last_stream),
                None if d.log.is_none() => last_stream.clear(),
                None => {}
            }
            source = &last_stream;
            let log = d.log.as_deref().unwrap_or_default();
            is_partial = !log.ends_with('\n');
            line = log.strip_suffix('\n').unwrap_or(log).as_bytes();
        }
        if memchr::memchr(0x1b, line).is_some() {
            cleaned = ANSI.replace_all(line, &b""[..]).into_owned();
            line = &cleaned;
            ansi_n += 1;
        }
        if let Some(o) = outer.filter(|o| *o != Outer::DockerJson) {
            if let Some(c) = o.pattern().captures(line) {
                outer_n += 1;
                source = c.get(1).map_or(&b""[..], |m| m.as_bytes());
                is_partial = o == Outer::Cri && c.get(2).is_some_and(|m| m.as_bytes() == b"P");
                line = &line[c.get(0).unwrap().end()..];
            }
        }
        if stamped {
            if let Some(m) = STAMP.find(line) {
                stamp_n += 1;
                line = &line[m.end()..];
            }
        }
        let at = match out.sources.iter().position(|s| s.name.as_bytes() == source) {
            Some(at) => at,
            None => {
                out.sources.push(Source { name: String::from_utf8_lossy(source).into_owned(), ..Source::default() });
                partial.push(None);
                out.sources.len() - 1
            }
        };
        let s = &mut out.sources[at];
        if is_partial {
            // The rest of this line comes in the source's next part.
            partial[at].get_or_insert((number, s.text.len()));
        }
        s.text.extend_from_slice(line);
        if is_partial {
            continue;
        }
        s.text.push(b'\n');
        s.lines.push(partial[at].take().map_or(number, |(first, _)| first));
    }
    if let Some(c) = carry.as_deref_mut() {
        c.last_stream = last_stream;
    }
    for (s, p) in out.sources.iter_mut().zip(partial) {
        let Some((first, start)) = p else { continue };
        match carry.as_deref_mut() {
            // Followed: the rest may come with the next text.
            Some(c) => c.parts.push((s.name.clone(), s.text.split_off(start), first)),
            // A line whose last part never came is still a line.
            None => {
                s.text.push(b'\n');
                s.lines.push(first);
            }
        }
    }
    if let Some(o) = outer {
        out.found.push((o.name(), outer_n));
    }
    if stamped {
        out.found.push(("timestamps", stamp_n));
    }
    if ansi_n > 0 {
        out.found.push(("ANSI escapes", ansi_n));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefilters_let_through_every_line_their_patterns_match() {
        // Every capture the project holds, wrapped ones among the fuzz seeds, and lines whose
        // digits are not ASCII (`\d` is Unicode's).
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
        let dirs = [
            "../shared/samples",
            "../shared/conformance",
            "samples",
            "otelgrep/tests/fixtures",
            "fuzz/seeds",
            "fuzz/regressions",
        ];
        let mut files = 0;
        let mut stack: Vec<std::path::PathBuf> = dirs.iter().map(|d| std::path::Path::new(root).join(d)).collect();
        while let Some(path) = stack.pop() {
            if path.is_dir() {
                stack.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
            } else {
                let bytes = std::fs::read(&path).unwrap();
                prefilters_hold(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                files += 1;
            }
        }
        assert!(files > 1000, "{files} files");
        let wrapped = [
            "todo-1  | {\n",
            "[pod/todo-7d9f/todo] Spans\n",
            "2026-12-02T10:00:00.123456789Z stdout F {\n",
            "Dec 02 10:00:00 host todo[1234]: {\n",
            "2026-12-02T10:00:00+0000 host todo[1234]: {\n",
            "{\"log\":\"{\\n\",\"stream\":\"stdout\"}\n",
            "2026-12-02T10:00:00.5Z {\n",
            "todo-1  | 2026-12-02T10:00:00.5Z {\n",
            "٢٠٢٦-12-02T10:00:00Z stdout F {\n",
            "٢٠٢٦-12-02T10:00:00Z {\n",
            "٢٠٢٦-12-02T10:00:00Z host todo: x\n",
        ];
        for l in wrapped {
            prefilters_hold(l.as_bytes()).unwrap();
            let matched = Outer::ALL.iter().any(|o| o.is_match(l.as_bytes())) || stamped(l.as_bytes());
            assert!(matched, "{l}");
        }
    }

    fn texts(u: &Unwrapped) -> Vec<(String, String, Vec<u64>)> {
        u.sources
            .iter()
            .map(|s| (s.name.clone(), String::from_utf8(s.text.clone()).unwrap(), s.lines.clone()))
            .collect()
    }

    #[test]
    fn plain_text_has_nothing_to_unwrap() {
        assert!(unwrap(b"{\n  \"name\": \"x | y\"\n}\nSpans\n").is_none());
    }

    #[test]
    fn compose_services_interleaved_with_stamps_and_colours_are_told_apart() {
        let text = "Attaching to api-1, todo-1\n\
                    \x1b[36mtodo-1  |\x1b[0m 2026-12-02T10:00:00.123456789Z {\n\
                    \x1b[33mapi-1   |\x1b[0m 2026-12-02T10:00:00.2Z {\n\
                    \x1b[36mtodo-1  |\x1b[0m 2026-12-02T10:00:00.3Z }\n\
                    \x1b[33mapi-1   |\x1b[0m 2026-12-02T10:00:00.4Z }\n\
                    todo-1  | \n";
        let u = unwrap(text.as_bytes()).unwrap();
        assert_eq!(
            texts(&u),
            [
                ("".into(), "Attaching to api-1, todo-1\n".into(), vec![1]),
                ("todo-1".into(), "{\n}\n\n".into(), vec![2, 4, 6]),
                ("api-1".into(), "{\n}\n".into(), vec![3, 5]),
            ]
        );
        assert_eq!(u.found, [("docker compose", 5), ("timestamps", 4), ("ANSI escapes", 4)]);
    }

    #[test]
    fn cri_parts_are_joined_per_stream() {
        let text = "2026-12-02T10:00:00.1Z stdout P {\"a\":\n\
                    2026-12-02T10:00:00.2Z stderr F oops\n\
                    2026-12-02T10:00:00.3Z stdout P 1,\n\
                    2026-12-02T10:00:00.4Z stdout F \"b\":2}\n";
        let u = unwrap(text.as_bytes()).unwrap();
        assert_eq!(
            texts(&u),
            [("stdout".into(), "{\"a\":1,\"b\":2}\n".into(), vec![1]), ("stderr".into(), "oops\n".into(), vec![2])]
        );
    }

    #[test]
    fn docker_json_file_lines_are_read_out_and_their_parts_joined_per_stream() {
        // As moby's jsonfilelog writes them: `<`, `>` and `&` escaped, a line in parts without its
        // line break until the last, `attrs` with `--log-opt labels`; a line it did not write
        // passes as it is.
        let text = concat!(
            r#"{"log":"{\"a\": \u003c1,","stream":"stdout","time":"2026-12-02T10:00:00.1Z"}"#,
            "\n",
            r#"{"log":"oops \u001b[31mred\u001b[0m\n","stream":"stderr","attrs":{"tag":"todo"},"time":"2026-12-02T10:00:00.2Z"}"#,
            "\n",
            r#"{"log":" \"b\": 2}\n","stream":"stdout","time":"2026-12-02T10:00:00.3Z"}"#,
            "\n",
            "not json\n",
        );
        let u = unwrap(text.as_bytes()).unwrap();
        assert_eq!(
            texts(&u),
            [
                ("stdout".into(), "{\"a\": <1, \"b\": 2}\n".into(), vec![1]),
                ("stderr".into(), "oops red\n".into(), vec![2]),
                ("".into(), "not json\n".into(), vec![4]),
            ]
        );
        assert_eq!(u.found, [("docker json-file", 3), ("ANSI escapes", 1)]);
        // Re-written by Python's `json.dumps` (a space after each colon and comma).
        let spaced =
            unwrap(b"{\"log\": \"{\\n\", \"stream\": \"stdout\", \"time\": \"2026-12-02T10:00:00Z\"}\n").unwrap();
        assert_eq!(texts(&spaced), [("stdout".into(), "{\n".into(), vec![1])]);
    }

    #[test]
    fn a_docker_line_cut_short_is_the_part_of_its_line_that_came() {
        // Cut inside an escape sequence: the sequence is left out; the line goes on the stream of
        // the line before it, without its end.
        let text = concat!(
            r#"{"log":"{\"a\": 1}\n","stream":"stdout","time":"2026-12-02T10:00:00.1Z"}"#,
            "\n",
            r#"{"log":"{\"resourceSpans\": [\u00"#,
        );
        let u = unwrap(text.as_bytes()).unwrap();
        assert_eq!(texts(&u), [("stdout".into(), "{\"a\": 1}\n{\"resourceSpans\": [\n".into(), vec![1, 2])]);
        // A damaged line whose string ended is not a cut one: it passes as it is.
        let damaged =
            concat!(r#"{"log":"x\n","stream":"stdout","time":"2026"}"#, "\n", r#"{"log":"y\n","stream":"#, "\n");
        let u = unwrap(damaged.as_bytes()).unwrap();
        assert_eq!(u.sources[1].text, br#"{"log":"y\n","stream":"#.iter().chain(b"\n").copied().collect::<Vec<u8>>());
    }

    #[test]
    fn a_followed_line_in_parts_waits_for_its_last_part() {
        let w = recognise(b"2026-12-02T10:00:00.1Z stdout F a\n").unwrap();
        let mut carry = Carry::default();
        let first = w.split_more(
            b"2026-12-02T10:00:00.1Z stdout P {\"a\":\n2026-12-02T10:00:00.2Z stderr F oops\n",
            0,
            &mut carry,
        );
        assert_eq!(texts(&first), [("stdout".into(), "".into(), vec![]), ("stderr".into(), "oops\n".into(), vec![2])]);
        let second =
            w.split_more(b"2026-12-02T10:00:00.3Z stdout F 1}\n2026-12-02T10:00:00.4Z stdout P {\n", 2, &mut carry);
        assert_eq!(texts(&second), [("stdout".into(), "{\"a\":1}\n".into(), vec![1])]);
        assert_eq!(texts(&carry.finish()), [("stdout".into(), "{\n".into(), vec![4])]);
    }

    #[test]
    fn kubectl_prefixes_journal_lines_and_bare_stamps() {
        let k =
            unwrap(b"[pod/todo-7d9f/todo] 2026-12-02T10:00:00.1Z {\n[pod/todo-7d9f/todo] 2026-12-02T10:00:00.2Z }\n")
                .unwrap();
        assert_eq!(texts(&k), [("pod/todo-7d9f/todo".into(), "{\n}\n".into(), vec![1, 2])]);
        let j = unwrap(b"Dec 02 10:00:00 host todo[1234]: {\nDec 02 10:00:00 host todo[1234]: }\n").unwrap();
        assert_eq!(texts(&j), [("todo[1234]".into(), "{\n}\n".into(), vec![1, 2])]);
        let iso =
            unwrap(b"2026-12-02T10:00:00+0000 host todo[7]: {\n2026-12-02T10:00:00+0000 host todo[7]: }\n").unwrap();
        assert_eq!(texts(&iso), [("todo[7]".into(), "{\n}\n".into(), vec![1, 2])]);
        let stamps = unwrap(b"2026-12-02T10:00:00.123456789Z {\n2026-12-02T10:00:00.2Z }\n").unwrap();
        assert_eq!(texts(&stamps), [("".into(), "{\n}\n".into(), vec![1, 2])]);
    }
}
