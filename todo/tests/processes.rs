//! Several `todo` processes on one stdout, as workers behind one `tee`: every export is written
//! whole (no line of one process inside another's block), every Spans and Logs block names its
//! resource, and each process's SERVER spans are the requests its driver sent it.

mod common;

use std::collections::BTreeMap;
use std::io::Read;

use common::{App, TempDir, capture, rows, traffic};

#[test]
fn two_processes_on_one_pipe_write_whole_blocks_that_name_their_resource() {
    let dir = TempDir::new("two-processes");
    let (mut reader, writer) = std::io::pipe().unwrap();
    let reading = std::thread::spawn(move || {
        let mut text = String::new();
        reader.read_to_string(&mut text).unwrap();
        text
    });
    // Short intervals: many exports of both processes, so their writes meet.
    let env = |id: &'static str| {
        [("OTEL_RESOURCE_ATTRIBUTES", id), ("OTEL_METRIC_EXPORT_INTERVAL", "200"), ("OTEL_BSP_SCHEDULE_DELAY", "50")]
    };
    let a = App::start_sharing(&dir.path("a.db"), &env("service.instance.id=worker-a"), writer.try_clone().unwrap());
    let b = App::start_sharing(&dir.path("b.db"), &env("service.instance.id=worker-b"), writer);
    let (url_a, record_a) = (a.url(), dir.path("a.tsv"));
    let driving_a = std::thread::spawn(move || traffic(&url_a, 600, 4, 31, &record_a));
    let sent_b = rows(&traffic(&b.url(), 400, 4, 32, &dir.path("b.tsv"))).len();
    let sent_a = rows(&driving_a.join().unwrap()).len();
    for app in [a, b] {
        let out = app.stop("INT");
        assert!(out.status.success(), "{}", out.stderr);
    }
    let text = reading.join().unwrap();

    let blocks = capture::blocks(&text);
    capture::check_integrity(&blocks).unwrap();
    let mut server: BTreeMap<String, usize> = BTreeMap::new();
    for block in blocks.iter().filter(|b| b.kind != "Metrics") {
        // The resource opens every block: the process that wrote it.
        assert_eq!(
            block.lines.first().map(String::as_str),
            Some("Resource"),
            "{} block at line {}",
            block.kind,
            block.line
        );
        let id = block
            .lines
            .iter()
            .find_map(|l| l.strip_prefix("\t ->  service.instance.id=String(Owned(\""))
            .unwrap_or_else(|| panic!("no service.instance.id in the block at line {}", block.line))
            .trim_end_matches("\"))")
            .to_string();
        let spans = capture::spans(std::slice::from_ref(block));
        *server.entry(id).or_default() += spans.iter().filter(|s| s.kind == "Server").count();
    }
    let want: BTreeMap<String, usize> = [("worker-a".to_string(), sent_a), ("worker-b".to_string(), sent_b)].into();
    assert_eq!(server, want);
}
