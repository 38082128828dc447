//! The Node console reader's tests: literals of every shape `util.inspect` prints, and records
//! as the SDKs print them.

use super::*;

/// [`parse_literal`] with an arena of its own, kept for the test.
fn parse_literal_in(text: &str) -> Result<Js<'_>, RecordError> {
    parse_literal(text, Box::leak(Box::new(Bump::new())))
}

/// A fixture of two printed objects: the first read, and the second's text.
fn first_read(text: &str) -> (Js<'_>, &str) {
    let (first, second) = text.split_at(text.find("\n}\n{").unwrap() + 3);
    (parse_literal_in(first).unwrap(), second)
}

fn str(s: &'static str) -> Js<'static> {
    Js::Str(s)
}

/// Every shape `util.inspect` prints besides plain objects, as Node 20 printed them
/// (`tests/fixtures/node-inspect-shapes.js`, run with `node`): each read as a value, what a
/// record needs kept (a `Map`'s and a class instance's entries, a typed array's numbers).
#[test]
fn every_shape_util_inspect_prints_is_a_value() {
    let (js, second) = first_read(include_str!("../../../tests/fixtures/node-inspect-shapes.txt"));
    let state = js.get("traceState").unwrap();
    assert_eq!(state.get("_rawTraceState"), Some(&str("congo=t61rcWkgMzE,rojo=00f067aa0ba902b7")));
    // Written as `serialize()` writes it: the entries newest first.
    assert_eq!(trace_state(Some(state)).as_deref(), Some("congo=t61rcWkgMzE,rojo=00f067aa0ba902b7"));
    assert_eq!(
        state.get("_internalState"),
        Some(&Js::Obj(&[("rojo", str("00f067aa0ba902b7")), ("congo", str("t61rcWkgMzE"))]))
    );
    assert_eq!(js.get("empty"), Some(&Js::Obj(&[])));
    assert_eq!(js.get("map"), Some(&Js::Obj(&[("a", Js::Int(1)), ("2", Js::Obj(&[("b", str("c"))]))])));
    assert_eq!(js.get("emptyMap"), Some(&Js::Obj(&[])));
    assert_eq!(js.get("set"), Some(&Js::Arr(&[str("x"), str("y")])));
    assert_eq!(js.get("bytes"), Some(&Js::Arr(&[Js::Int(1), Js::Int(2), Js::Int(255)])));
    assert_eq!(js.get("floats"), Some(&Js::Arr(&[Js::Num(1.5), Js::Int(-2)])));
    assert_eq!(js.get("big"), Some(&Js::Arr(&[Js::BigInt("1"), Js::BigInt("-2")])));
    assert_eq!(js.get("buffer"), Some(&Js::Arr(&[Js::Int(1), Js::Int(2), Js::Int(3)])));
    for nothing in ["fn", "arrow", "cls", "sym", "boxed"] {
        assert_eq!(js.get(nothing), Some(&Js::Undefined), "{nothing}");
    }
    assert_eq!(js.get("cyc"), Some(&Js::Obj(&[("name", str("loop")), ("self", Js::Undefined)])));
    assert_eq!(js.get("sparse"), Some(&Js::Arr(&[Js::Int(1), Js::Int(4)])));
    assert_eq!(js.get("extra"), Some(&Js::Arr(&[Js::Int(1), Js::Int(2)])));
    assert_eq!(js.get("nullProto"), Some(&Js::Obj(&[("a", Js::Int(1))])));
    assert_eq!(js.get("withSym").and_then(|w| w.get("plain")), Some(&Js::Int(2)));
    assert_eq!(js.get("getter"), Some(&Js::Obj(&[("g", Js::Undefined)])));
    assert_eq!(js.get("date"), Some(&str("2026-12-02T10:00:00.000Z")));
    assert_eq!(js.get("regexp"), Some(&str("/a+b/gi")));
    assert_eq!(js.get("promise"), Some(&Js::Arr(&[Js::Int(1)])));
    assert_eq!(js.get("weak"), Some(&Js::Obj(&[])));
    assert!(matches!(js.get("many"), Some(Js::Arr(a)) if a.len() == 100));
    let js = parse_literal_in(second).unwrap();
    assert_eq!(js.get("body"), Some(&Js::Obj(&[("k", Js::Arr(&[Js::Int(7)]))])));
    // A class name alone, or a tag not closed on its line, is still no value.
    assert!(parse_literal_in("{\n  a: TraceState\n}").is_err());
    assert!(parse_literal_in("{\n  a: [Function: f\n}").is_err());
}

/// What `util.inspect` prints for errors, dates, iterators and promises, as Node 20 printed
/// them (`tests/fixtures/node-inspect-errors.js`): each a value, an error kept as its stack
/// (with its own properties beside it). Before, each was `unknown value` or a broken key, and
/// a log record whose body was an error was skipped.
#[test]
fn errors_dates_iterators_and_promises_are_values() {
    let (js, second) = first_read(include_str!("../../../tests/fixtures/node-inspect-errors.txt"));
    // The text an error keeps, and that it is the whole stack: its frames end at the last.
    let stack = |v: Option<&Js>| match v {
        Some(Js::Str(s)) => s.to_string(),
        Some(o @ Js::Obj(_)) => o.get("stack").and_then(Js::str).unwrap_or_default().to_string(),
        other => panic!("{other:?}"),
    };
    let framed = |v: Option<&Js>, first: &str| {
        let s = stack(v);
        assert!(s.starts_with(first), "{s}");
        assert!(s.lines().last().unwrap().trim_start().starts_with("at node:internal/main/"), "{s}");
    };
    assert_eq!(js.get("invalidDate"), Some(&str("Invalid Date")));
    assert_eq!(js.get("datePlus"), Some(&str("2026-12-02T00:00:00.000Z")));
    assert_eq!(js.get("invalidPlus"), Some(&str("Invalid Date")));
    let far = parse_literal_in("{\n  d: +275760-09-13T00:00:00.000Z,\n  e: -271821-04-20T00:00:00.000Z\n}").unwrap();
    assert_eq!(far.get("d"), Some(&str("+275760-09-13T00:00:00.000Z")));
    assert_eq!(far.get("e"), Some(&str("-271821-04-20T00:00:00.000Z")));
    assert_eq!(js.get("setIter"), Some(&Js::Arr(&[str("a")])));
    assert_eq!(js.get("mapEntries"), Some(&Js::Arr(&[Js::Arr(&[str("k"), Js::Int(1)])])));
    framed(js.get("error"), "Error: boom\n");
    assert_eq!(js.get("error").and_then(|e| e.get("code")), Some(&str("E1")));
    assert_eq!(js.get("error").and_then(|e| e.get("errno")), Some(&Js::Int(5)));
    framed(js.get("typeError"), "TypeError: bad\n");
    // Kept as `err.stack` holds it: without the indentation of its depth in the record.
    framed(js.get("multiline"), "Error: multi\nline, msg\n    at Object.<anonymous> (");
    assert_eq!(js.get("noStack"), Some(&str("Error: nostack")));
    framed(js.get("cause"), "Error: outer\n");
    framed(js.get("cause").and_then(|e| e.get("[cause]")), "Error: inner\n");
    framed(js.get("coded"), "TypeError [ERR_INVALID_ARG_TYPE]: ");
    assert_eq!(js.get("coded").and_then(|e| e.get("code")), Some(&str("ERR_INVALID_ARG_TYPE")));
    framed(js.get("aggregate"), "AggregateError: all failed\n");
    let errors = js.get("aggregate").and_then(|e| e.get("[errors]"));
    assert!(matches!(errors, Some(Js::Arr(a)) if a.len() == 1), "{errors:?}");
    for (key, first) in [("inArray", "Error: inarr\n"), ("inSet", "RangeError: inset\n")] {
        let Some(Js::Arr(items)) = js.get(key) else { panic!("{key}") };
        assert_eq!(items.len(), 1);
        framed(items.first(), first);
    }
    framed(js.get("inMap").and_then(|m| m.get("k")), "Error: inmap\n");
    let Some(Js::Arr(rejected)) = js.get("rejected") else { panic!("{:?}", js.get("rejected")) };
    framed(rejected.first(), "Error: r\n");
    assert_eq!(js.get("pending"), Some(&Js::Obj(&[])));
    assert_eq!(js.get("url"), Some(&str("http://a/b?c")));
    assert!(matches!(js.get("bigMap"), Some(Js::Obj(m)) if m.len() == 100));
    assert!(matches!(js.get("bigSet"), Some(Js::Arr(s)) if s.len() == 100));
    // A log record whose body is an error with its properties, read whole.
    let Ok(Record::Log(log)) = parse_record(second, &Needs::ALL, &mut Resources::default()) else {
        panic!("not a log record")
    };
    let Value::Map(body) = &log.body else { panic!("{:?}", log.body) };
    let keys: Vec<&str> = body.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys, ["stack", "errno", "code", "syscall", "path"]);
    assert!(matches!(&body[0].1, Value::Str(s) if s.starts_with("Error: ENOENT: no such file or directory")));
    // A name and a colon with no frames after it is an array's own key, as before, and no
    // value elsewhere (`util.inspect` brackets an error without frames): a damaged key stays
    // the error it was.
    assert_eq!(parse_literal_in("[ 1, Foo: 'bar' ]").unwrap(), Js::Arr(&[Js::Int(1)]));
    assert!(parse_literal_in("{\n  a: {\n    droppe:AttributesCount: 0\n  }\n}").is_err());
    assert!(parse_literal_in("{\n  instrumentation:Scope: { name: 'x' },\n  b: 1\n}").is_err());
    // So is a URL that lost its string's opening quote, a mark but `<rejected>` before a
    // value, and what follows a stack's frames without the comma that ends it.
    assert!(parse_literal_in("{\n  a: http://127.0.0.1/users',\n  b: 1\n}").is_err());
    assert!(parse_literal_in("{\n  a: Promise { <rejectd> 1 }\n}").is_err());
    let frames = "Error: x\n      at f (a.js:1:1)\n      at g (a.js:2:1)";
    assert!(parse_literal_in(&format!("{{\n  body: {frames}\n  attributes: {{ a: 1 }}\n}}")).is_err());
    assert!(parse_literal_in(&format!("{{\n  body: {frames}\n      #$%^ }}{{ ][\n}}")).is_err());
    // A message line may end as a stack does (an `AssertionError`'s diff).
    let text = format!("{{\n  a: E: deep,\n  + x {{\n{}\n}}", &frames[9..]);
    let js = parse_literal_in(&text).unwrap();
    assert_eq!(js.get("a"), Some(&str("E: deep,\n+ x {\n    at f (a.js:1:1)\n    at g (a.js:2:1)")));
    // An error as a Map's key; a `stack` of its own is the one printed; `[Error]` a placeholder.
    let text = format!("{{\n  m: Map(1) {{\n    {frames} => 'v'\n  }}\n}}");
    let js = parse_literal_in(&text).unwrap();
    let key = "Error: x\n    at f (a.js:1:1)\n    at g (a.js:2:1)";
    assert_eq!(js.get("m"), Some(&Js::Obj(&[(key, str("v"))])));
    let js = parse_literal_in("{\n  e: [Error: x] { stack: undefined, code: 1 },\n  p: [Error]\n}").unwrap();
    assert_eq!(js.get("e"), Some(&Js::Obj(&[("stack", str("Error: x")), ("code", Js::Int(1))])));
    assert_eq!(js.get("p"), Some(&Js::Undefined));
    // An error without frames whose message runs over lines, as Node 20 prints every error
    // once `Error.stackTraceLimit` is 0 (a library's setting for speed).
    let text = "{\n  body: [Error: multi\n  line],\n  b: [\n    [TypeError: a\n    b]\n  ],\n  \
                c: [Error: multi\n  line [x]] {\n    code: 'E2'\n  },\n  d: [RangeError: one]\n}";
    let js = parse_literal_in(text).unwrap();
    assert_eq!(js.get("body"), Some(&str("Error: multi\nline")));
    assert_eq!(js.get("b"), Some(&Js::Arr(&[str("TypeError: a\nb")])));
    let c = Js::Obj(&[("stack", str("Error: multi\nline [x]")), ("code", str("E2"))]);
    assert_eq!(js.get("c"), Some(&c));
    assert_eq!(js.get("d"), Some(&str("RangeError: one")));
    // An apostrophe in the message, which the tag's reader takes for a quote.
    let text =
        "{\n  a: [Error: can't open],\n  b: [Error: can't open] { code: 'E3' },\n  c: [Error: it's\n  broken]\n}";
    let js = parse_literal_in(text).unwrap();
    assert_eq!(js.get("a"), Some(&str("Error: can't open")));
    let b = Js::Obj(&[("stack", str("Error: can't open")), ("code", str("E3"))]);
    assert_eq!(js.get("b"), Some(&b));
    assert_eq!(js.get("c"), Some(&str("Error: it's\nbroken")));
}

