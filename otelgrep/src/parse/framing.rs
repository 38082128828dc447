//! The sequential stage: an input's text (or binary OTLP) cut into records, not parsed yet, and
//! handed over in batches. Python and Node objects between column-0 braces, OTLP JSON lines and
//! documents, Go objects, Rust `opentelemetry-stdout` records (whose framing carries state: blocks,
//! resources, interrupted records), Collector `debug` records, and length-prefixed protobuf
//! messages. Lines that belong to no record are counted as foreign here.

use std::sync::Arc;

use super::*;

/// One framed record, not parsed yet.
pub(super) enum Job<'a> {
    Python {
        line: u64,
        text: &'a str,
    },
    Node {
        line: u64,
        text: &'a str,
    },
    Otlp {
        line: u64,
        text: &'a str,
    },
    /// `cut`: the input ended inside the record's last line (see [`frame`]).
    Rust {
        rec: RecordLines<'a>,
        open_at_end: bool,
        cut: bool,
    },
    Collector {
        rec: RecordLines<'a>,
        cut: bool,
    },
    Go {
        line: u64,
        text: &'a str,
        kind: go_json::Kind,
    },
    /// A binary OTLP message: its number in the input (errors name it as their line) and bytes,
    /// and whether it is an export of its own (a bare request's resource groups are not).
    Proto {
        index: u64,
        bytes: &'a [u8],
        export: bool,
    },
}

impl Job<'_> {
    /// Address of the record's first byte (every record's lines come after its first line).
    pub(super) fn start(&self) -> *const u8 {
        match self {
            Job::Python { text, .. } | Job::Node { text, .. } | Job::Otlp { text, .. } | Job::Go { text, .. } => {
                text.as_ptr()
            }
            Job::Rust { rec, .. } => rec.lines.iter().map(|l| l.as_ptr()).min().unwrap_or(std::ptr::null()),
            Job::Collector { rec, .. } => rec.lines.first().map_or(std::ptr::null(), |l| l.as_ptr()),
            Job::Proto { bytes, .. } => bytes.as_ptr(),
        }
    }

    /// Where a bad line (see [`text::repair`]) that this record's text touches starts, if one
    /// does; `base` is the address of the text's first byte.
    pub(super) fn touches(&self, bad_lines: &[std::ops::Range<usize>], base: usize) -> Option<usize> {
        if bad_lines.is_empty() {
            return None;
        }
        let span = |s: &str| s.as_ptr() as usize - base..s.as_ptr() as usize - base + s.len();
        match self {
            Job::Python { text, .. } | Job::Node { text, .. } | Job::Otlp { text, .. } | Job::Go { text, .. } => {
                text::touches(bad_lines, span(text))
            }
            Job::Rust { rec, .. } | Job::Collector { rec, .. } => {
                rec.lines.iter().find_map(|l| text::touches(bad_lines, span(l)))
            }
            Job::Proto { .. } => None,
        }
    }

    pub(super) fn weight(&self) -> usize {
        match self {
            Job::Python { text, .. } | Job::Node { text, .. } | Job::Otlp { text, .. } | Job::Go { text, .. } => {
                text.len()
            }
            Job::Rust { rec, .. } => rec.lines.iter().map(|l| l.len() + 1).sum(),
            Job::Collector { rec, .. } => rec.lines.iter().map(|l| l.len() + 1).sum(),
            Job::Proto { bytes, .. } => bytes.len(),
        }
    }
}

/// Bytes of record text per batch handed to a worker.
pub(super) const BATCH_BYTES: usize = 1 << 20;

/// How framing ended.
pub(super) struct Framed {
    /// Where the text first needs the text layer's repair, if it does: a byte that is not UTF-8,
    /// or a byte-order mark opening a line (nothing after that is framed).
    pub(super) not_utf8: Option<usize>,
    /// Whether a framer that carries state from line to line took any line (Collector text, Node
    /// metric exports): the cut then depends on what came before. The Rust framer's state is
    /// carried from one text to the next ([`rust_text::Carry`]).
    pub(super) stateful: bool,
    /// Lines read.
    pub(super) lines: u64,
}

