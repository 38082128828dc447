//! A deliberately small reader of `opentelemetry-stdout` 0.33 text, for asserting on what `todo`
//! printed. It is independent of otelgrep on purpose: the app's tests must not trust the parser
//! that the app's captures are later used to test.

/// One `Spans`, `Metrics` or `Logs` block.
#[derive(Debug)]
pub struct Block {
    pub kind: String,
    /// 1-based line number of the header.
    pub line: usize,
    pub lines: Vec<String>,
}

pub fn blocks(text: &str) -> Vec<Block> {
    let mut out: Vec<Block> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if matches!(line, "Spans" | "Metrics" | "Logs") {
            out.push(Block { kind: line.to_string(), line: i + 1, lines: Vec::new() });
        } else {
            match out.last_mut() {
                Some(b) => b.lines.push(line.to_string()),
                None => panic!("line {} comes before any block header: {line:?}", i + 1),
            }
        }
    }
    out
}

/// Checks that no line of one signal sits inside another signal's block.
pub fn check_integrity(blocks: &[Block]) -> Result<(), String> {
    for b in blocks {
        let mut in_resource = true;
        for (i, l) in b.lines.iter().enumerate() {
            let at = || format!("{} block at line {}, line {}: {l:?}", b.kind, b.line, b.line + i + 1);
            if l == "Resource" || l.starts_with("\tResource SchemaUrl") || l.starts_with("\t Resource SchemaUrl") {
                continue;
            }
            if in_resource && l.starts_with("\t ->  ") {
                continue;
            }
            in_resource = false;
            let ok = match b.kind.as_str() {
                "Spans" => l.starts_with("Span #") || l.is_empty() || (l.starts_with('\t') && !l.starts_with("\t ")),
                "Logs" => l.starts_with("Log #") || l.starts_with("\t ") || l.starts_with("\t\t ->  "),
                "Metrics" => {
                    l.starts_with("Metric #") || l.starts_with("\tInstrumentation Scope #") || l.starts_with("\t\t")
                }
                _ => false,
            };
            let foreign = match b.kind.as_str() {
                "Spans" => l.starts_with("\t\tType ") || l.starts_with("\t\tSum DataPoints"),
                "Metrics" => {
                    l.starts_with("\t\t ->  ") || l.starts_with("\t\tName         : \"") && !l.contains("Scope")
                }
                _ => false,
            };
            if !ok || foreign {
                return Err(at());
            }
        }
    }
    Ok(())
}

/// A span, as far as the tests care.
#[derive(Debug, Default, Clone)]
pub struct Span {
    pub name: String,
    pub kind: String,
    pub trace_id: String,
    pub span_id: String,
    pub parent: Option<String>,
    pub status: String,
    pub attrs: Vec<(String, String)>,
    pub events: Vec<String>,
}

impl Span {
    pub fn attr(&self, key: &str) -> Option<&str> {
        self.attrs.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }
    /// An `I64(n)` attribute.
    pub fn int(&self, key: &str) -> Option<i64> {
        self.attr(key)?.strip_prefix("I64(")?.strip_suffix(')')?.parse().ok()
    }
    /// A `String(Owned("..."))` / `String(Static("..."))` attribute, unescaped only for plain text.
    pub fn str(&self, key: &str) -> Option<&str> {
        let v = self.attr(key)?;
        let inner = v.strip_prefix("String(")?.strip_suffix(')')?;
        let inner = inner.split_once('(')?.1.strip_suffix(')')?;
        inner.strip_prefix('"')?.strip_suffix('"')
    }
}

pub fn spans(blocks: &[Block]) -> Vec<Span> {
    let mut out = Vec::new();
    for b in blocks.iter().filter(|b| b.kind == "Spans") {
        let mut cur: Option<Span> = None;
        let mut in_events = false;
        for l in &b.lines {
            if l.starts_with("Span #") {
                out.extend(cur.take());
                cur = Some(Span::default());
                in_events = false;
                continue;
            }
            let Some(s) = cur.as_mut() else { continue };
            let field = |prefix: &str| l.strip_prefix(prefix).map(str::to_string);
            if let Some(v) = field("\tName         : ") {
                s.name = v;
            } else if let Some(v) = field("\tTraceId      : ") {
                s.trace_id = v;
            } else if let Some(v) = field("\tSpanId       : ") {
                s.span_id = v;
            } else if let Some(v) = field("\tParentSpanId : ") {
                s.parent = (v != "None (root span)").then_some(v);
            } else if let Some(v) = field("\tKind         : ") {
                s.kind = v;
            } else if let Some(v) = field("\tStatus       : ") {
                s.status = v;
            } else if l == "\tEvents:" {
                in_events = true;
            } else if let Some(v) = field("\tName      : ") {
                s.events.push(v);
            } else if let Some(kv) = l.strip_prefix("\t\t ->  ") {
                if !in_events {
                    let (k, v) = kv.split_once(": ").expect("attribute line");
                    s.attrs.push((k.to_string(), v.to_string()));
                }
            }
        }
        out.extend(cur);
    }
    out
}

/// A log record, as far as the tests care.
#[derive(Debug, Default, Clone)]
pub struct Log {
    pub severity: String,
    pub body: String,
    pub trace_id: Option<String>,
    pub span_id: Option<String>,
}

pub fn logs(blocks: &[Block]) -> Vec<Log> {
    let mut out = Vec::new();
    for b in blocks.iter().filter(|b| b.kind == "Logs") {
        let mut cur: Option<Log> = None;
        for l in &b.lines {
            if l.starts_with("Log #") {
                out.extend(cur.take());
                cur = Some(Log::default());
                continue;
            }
            let Some(r) = cur.as_mut() else { continue };
            if let Some(v) = l.strip_prefix("\t SeverityText: ") {
                r.severity = v.trim_matches('"').to_string();
            } else if let Some(v) = l.strip_prefix("\t Body: ") {
                r.body = v.to_string();
            } else if let Some(v) = l.strip_prefix("\t TraceId: ") {
                r.trace_id = Some(v.to_string());
            } else if let Some(v) = l.strip_prefix("\t SpanId: ") {
                r.span_id = Some(v.to_string());
            }
        }
        out.extend(cur);
    }
    out
}

/// Sum of the `Count` of every data point of histogram `name` in one Metrics block.
pub fn histogram_count(block: &Block, name: &str) -> Option<u64> {
    sum_point_field(block, name, "\t\t\tCount        : ")
}

/// The value of counter `name` summed over its data points in one Metrics block.
pub fn counter_total(block: &Block, name: &str) -> Option<u64> {
    sum_point_field(block, name, "\t\t\tValue        : ")
}

/// Sums an integer data-point field over the points of metric `name`; `None` when it is absent.
fn sum_point_field(block: &Block, name: &str, field: &str) -> Option<u64> {
    let mut inside = false;
    let mut found = false;
    let mut total = 0;
    for l in &block.lines {
        if let Some(n) = l.strip_prefix("\t\tName         : ") {
            inside = n == name;
            found |= inside;
        } else if l.starts_with("Metric #") || l.starts_with("\tInstrumentation Scope #") {
            inside = false;
        } else if inside {
            if let Some(v) = l.strip_prefix(field) {
                total += v.trim().parse::<u64>().unwrap();
            }
        }
    }
    found.then_some(total)
}
