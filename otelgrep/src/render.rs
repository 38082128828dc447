//! Output in one place: the only module that knows comfy-table and how JSON is printed.

use std::io::Write;

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{Attribute, CellAlignment, Color, ColumnConstraint, ContentArrangement, Table, Width};
use serde::Serialize;

use crate::cli::OutputFormat;
use crate::cmd::summary::{Counts, Summary};

/// The table style, fitted to the terminal's width. A terminal that reports a width too small to
/// be real (a pty that was never sized says 0) would get one character per line: no fitting then.
fn fit(table: &mut Table) {
    table.load_preset(UTF8_FULL_CONDENSED).set_content_arrangement(ContentArrangement::Dynamic);
    // Into a pipe there is no terminal to ask: `COLUMNS` (which shells set, and `COLUMNS=100 cmd |
    // less` gives) is the width, as for `ls` and `git`; without it, tables are as wide as they are.
    use std::io::IsTerminal;
    if !std::io::stdout().is_terminal() {
        if let Some(w) = std::env::var("COLUMNS").ok().and_then(|c| c.trim().parse::<u16>().ok()) {
            table.set_width(w);
        }
    }
    if table.width().is_some_and(|w| w < 40) {
        table.set_content_arrangement(ContentArrangement::Disabled);
    }
}

/// Pretty JSON and a final newline.
pub fn json<T: Serialize>(value: &T, out: &mut dyn Write) -> anyhow::Result<()> {
    serde_json::to_writer_pretty(&mut *out, value)?;
    writeln!(out)?;
    Ok(())
}

/// Instance rows a summary table shows.
const INSTANCES_SHOWN: usize = 20;

/// The summary as one table: a row per figure, a column per file (and a total column when there
/// are several files).
pub fn summary_table(s: &Summary, out: &mut dyn Write) -> anyhow::Result<()> {
    let mut columns: Vec<(&str, &Counts)> = s.files.iter().map(|f| (f.file.as_str(), &f.counts)).collect();
    if s.files.len() > 1 {
        columns.push(("total", &s.total));
    }
    let mut table = Table::new();
    fit(&mut table);
    let mut header = vec![String::new()];
    header.extend(columns.iter().map(|(name, _)| name.to_string()));
    table.set_header(header);

    // Values come from the capture (service names, reasons): one line each, escaped.
    // (The reasons' cell lists one escaped reason per line.)
    let mut row = |label: &str, cell: &dyn Fn(&Counts) -> String| {
        let mut r = vec![one_line(label)];
        r.extend(columns.iter().map(|(_, c)| if label == "  first reasons" { cell(c) } else { one_line(&cell(c)) }));
        table.add_row(r);
    };
    let join = |m: &std::collections::BTreeMap<String, usize>| {
        m.iter().map(|(k, v)| format!("{k} {v}")).collect::<Vec<_>>().join(", ")
    };
    row("formats", &|c| join(&c.formats));
    if columns.iter().any(|(_, c)| !c.wrappers.is_empty()) {
        row("wrappers", &|c| join(&c.wrappers));
    }
    if columns.iter().any(|(_, c)| !c.sources.is_empty()) {
        row("sources", &|c| c.sources.join(", "));
    }
    if columns.iter().any(|(_, c)| !c.encodings.is_empty()) {
        row("encoding", &|c| if c.encodings.is_empty() { "UTF-8".into() } else { c.encodings.join(", ") });
    }
    row("spans", &|c| c.spans.to_string());
    let kinds: std::collections::BTreeSet<&String> = columns.iter().flat_map(|(_, c)| c.spans_by_kind.keys()).collect();
    for k in kinds {
        row(&format!("  {k}"), &|c| c.spans_by_kind.get(k).copied().unwrap_or(0).to_string());
    }
    row("  status ERROR", &|c| c.error_spans.to_string());
    row("log records", &|c| c.log_records.to_string());
    let severities: std::collections::BTreeSet<&String> =
        columns.iter().flat_map(|(_, c)| c.log_records_by_severity.keys()).collect();
    for sev in severities {
        row(&format!("  {sev}"), &|c| c.log_records_by_severity.get(sev).copied().unwrap_or(0).to_string());
    }
    row("metric exports", &|c| c.metric_exports.to_string());
    row("metric points", &|c| c.metric_points.to_string());
    let names: std::collections::BTreeSet<&String> =
        columns.iter().flat_map(|(_, c)| c.metric_points_by_name.keys()).collect();
    for n in names {
        row(&format!("  {n}"), &|c| c.metric_points_by_name.get(n).copied().unwrap_or(0).to_string());
    }
    row("services", &|c| c.services.join(", "));
    // Instances when there is more to say than the services: the services with several processes,
    // each instance on a row (at most INSTANCES_SHOWN; JSON always lists them all).
    let several = |c: &Counts| {
        let mut per: std::collections::BTreeMap<&Option<String>, usize> = Default::default();
        c.instances.iter().for_each(|i| *per.entry(&i.service).or_default() += 1);
        // Resources that name no service (host metrics' processes) are not service instances.
        per.into_iter().filter(|(s, n)| *n > 1 && s.is_some()).map(|(s, _)| s.clone()).collect::<Vec<_>>()
    };
    let shown: std::collections::BTreeSet<String> = columns
        .iter()
        .flat_map(|(_, c)| {
            let services = several(c);
            c.instances.iter().filter(move |i| services.contains(&i.service)).map(|i| i.label()).collect::<Vec<_>>()
        })
        .collect();
    if !shown.is_empty() {
        row("instances", &|c| c.instances.len().to_string());
        for label in shown.iter().take(INSTANCES_SHOWN) {
            row(&format!("  {label}"), &|c| {
                c.instances.iter().find(|i| i.label() == *label).map(|i| i.records()).unwrap_or_default()
            });
        }
        if shown.len() > INSTANCES_SHOWN {
            row(&format!("  ... {} more (--format json lists them)", shown.len() - INSTANCES_SHOWN), &|_| {
                String::new()
            });
        }
    }
    row("first time", &|c| c.first_time.clone().unwrap_or_default());
    row("last time", &|c| c.last_time.clone().unwrap_or_default());
    row("foreign lines", &|c| c.foreign_lines.to_string());
    row("skipped records", &|c| c.skipped_records.to_string());
    if columns.iter().any(|(_, c)| c.unattributed_records > 0) {
        row("records of an unsaid resource", &|c| c.unattributed_records.to_string());
    }
    if columns.iter().any(|(_, c)| !c.skipped_reasons.is_empty()) {
        row("  first reasons", &|c| c.skipped_reasons.iter().map(|r| one_line(r)).collect::<Vec<_>>().join("\n"));
    }
    for i in 1..columns.len() + 1 {
        if let Some(col) = table.column_mut(i) {
            col.set_cell_alignment(CellAlignment::Right);
        }
    }
    writeln!(out, "{table}")?;
    Ok(())
}