/// The sequential stage: cuts the text into records and hands them over in batches.
pub(super) fn frame<'a>(
    text: &'a [u8],
    file: &Arc<str>,
    only: Option<Format>,
    ending: Ending,
    carry: Option<&rust_text::Carry>,
    report: &mut Report,
    mut send: impl FnMut(usize, Vec<Job<'a>>),
) -> Framed {
    let mut stateful = false;
    let allow = |f: Format| only.is_none_or(|o| o == f);
    let mut batch: Vec<Job<'a>> = Vec::new();
    let mut batch_bytes = 0;
    let mut index = 0;
    let mut push = |job: Job<'a>, batch: &mut Vec<Job<'a>>, batch_bytes: &mut usize| {
        *batch_bytes += job.weight();
        batch.push(job);
        if *batch_bytes >= BATCH_BYTES {
            send(index, std::mem::take(batch));
            index += 1;
            *batch_bytes = 0;
        }
    };
    let mut resources = Resources::default();
    let mut rust = carry.map_or_else(rust_text::Framer::default, rust_text::Framer::resume);
    // The Rust records finished so far, handed over before whatever comes next: in input order,
    // also where another format's record ends one (read in pieces cut there, the order is that;
    // a fuzz finding).
    macro_rules! hand_over_rust {
        () => {
            if !rust.done.is_empty() {
                // Those ended by another format's record are flagged (`end_record`).
                let open = std::mem::take(&mut rust.open_at_end);
                for (i, rec) in rust.done.drain(..).enumerate() {
                    push(Job::Rust { rec, open_at_end: open.contains(&i), cut: false }, &mut batch, &mut batch_bytes);
                }
            }
        };
    }
    let mut collector = collector_debug::Framer::default();
    let mut previous_was_node_metric = false;
    // The end time of the points of the Node metric records read last (their export's).
    let mut node_end: Option<&str> = None;
    // Brace-framed objects are Python's, Node's, Go's or pretty-printed OTLP; when none of those
    // may be read, every line is a line.
    let objects = [Format::PythonJson, Format::NodeConsole, Format::GoJson, Format::OtlpJson];
    let mut pieces = if objects.into_iter().any(allow) {
        scan::Pieces::Objects(scan::python_objects(text))
    } else {
        scan::Pieces::Lines(scan::lines(text))
    };
    let mut not_utf8 = None;
    let rust_lines = allow(Format::RustText);
    let runs = runs_allowed();
    // A line to the Rust framer; once it takes one, the lines after it that go on with its record
    // are taken at once, each looked at for its first bytes only.
    macro_rules! feed_rust {
        ($text:expr, $line:expr) => {{
            match rust.feed($text, $line, &mut resources) {
                rust_text::Fed::Foreign => report.foreign_lines += 1,
                rust_text::Fed::Taken => {
                    report.rust_text = true;
                    if let Some(signal) = rust.run_signal().filter(|_| runs) {
                        pieces.run(|l| rust_text::continues(signal, l), |l| rust.take_line(l));
                    }
                }
            }
            hand_over_rust!();
        }};
    }
    // Whether the last piece was an object the text ended inside (a cut there is not clean).
    let mut object_open = false;
    while let Some(piece) = pieces.next() {
        object_open = matches!(piece, scan::Piece::Truncated { .. });
        // Most lines of a Rust capture are a record's TAB-indented lines: they go to its framer
        // at once, past the checks for the other formats' records, which such a line is none of
        // outside a Collector tree (a request indented by a TAB, `\t{"resourceSpans"`, is one:
        // looked at below). The checks were a third of framing a Rust capture.
        if let scan::Piece::Line { line, text: l } = piece
            && rust_lines
            && l.as_bytes().first() == Some(&b'\t')
            && !collector.active()
            && !rust_text::brace_after_indent(l.as_bytes())
        {
            feed_rust!(l, line);
            previous_was_node_metric = false;
            continue;
        }
        if let scan::Piece::NotUtf8 { offset } = piece {
            not_utf8 = Some(offset);
            break;
        }
        // A byte-order mark opening a line (two captures concatenated) is the text layer's to
        // take off, like a byte that is not UTF-8: the text is repaired and read again.
        if let scan::Piece::Line { text: l, .. } = piece {
            if l.starts_with('\u{feff}') {
                not_utf8 = Some(l.as_ptr() as usize - text.as_ptr() as usize);
                break;
            }
        }
        let mut node_metric = false;
        if matches!(piece, scan::Piece::Object { .. } | scan::Piece::Truncated { .. }) {
            rust.end_record();
            hand_over_rust!();
        }
        // Collector trees share `Span #n`/`Metric #n` with the Rust format: inside one, its framer
        // takes the lines first.
        if let scan::Piece::Line { line, text } = piece {
            if allow(Format::CollectorDebug)
                && let Some(taken) = collector.offer(text, line, &mut resources)
            {
                stateful = true;
                for rec in collector.done.drain(..) {
                    push(Job::Collector { rec, cut: false }, &mut batch, &mut batch_bytes);
                }
                if taken {
                    // A line between two Node metric objects parts their exports, a tree's as
                    // any other (kept across it, two exports were one read whole and two in a
                    // stream cut at the tree: a fuzz finding).
                    previous_was_node_metric = false;
                    continue;
                }
            }
        }
        // An object's second line holds its first key, which tells Python, Node and Go apart.
        let second = match &piece {
            scan::Piece::Object { text, .. } => scan::second_line(text),
            _ => None,
        };
        // Go's records are told by their first key: looked at once per piece.
        let go = match &piece {
            scan::Piece::Line { text, .. } if allow(Format::GoJson) => go_json::line_kind(text),
            scan::Piece::Object { .. } if only.is_none() || only == Some(Format::GoJson) => {
                second.and_then(go_json::object_kind)
            }
            _ => None,
        };
        // Pretty-printed OTLP (a request over many lines, or a JSON array of them), told by its
        // first key; Python's metrics exports share `resource_metrics` with OTLP's snake_case.
        let otlp_object = match &piece {
            scan::Piece::Object { text, .. } if text.starts_with('[') => Some(otlp_json::is_document(text)),
            scan::Piece::Object { text, .. } if second.is_some_and(otlp_json::is_pretty_start) => {
                Some(!python_json::is_metrics_export(text))
            }
            _ => None,
        };
        match (piece, go) {
            (scan::Piece::Line { line, text }, _)
                if allow(Format::PythonJson) && text.starts_with("{\"") && python_json::is_compact_record(text) =>
            {
                rust.end_record();
                hand_over_rust!();
                push(Job::Python { line, text }, &mut batch, &mut batch_bytes);
            }
            (scan::Piece::Line { line, text }, _) if allow(Format::OtlpJson) && otlp_json::is_document(text) => {
                rust.end_record();
                hand_over_rust!();
                push(Job::Otlp { line, text }, &mut batch, &mut batch_bytes);
            }
            (scan::Piece::Line { line, text }, Some(kind)) => {
                rust.end_record();
                hand_over_rust!();
                push(Job::Go { line, text, kind }, &mut batch, &mut batch_bytes);
            }
            (scan::Piece::Line { .. }, _) if !allow(Format::RustText) => report.foreign_lines += 1,
            (scan::Piece::Line { line, text }, _) => feed_rust!(text, line),
            (scan::Piece::NotUtf8 { .. }, _) => {}
            (scan::Piece::Truncated { line, second }, _) => report.errors.push(ParseError {
                file: file.clone(),
                line,
                kind: ParseErrorKind::Truncated { what: cut_record(second, only) },
            }),
            (scan::Piece::Object { line, text }, _) if otlp_object == Some(true) && allow(Format::OtlpJson) => {
                push(Job::Otlp { line, text }, &mut batch, &mut batch_bytes)
            }
            // An array of no known shape, or an object of a format not read: foreign lines.
            (scan::Piece::Object { text, .. }, _)
                if otlp_object == Some(true) || (otlp_object == Some(false) && text.starts_with('[')) =>
            {
                report.foreign_lines += text.lines().count()
            }
            // Node's object literals are framed the same way; their keys are not quoted and they
            // indent by two spaces.
            (scan::Piece::Object { line, text }, _)
                if only == Some(Format::NodeConsole) || (only.is_none() && second.is_some_and(is_node)) =>
            {
                stateful = true;
                // One record per metric: consecutive metric records are one export, as long as
                // their points end at the same time (the SDK's collection time, one per export:
                // `MetricCollector.collect`); two exports printed back to back were counted one.
                node_metric = second.is_some_and(|l| l.starts_with("  descriptor:"));
                if node_metric {
                    let end = node_end_time(text);
                    let same = end.is_none() || node_end.is_none() || end == node_end;
                    if !previous_was_node_metric || !same {
                        report.metric_exports += 1;
                    }
                    if end.is_some() || !previous_was_node_metric {
                        node_end = end;
                    }
                }
                push(Job::Node { line, text }, &mut batch, &mut batch_bytes);
            }
            (scan::Piece::Object { line, text }, Some(kind)) => {
                push(Job::Go { line, text, kind }, &mut batch, &mut batch_bytes)
            }
            // Forced to Go, an object of no known Go shape is still read as a span, to say why not.
            (scan::Piece::Object { line, text }, None) if only == Some(Format::GoJson) => {
                push(Job::Go { line, text, kind: go_json::Kind::Span }, &mut batch, &mut batch_bytes)
            }
            (scan::Piece::Object { line, text }, None) if allow(Format::PythonJson) => {
                push(Job::Python { line, text }, &mut batch, &mut batch_bytes)
            }
            (scan::Piece::Object { text, .. }, _) => report.foreign_lines += text.lines().count(),
        }
        previous_was_node_metric = node_metric;
    }
    if report.rust_text || carry.is_some() {
        report.carry = Some(rust.carry(&mut resources, object_open || collector.active()));
    }
    match ending {
        Ending::Input => {}
        Ending::Record => rust.end_record(),
        Ending::Header => rust.end_block(),
    }
    // An input that ends inside its last line (a killed process, a file cut short): the record
    // that line goes on stops anywhere (`http.route: String(Owne`), and is said to be cut short
    // rather than read with a value cut off. A `\r` ends a line as well.
    let whole = ending != Ending::Input || not_utf8.is_some() || text.ends_with(b"\n") || text.ends_with(b"\r");
    let partial = (!whole).then(|| memchr::memrchr(b'\n', text).map_or(text, |nl| &text[nl + 1..]));
    let partial = partial.and_then(|p| std::str::from_utf8(p).ok()).filter(|p| !p.is_empty());
    report.foreign_lines += rust.finish_inside(&mut resources, partial);
    report.metric_exports += rust.metric_exports;
    report.unattributed += rust.unattributed;
    collector.finish(&mut resources);
    report.metric_exports += collector.metric_exports;
    // A Collector record's lines that can only be its own are indented by spaces (attributes,
    // a span's fields); its other lines may be the next tree's start, or the Collector's log
    // line after the tree (`\t{"otelcol.component.id"...`): those leave it whole.
    let in_record = |rec: &RecordLines| {
        partial.is_some_and(|p| p.starts_with(' ') && rec.lines.last().is_some_and(|l| std::ptr::eq(*l, p)))
    };
    for rec in collector.done.drain(..) {
        push(Job::Collector { cut: in_record(&rec), rec }, &mut batch, &mut batch_bytes);
    }
    let (open, cut) = (std::mem::take(&mut rust.open_at_end), std::mem::take(&mut rust.cut));
    for (i, rec) in rust.done.drain(..).enumerate() {
        push(Job::Rust { open_at_end: open.contains(&i), cut: cut.contains(&i), rec }, &mut batch, &mut batch_bytes);
    }
    if !batch.is_empty() {
        send(index, batch);
    }
    Framed { not_utf8, stateful, lines: pieces.lines_read() }
}

