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

    /// All tasks, oldest first.
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