/// One cell of a result row.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Str(String),
    Int(i64),
    /// A count read from the input: any u64, 2^64-1 included (never shown as -1).
    Count(u64),
    /// A figure, and the decimals a table shows of it (CSV and JSON get every digit).
    Float(f64, usize),
    /// Several values: a JSON array, joined with `, ` elsewhere.
    List(Vec<String>),
    /// Several counts: a JSON array of numbers, joined with `, ` elsewhere.
    Ints(Vec<u64>),
    /// Counts by name (statuses): a JSON object, `200×262, 302×94` elsewhere.
    Tally(Vec<(String, u64)>),
    /// No value, which a table shows as this text (`(no url)`): JSON `null`, CSV empty.
    Missing(&'static str),
    /// No value (JSON `null`, an empty CSV field).
    Null,
    /// A sparkline: text that a narrow table must not wrap.
    Spark(String),
    /// Text a table shows over several lines, as it was written (`logs --full`); other control
    /// characters escaped. (`Str` is shown on one line: line breaks as `\n`.) Data formats carry
    /// both as they are.
    Lines(String),
    /// A cell shown in red when colours are on: something went wrong (errors > 0).
    Alert(Box<Cell>),
}

/// From here on a double is written with an exponent: past 2^53 its digits are not the value's
/// (a gauge of 2^64-1 read as a double showed as 18446744073709551616.000 in a table and
/// 18446744073709552000 in CSV), and 1e300 was 301 digits wide.
const LARGE: f64 = 1e16;

/// Whether CSV and plain text write `f` with an exponent, as JSON does (`1e300`, `1e-300`): too
/// large (see [`LARGE`]) or so small that its digits would be mostly zeros.
fn exponent(f: f64) -> bool {
    f.is_finite() && (f.abs() >= LARGE || (f != 0.0 && f.abs() < 1e-7))
}