#[cfg(test)]
thread_local! {
    /// Tests frame line by line with this set, to hold the runs to it.
    static LINE_BY_LINE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Whether the framer takes the lines that go on with a Rust record in runs (always, but in the
/// test that compares them with taking them one by one).
fn runs_allowed() -> bool {
    #[cfg(test)]
    if LINE_BY_LINE.get() {
        return false;
    }
    true
}

/// The sequential stage for binary OTLP: one job per length-prefixed message, or per resource
/// group of a bare request (the caller has found the input is one or the other).
pub(super) fn frame_proto<'a>(
    bytes: &'a [u8],
    file: &Arc<str>,
    report: &mut Report,
    mut send: impl FnMut(usize, Vec<Job<'a>>),
) -> Framed {
    let (mut batch, mut batch_bytes, mut index, mut messages) = (Vec::new(), 0, 0, 0);
    // A bare request (no length in front) is read a resource group at a time (its number is
    // what errors name), and is one export; a framed message is one.
    // Each message's number, and its bytes or where the input cut it: taken as framing goes
    // (collected first, every message of a mapped file was touched before the first batch was
    // parsed, and a gigabyte of it held 774 MB).
    type Numbered<'b> = Box<dyn Iterator<Item = (u64, Result<&'b [u8], ()>)> + 'b>;
    let bare = if otlp_proto::is_framed(bytes) { None } else { otlp_proto::bare(bytes) };
    let (frames, export, cut_what): (Numbered, _, _) = match bare {
        Some(bare) => {
            let mut groups: Vec<_> = bare.groups.iter().map(|&(a, b)| Ok(&bytes[a..b])).collect();
            if bare.cut {
                groups.push(Err(()));
            }
            if groups.iter().flatten().any(|g| otlp_proto::holds_metrics(g)) {
                report.metric_exports += 1;
            }
            (Box::new((1..).zip(groups)), false, "resource group of the OTLP protobuf request")
        }
        None => (Box::new(otlp_proto::frames(bytes).map(|f| (f.index, f.bytes))), true, "OTLP protobuf message"),
    };
    for (number, frame) in frames {
        messages = number;
        match frame {
            Ok(b) => {
                batch_bytes += b.len();
                batch.push(Job::Proto { index: number, bytes: b, export });
                if batch_bytes >= BATCH_BYTES {
                    send(index, std::mem::take(&mut batch));
                    (index, batch_bytes) = (index + 1, 0);
                }
            }
            Err(()) => report.errors.push(ParseError {
                file: file.clone(),
                line: number,
                kind: ParseErrorKind::Truncated { what: cut_what },
            }),
        }
    }
    if !batch.is_empty() {
        send(index, batch);
    }
    Framed { not_utf8: None, stateful: true, lines: messages }
}

/// The first point's `endTime: [ seconds, nanoseconds ]` of a Node metric record, as printed.
fn node_end_time(text: &str) -> Option<&str> {
    let at = memchr::memmem::find(text.as_bytes(), b"endTime: [")? + "endTime: [".len();
    let len = memchr::memchr(b']', &text.as_bytes()[at..])?;
    Some(text[at..at + len].trim())
}

/// Whose record a `{`-framed object cut short was, told by its second line as a whole one's is
/// (a Node record cut by a killed process was once called a Python one).
fn cut_record(second: Option<&str>, only: Option<Format>) -> &'static str {
    let node = "Node console record";
    match only {
        Some(Format::NodeConsole) => return node,
        Some(Format::GoJson) => return "Go record",
        Some(Format::OtlpJson) => return "OTLP JSON document",
        Some(_) => return "Python console record",
        None => {}
    }
    let python = "Python console record";
    match second {
        Some(l) if is_node(l) => node,
        Some(l) if go_json::object_kind(l).is_some() => "Go record",
        // `resource_metrics` opens Python's metrics exports as well as OTLP's snake_case ones,
        // which a whole object tells apart and a cut one cannot: Python's are the common ones.
        Some(l) if otlp_json::is_pretty_start(l) && !l.contains('_') => "OTLP JSON document",
        // Cut inside its first key: the indentation says whose (Go's encoder indents with a tab,
        // Python's `json.dumps` with four spaces, pretty OTLP with two before a quote, Node with
        // two before a name).
        Some(l) if l.starts_with('\t') => "Go record",
        Some(l) if l.starts_with("    ") => python,
        Some(l) if l.starts_with("  \"") => "OTLP JSON document",
        Some(l) if l.starts_with("  ") => node,
        // Only its `{` came.
        _ => "record",
    }
}