/// A record whose values nest past `DEEPEST` levels is skipped with the line where they do,
/// every way `util.inspect` nests (a tag alone too): the grammar recursed once a level, and a
/// record nested 15,000 deep overflowed the stack and aborted the run (a new-user check).
#[test]
fn values_nested_too_deep_skip_their_record() {
    let record = |open: &str, close: &str, depth: usize| {
        format!("{{\n  body: {}1{},\n  severityNumber: 9\n}}", open.repeat(depth), close.repeat(depth))
    };
    let read = |text: &str| parse_record(text, &Needs::ALL, &mut Resources::default());
    // The record and 127 objects are the 128 levels.
    assert!(read(&record("{ a: ", " }", 127)).is_ok());
    assert!(read(&record("{ a: ", " }", 128)).is_err());
    let ways = [
        ("{ a: ", " }"),
        ("[ ", " ]"),
        ("Map(1) { 1 => ", " }"),
        ("Foo { a: ", " }"),
        ("Set(1) { ", " }"),
        ("[Object: null prototype] { a: ", " }"),
        ("Buffer(1) [Uint8Array] [ ", " ]"),
    ];
    for (open, close) in ways {
        assert!(read(&record(open, close, 60)).is_ok(), "{open}");
        for depth in [130, 200_000] {
            let Err(e) = read(&record(open, close, depth)) else { panic!("{open} {depth} read") };
            assert_eq!(e.offset_lines, 1, "{open}");
            let ParseErrorKind::Invalid(msg) = &e.kind else { panic!("{e:?}") };
            assert!(msg.ends_with("values nested more than 128 levels deep"), "{open}: {msg}");
        }
    }
    // Tags in front of a tag in front of an object.
    let tags = |depth: usize| record(&"[Object: null prototype] ".repeat(depth), "", 1).replace("1,", "{ a: 1 },");
    assert!(read(&tags(60)).is_ok());
    let Err(e) = read(&tags(200_000)) else { panic!("tags read") };
    assert!(matches!(&e.kind, ParseErrorKind::Invalid(m) if m.ends_with("128 levels deep")), "{e:?}");
}