impl Cell {
    /// A value that is a number when it reads as an integer (an HTTP status, whichever attribute
    /// type the exporter gave it), else text; no value is `Null`.
    pub fn integer_or_text(v: Option<String>) -> Cell {
        match v {
            None => Cell::Null,
            Some(s) => s.parse::<i64>().map_or(Cell::Str(s), Cell::Int),
        }
    }

    fn text(&self) -> String {
        match self {
            Cell::Str(s) | Cell::Spark(s) | Cell::Lines(s) => s.clone(),
            Cell::Int(i) => i.to_string(),
            Cell::Count(n) => n.to_string(),
            Cell::Float(f, _) if exponent(*f) => format!("{f:e}"),
            Cell::Float(f, _) => f.to_string(),
            Cell::List(items) => items.join(", "),
            Cell::Ints(items) => items.iter().map(u64::to_string).collect::<Vec<_>>().join(", "),
            Cell::Tally(items) => items.iter().map(|(k, n)| format!("{k}×{n}")).collect::<Vec<_>>().join(", "),
            Cell::Null | Cell::Missing(_) => String::new(),
            Cell::Alert(c) => c.text(),
        }
    }

    /// As a table shows it: figures rounded, control characters escaped (a captured value must not
    /// move the cursor or colour the terminal, and C1 characters from mojibake break alignment).
    fn shown(&self) -> String {
        match self {
            Cell::Float(f, decimals) if f.abs() >= LARGE => format!("{f:.decimals$e}"),
            Cell::Float(f, decimals) => format!("{f:.decimals$}"),
            Cell::Alert(c) => c.shown(),
            Cell::Lines(s) => escape_controls(s),
            Cell::Missing(text) => text.to_string(),
            other => one_line(&other.text()),
        }
    }

    pub fn numeric(&self) -> bool {
        match self {
            Cell::Int(_) | Cell::Count(_) | Cell::Float(..) => true,
            Cell::Alert(c) => c.numeric(),
            _ => false,
        }
    }

    fn json(&self) -> serde_json::Value {
        match self {
            Cell::Str(s) | Cell::Spark(s) | Cell::Lines(s) => serde_json::Value::String(s.clone()),
            Cell::Int(i) => serde_json::Value::from(*i),
            Cell::Count(n) => serde_json::Value::from(*n),
            // NaN and infinities have no JSON number: null.
            Cell::Float(f, _) => serde_json::Number::from_f64(*f).map_or(serde_json::Value::Null, Into::into),
            Cell::List(items) => serde_json::Value::from(items.clone()),
            Cell::Ints(items) => serde_json::Value::from(items.clone()),
            Cell::Tally(items) => {
                serde_json::Value::Object(items.iter().map(|(k, n)| (k.clone(), serde_json::Value::from(*n))).collect())
            }
            Cell::Null | Cell::Missing(_) => serde_json::Value::Null,
            Cell::Alert(c) => c.json(),
        }
    }

    /// Orders two cells of one column: numbers by value, text by text.
    pub fn compare(&self, other: &Cell) -> std::cmp::Ordering {
        use std::cmp::Ordering;
        let num = |c: &Cell| match c {
            Cell::Int(i) => Some(*i as f64),
            Cell::Count(n) => Some(*n as f64),
            Cell::Float(f, _) => Some(*f),
            Cell::Alert(c) => match **c {
                Cell::Int(i) => Some(i as f64),
                Cell::Count(n) => Some(n as f64),
                Cell::Float(f, _) => Some(f),
                _ => None,
            },
            _ => None,
        };
        match (num(self), num(other)) {
            (Some(a), Some(b)) => a.total_cmp(&b),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => natural_cmp(&self.text(), &other.text()),
        }
    }
}