/// Whether a `{`-framed object is a Node literal, by its second line: `  key:` (two spaces, an
/// unquoted or single-quoted key), where Python's is `    "key":`.
fn is_node(second_line: &str) -> bool {
    let b = second_line.as_bytes();
    b.len() > 2 && b[0] == b' ' && b[1] == b' ' && (b[2].is_ascii_alphabetic() || b[2] == b'\'' || b[2] == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A Rust record as framed: its signal, first line and lines.
    type Record<'a> = (Signal, u64, Vec<&'a str>);

    /// A text's Rust records and its foreign lines as [`frame`] gives them, with runs or (`runs`
    /// false) a line at a time.
    fn framed(text: &str, runs: bool) -> (Vec<Record<'_>>, usize) {
        let (mut report, mut records) = (Report::default(), Vec::new());
        let file: Arc<str> = Arc::from("test");
        LINE_BY_LINE.set(!runs);
        frame(text.as_bytes(), &file, None, Ending::Input, None, &mut report, |_, jobs| {
            for job in jobs {
                if let Job::Rust { rec, .. } = job {
                    records.push((rec.signal, rec.line, rec.lines));
                }
            }
        });
        LINE_BY_LINE.set(false);
        (records, report.foreign_lines)
    }

    /// Every Rust capture we hold, whole, with Windows line ends, cut at a few points, and with an
    /// app's lines (and an indented request) printed into its records: the runs take exactly the
    /// lines feeding them one by one takes, into the same records.
    #[test]
    fn rust_records_are_framed_as_line_by_line() {
        let root = env!("CARGO_MANIFEST_DIR");
        let mut files: Vec<_> = ["../../shared/samples/rust-stdout", "../samples/todo"]
            .iter()
            .flat_map(|d| std::fs::read_dir(format!("{root}/{d}")).unwrap())
            .map(|f| f.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "log"))
            .collect();
        files.sort();
        assert_eq!(files.len(), 7, "{files:?}");
        let mut checked = 0;
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            let mut variants = vec![text.clone(), text.replace('\n', "\r\n"), text.replace('\n', "\r\r\n")];
            let lines: Vec<&str> = text.lines().collect();
            for k in 1..6 {
                let at = lines.len() * k / 6;
                let cut: usize = lines[..at].iter().map(|l| l.len() + 1).sum();
                variants.push(text[..cut + lines[at].len() / 2].to_string());
            }
            // Lines of every shape, each put in at a dozen places (inside spans, logs, metrics).
            let strays = [
                "",
                "plain app line",
                "\t{\"resourceSpans\":[]}",
                "\t [x",
                "\t Body: String(Owned(\"stray\"))",
                "\t\t ->  stray: I64(1)",
                "\t\tName         : stray",
                "\t\t\t\tValue        : 3",
                "\tName         : stray",
                "\tInstrumentation Scope #9",
                "\t\r",
            ];
            for (s, stray) in strays.iter().enumerate() {
                for k in 1..12 {
                    let mut mixed = lines.clone();
                    mixed.insert((lines.len() * k / 12 + s * 7) % lines.len(), stray);
                    variants.push(mixed.join("\n") + "\n");
                }
            }
            for v in &variants {
                assert_eq!(framed(v, true), framed(v, false), "{}", file.display());
                checked += 1;
            }
        }
        assert!(checked >= 900, "{checked}");
    }
}