/// A record whose resource was read before (its text kept) reads as one read afresh: the same
/// record, or the same error at the same line, also when it is damaged after its resource.
#[test]
fn a_known_resource_reads_as_one_read_afresh() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/samples/node-console");
    let mut warm = Resources::default();
    let mut checked = 0;
    for file in std::fs::read_dir(root).unwrap() {
        let path = file.unwrap().path();
        if path.extension().is_none_or(|e| e != "txt") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        for piece in crate::parse::scan::python_objects(text.as_bytes()) {
            let crate::parse::scan::Piece::Object { text: record, .. } = piece else { continue };
            let Some(after) = record.strip_prefix(RESOURCE_FIRST) else { continue };
            let end = RESOURCE_FIRST.len() + after.find("\n  },\n").map_or(0, |i| i + 4);
            let mut variants = vec![record.to_string()];
            // Damaged after the resource: a key's colon lost, a value cut, the record cut.
            variants.push(format!("{}{}", &record[..end], record[end..].replacen(": ", " ", 1)));
            variants.push(format!("{}{}", &record[..end], record[end..].replacen(",\n", "\n", 1)));
            variants.push(record[..(end + record.len()) / 2].to_string());
            for v in &variants {
                // Read afresh, the resource and then the rest: the literal the whole grammar reads.
                let arena = Bump::new();
                let literal = read_literal(v, &arena, &mut Resources::default()).map(|(js, _)| js);
                assert_eq!(format!("{literal:?}"), format!("{:?}", parse_literal_in(v)), "{v}");
                let fresh = parse_record(v, &Needs::ALL, &mut Resources::default());
                assert_eq!(format!("{:?}", parse_record(v, &Needs::ALL, &mut warm)), format!("{fresh:?}"), "{v}");
                checked += 1;
            }
        }
    }
    assert!(checked > 100, "Node samples not found under {root}");
}