/// Whether tables may use colour: only on a terminal, and never with `NO_COLOR` set (no-color.org).
pub fn colours_wanted() -> bool {
    use std::io::IsTerminal;
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Prints rows under named columns in the chosen format. CSV and JSON use the column names as
/// they are, so scripts, spreadsheets and DuckDB can take them directly. `colour` only affects
/// tables.
pub fn rows(
    columns: &[&str],
    rows: &[Vec<Cell>],
    format: OutputFormat,
    colour: bool,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let object = |row: &Vec<Cell>| -> serde_json::Map<String, serde_json::Value> {
        columns.iter().zip(row).map(|(c, v)| (c.to_string(), v.json())).collect()
    };
    match format {
        OutputFormat::Table => {
            let mut table = Table::new();
            fit(&mut table);
            if colour {
                table.enforce_styling();
                table.set_header(columns.iter().map(|c| comfy_table::Cell::new(c).add_attribute(Attribute::Bold)));
            } else {
                table.set_header(columns.to_vec());
            }
            for row in rows {
                table.add_row(row.iter().map(|c| {
                    let cell = comfy_table::Cell::new(c.shown());
                    match c {
                        Cell::Alert(_) if colour => cell.fg(Color::Red),
                        _ => cell,
                    }
                }));
            }
            // Figures align right and, like sparklines, are never wrapped: on a narrow terminal
            // only text columns (URLs) give up width. A column is a figure when any of its cells
            // is one (the first may have no value).
            let numeric: Vec<bool> = (0..columns.len()).map(|i| rows.iter().any(|r| r[i].numeric())).collect();
            let widest = |i: usize| rows.iter().map(|r| r[i].shown().chars().count()).chain([columns[i].len()]).max();
            // Sparklines, and short words (times, ids, severities) that a wrap would only break.
            let spark: Vec<bool> = (0..columns.len())
                .map(|i| {
                    rows.iter().any(|r| matches!(r[i], Cell::Spark(_)))
                        || (widest(i).unwrap_or(0) <= 32 && rows.iter().all(|r| !r[i].shown().contains(' ')))
                })
                .collect();
            // A URL cut into 3-character lines is unreadable: text keeps up to 30 columns of its
            // width, less when the width there is (terminal or COLUMNS) cannot hold that, never
            // under 12; the table may then be wider than asked.
            let fixed: usize =
                (0..columns.len()).filter(|i| numeric[*i] || spark[*i]).map(|i| widest(i).unwrap_or(0) + 3).sum();
            let texts = (0..columns.len()).filter(|i| !numeric[*i] && !spark[*i]).count().max(1);
            let floor = table
                .width()
                .map_or(30, |w| ((usize::from(w).saturating_sub(fixed + 1)) / texts).saturating_sub(3).clamp(12, 30));
            for i in 0..columns.len() {
                if let Some(col) = table.column_mut(i) {
                    if numeric[i] {
                        col.set_cell_alignment(CellAlignment::Right);
                    }
                    if numeric[i] || spark[i] {
                        col.set_constraint(ColumnConstraint::ContentWidth);
                    } else {
                        let keep = widest(i).unwrap_or(0).min(floor) as u16 + 2; // + the padding
                        col.set_constraint(ColumnConstraint::LowerBoundary(Width::Fixed(keep)));
                    }
                }
            }
            writeln!(out, "{table}")?;
        }
        OutputFormat::Csv => {
            let line = |cells: Vec<String>| cells.iter().map(|c| csv_field(c)).collect::<Vec<_>>().join(",");
            writeln!(out, "{}", line(columns.iter().map(|c| c.to_string()).collect()))?;
            for row in rows {
                writeln!(out, "{}", line(row.iter().map(Cell::text).collect()))?;
            }
        }
        OutputFormat::Json => {
            let all: Vec<_> = rows.iter().map(object).collect();
            json(&all, out)?;
        }
        OutputFormat::Ndjson => {
            for row in rows {
                serde_json::to_writer(&mut *out, &object(row))?;
                writeln!(out)?;
            }
        }
        OutputFormat::Markdown => {
            let esc = |s: String| s.replace('|', "\\|").replace('\n', " ");
            writeln!(out, "| {} |", columns.join(" | "))?;
            let rule: Vec<&str> = match rows.first() {
                Some(r) => r.iter().map(|c| if c.numeric() { "---:" } else { "---" }).collect(),
                None => columns.iter().map(|_| "---").collect(),
            };
            writeln!(out, "|{}|", rule.join("|"))?;
            for row in rows {
                writeln!(out, "| {} |", row.iter().map(|c| esc(c.shown())).collect::<Vec<_>>().join(" | "))?;
            }
        }
    }
    Ok(())
}

/// Characters a terminal must not be given as they are: control characters, the Unicode line and
/// paragraph separators, and the bidirectional overrides that reorder what follows them.
fn hidden(c: char) -> bool {
    c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Control characters escaped as [`one_line`] does (`\t`, `\r`, `\u{1b}`), line breaks kept: a
/// table cell may span lines.
pub fn escape_controls(s: &str) -> String {
    if !s.chars().any(|c| hidden(c) && c != '\n') {
        return s.to_string();
    }
    s.split('\n').map(one_line).collect::<Vec<_>>().join("\n")
}

/// A value on one line: line breaks and other control characters escaped (`\\n`, `\\t`,
/// `\\u{1b}`).
pub fn one_line(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if hidden(c) => out.extend(c.escape_unicode()),
            c => out.push(c),
        }
    }
    out
}

