//! The only file with SQL: the `tasks` table, with bound parameters only.
//!
//! Each statement runs inside a CLIENT span named `OPERATION tasks` carrying `db.system.name`
//! and the statement text, as a database instrumentation would record it. SQLite calls take
//! microseconds, so they run inline under a mutex rather than on a blocking pool.

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use opentelemetry::trace::Status;
use rusqlite::{Connection, params};
use tracing::field::Empty;
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// A stored task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Task {
    pub id: i64,
    pub content: String,
}

/// A shared SQLite connection.
#[derive(Clone)]
pub struct Db(Arc<Mutex<Connection>>);

const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS tasks (id INTEGER PRIMARY KEY AUTOINCREMENT, content TEXT NOT NULL)";
const LIST: &str = "SELECT id, content FROM tasks ORDER BY id";
/// Tasks on one page of the list.
pub const TASKS_PER_PAGE: u64 = 100;
// One row more than a page says whether a next page exists, without counting them all. The
// LIMIT is written out, not bound: SQLite re-prepares a statement each time a bound LIMIT is
// rebound (it plans with its value): that took a sixth of a page view's instructions.
const PAGE: &str = "SELECT id, content FROM tasks ORDER BY id LIMIT 101 OFFSET ?1";
const INSERT: &str = "INSERT INTO tasks (content) VALUES (?1)";
const DELETE: &str = "DELETE FROM tasks WHERE id = ?1";

impl Db {
    /// Opens (creating if needed) the database file.
    pub fn open(path: &Path) -> rusqlite::Result<Db> {
        let conn = Connection::open(path)?;
        // WAL keeps readers off the writer's back; NORMAL sync is still safe against an app crash.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        Db::setup(conn)
    }

    /// A private database that disappears with the value, for tests.
    pub fn open_in_memory() -> rusqlite::Result<Db> {
        Db::setup(Connection::open_in_memory()?)
    }

    fn setup(conn: Connection) -> rusqlite::Result<Db> {
        traced("CREATE", SCHEMA, || conn.execute(SCHEMA, []))?;
        Ok(Db(Arc::new(Mutex::new(conn))))
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave SQLite inconsistent; keep serving.
        self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Page `number` (from 1) of the list, [`TASKS_PER_PAGE`] tasks oldest first, and whether a
    /// later page has tasks. SQLite walks past the rows of the pages before, so a far page costs
    /// what its offset says.
    pub fn page(&self, number: u32) -> rusqlite::Result<(Vec<Task>, bool)> {
        let offset = i64::from(number.saturating_sub(1)) * TASKS_PER_PAGE as i64;
        let conn = self.conn();
        let mut tasks: Vec<Task> = traced("SELECT", PAGE, || {
            let mut stmt = conn.prepare_cached(PAGE)?;
            let rows = stmt.query_map(params![offset], |r| Ok(Task { id: r.get(0)?, content: r.get(1)? }))?;
            rows.collect()
        })?;
        let has_next = tasks.len() as u64 > TASKS_PER_PAGE;
        tasks.truncate(TASKS_PER_PAGE as usize);
        Ok((tasks, has_next))
    }

    /// All tasks, oldest first (tests and tools; the page reads one [`Db::page`] at a time).
    pub fn list(&self) -> rusqlite::Result<Vec<Task>> {
        let conn = self.conn();
        traced("SELECT", LIST, || {
            let mut stmt = conn.prepare_cached(LIST)?;
            let rows = stmt.query_map([], |r| Ok(Task { id: r.get(0)?, content: r.get(1)? }))?;
            rows.collect()
        })
    }

    /// Stores a task and returns its id.
    pub fn add(&self, content: &str) -> rusqlite::Result<i64> {
        let conn = self.conn();
        traced("INSERT", INSERT, || {
            conn.prepare_cached(INSERT)?.execute(params![content])?;
            Ok(conn.last_insert_rowid())
        })
    }

    /// Deletes a task; `false` when no task had that id.
    pub fn delete(&self, id: i64) -> rusqlite::Result<bool> {
        let conn = self.conn();
        traced("DELETE", DELETE, || Ok(conn.prepare_cached(DELETE)?.execute(params![id])? > 0))
    }

    /// Runs raw SQL; only tests use it, to break the database on purpose.
    #[doc(hidden)]
    pub fn execute_batch_for_tests(&self, sql: &str) -> rusqlite::Result<()> {
        self.conn().execute_batch(sql)
    }
}

/// Runs one statement inside its CLIENT span; a failure marks the span as an error.
fn traced<T>(
    operation: &'static str,
    sql: &'static str,
    run: impl FnOnce() -> rusqlite::Result<T>,
) -> rusqlite::Result<T> {
    let span = tracing::info_span!(
        "db",
        otel.name = Empty,
        otel.kind = "client",
        db.system.name = "sqlite",
        db.operation.name = operation,
        db.collection.name = "tasks",
        db.query.text = sql,
    );
    span.record("otel.name", format!("{operation} tasks"));
    let _entered = span.enter();
    let result = run();
    if let Err(e) = &result {
        span.set_status(Status::error(e.to_string()));
        span.set_attribute("error.type", error_type(e));
    }
    result
}

/// A short, stable name for a SQLite error, for `error.type`.
fn error_type(e: &rusqlite::Error) -> String {
    match e {
        rusqlite::Error::SqliteFailure(code, _) => format!("{:?}", code.code),
        other => format!("{other:?}").split(['(', ' ', '{']).next().unwrap_or("Error").to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_query_reads_one_row_past_a_page() {
        assert!(PAGE.contains(&format!(" LIMIT {} ", TASKS_PER_PAGE + 1)), "{PAGE}");
        let db = Db::open_in_memory().unwrap();
        for i in 0..201 {
            db.add(&i.to_string()).unwrap();
        }
        let (first, more) = db.page(1).unwrap();
        assert_eq!((first.len(), first[0].content.as_str(), more), (100, "0", true));
        let (third, more) = db.page(3).unwrap();
        assert_eq!((third.len(), third[0].content.as_str(), more), (1, "200", false));
        assert_eq!(db.page(4).unwrap(), (vec![], false));
        assert_eq!(db.page(u32::MAX).unwrap(), (vec![], false));
    }
}