#[test]
fn literals_with_every_quirk() {
    let text = "{\n  a: 'it\\'s',\n  'b.c': \"q'\",\n  d: [ 1, 2.5, -0, NaN ],\n  e: undefined,\n  f: 12n,\n  g: 'one\\n' +\n    'two',\n  h: { deep: [Array] },\n  i: '\\x1B[0m'\n}";
    let js = parse_literal_in(text).unwrap();
    assert_eq!(js.get("a"), Some(&Js::Str("it's")));
    assert_eq!(js.get("b.c"), Some(&Js::Str("q'")));
    assert_eq!(js.get("e"), Some(&Js::Undefined));
    assert_eq!(js.get("f"), Some(&Js::BigInt("12")));
    assert_eq!(js.get("g"), Some(&Js::Str("one\ntwo")));
    assert_eq!(js.get("i"), Some(&Js::Str("\x1b[0m")));
    let err = parse_literal_in("{\n  a: 'x',\n  b: \n}").unwrap_err();
    assert_eq!(err.offset_lines, 3);
}

#[test]
fn long_arrays_cut_strings_and_unicode_escapes() {
    let text = "{\n  n: [\n    1, 2,\n    ... 98 more items\n  ],\n  s: 'abc'... 9990 more characters,\n  \
                e: '\\uD83D\\uDE00 \\u{1F600} \\u00e9',\n  empty: [],\n  o: {}\n}";
    let js = parse_literal_in(text).unwrap();
    assert_eq!(js.get("n"), Some(&Js::Arr(&[Js::Int(1), Js::Int(2)])));
    assert_eq!(js.get("s"), Some(&Js::Str("abc")));
    assert_eq!(js.get("e"), Some(&Js::Str("😀 😀 é")));
    assert_eq!(js.get("empty"), Some(&Js::Arr(&[])));
    assert_eq!(js.get("o"), Some(&Js::Obj(&[])));
}

#[test]
fn errors_name_the_line_and_what_was_expected() {
    let cases = [
        ("{\n  a 1\n}", 1, "expected ':' after a key"),
        ("{\n  a: [ 1, 2\n  }\n}", 2, "expected ',' or ']'"),
        ("{\n  a: 'open\n}", 2, "unterminated string"),
        ("{\n  a: 1\n}\nextra", 3, "unexpected text after the object"),
        ("{\n  a: @@\n}", 1, "unknown value"),
    ];
    for (text, line, what) in cases {
        let e = parse_literal_in(text).unwrap_err();
        assert_eq!(e.offset_lines, line, "{text:?}");
        assert!(matches!(&e.kind, ParseErrorKind::Invalid(m) if m.ends_with(what)), "{text:?}: {:?}", e.kind);
    }
}