/// Text order with runs of digits compared as numbers: `/delete/2` before `/delete/10`.
pub fn natural_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    let (mut x, mut y) = (a.as_bytes(), b.as_bytes());
    loop {
        match (x.first(), y.first()) {
            (None, None) => return a.cmp(b),
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(c), Some(d)) if c.is_ascii_digit() && d.is_ascii_digit() => {
                let run = |s: &[u8]| s.iter().take_while(|b| b.is_ascii_digit()).count();
                let (m, n) = (run(x), run(y));
                // Leading zeros aside, a longer run is a larger number; equal lengths compare as text.
                fn trim(s: &[u8]) -> &[u8] {
                    s.iter().position(|b| *b != b'0').map_or(&s[s.len()..], |i| &s[i..])
                }
                let (p, q) = (trim(&x[..m]), trim(&y[..n]));
                let order = p.len().cmp(&q.len()).then_with(|| p.cmp(q));
                if order != Ordering::Equal {
                    return order;
                }
                (x, y) = (&x[m..], &y[n..]);
            }
            (Some(c), Some(d)) if c != d => return c.cmp(d),
            _ => (x, y) = (&x[1..], &y[1..]),
        }
    }
}

/// RFC 4180: quote a field that holds a comma, a quote or a line break.
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_show_control_characters_escaped() {
        assert_eq!(Cell::Str("a\u{1b}[31mb\u{9c}".into()).shown(), "a\\u{1b}[31mb\\u{9c}");
        // One style everywhere: a tab is `\t`, in a multi-line cell as on one line.
        assert_eq!(Cell::Lines("a\tb\nc".into()).shown(), "a\\tb\nc");
        assert_eq!(Cell::Str("a\tb\nc\u{2028}".into()).shown(), "a\\tb\\nc\\u{2028}");
        assert_eq!(Cell::Str("a\tb\nc".into()).json(), serde_json::json!("a\tb\nc"));
        assert_eq!(Cell::Str("/nope here/✓".into()).shown(), "/nope here/✓");
        // Data formats keep the value as it is.
        assert_eq!(Cell::Str("a\u{1b}b".into()).text(), "a\u{1b}b");
    }

    #[test]
    fn doubles_too_large_or_small_for_their_digits_have_an_exponent() {
        // A gauge of 2^64-1 read as a double, 1e300, 1e-300: three renderings agreed on none.
        let cases = [
            (18446744073709551615.0, "1.845e19", "1.8446744073709552e19", "18446744073709551615"),
            (1e300, "1.000e300", "1e300", "1e300"),
            (1e-300, "0.000", "1e-300", "1e-300"),
            (-2.5e17, "-2.500e17", "-2.5e17", "-2.5e17"),
        ];
        for (f, table, csv, json) in cases {
            let c = Cell::Float(f, 3);
            assert_eq!((c.shown().as_str(), c.text().as_str()), (table, csv), "{f}");
            assert_eq!(c.json().as_f64(), json.parse::<f64>().ok(), "{f}");
        }
        // What fits its digits is written as before.
        for (f, table, csv) in
            [(9007199254740993.0, "9007199254740992.000", "9007199254740992"), (0.25, "0.250", "0.25")]
        {
            assert_eq!((Cell::Float(f, 3).shown().as_str(), Cell::Float(f, 3).text().as_str()), (table, csv));
        }
        assert_eq!(Cell::Float(f64::NAN, 3).text(), "NaN");
    }

    #[test]
    fn natural_order() {
        let mut v = ["/delete/10", "/delete/2", "/add", "/delete/02", "/delete/1a", "/"];
        v.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(v, ["/", "/add", "/delete/1a", "/delete/02", "/delete/2", "/delete/10"]);
    }

    #[test]
    fn values_on_one_line() {
        assert_eq!(one_line("Traceback:\n\tline 1\r\u{1b}"), "Traceback:\\n\\tline 1\\r\\u{1b}");
    }
}
