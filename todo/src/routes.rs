//! The three handlers of the original app: list, add, delete.
//!
//! Each runs inside the request's SERVER span (opened by the middleware in `app.rs`) and opens
//! the INTERNAL span the original opens (`querying_tasks`, `adding_task`, `deleting_task`); the
//! log lines are the original's, word for word.

use axum::Form;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use opentelemetry::trace::Status;
use serde::Deserialize;
use tracing::{info, info_span, warn};
use tracing_opentelemetry::OpenTelemetrySpanExt;

use crate::app::AppState;
use crate::error::AppError;
use crate::page;

/// Longest task text accepted, in characters.
pub const MAX_TASK_CHARS: usize = 256;

/// The "Add new task" form.
#[derive(Debug, Deserialize, FromRequest)]
#[from_request(via(Form), rejection(AppError))]
pub struct NewTask {
    pub task: String,
}

/// The list page's query string: `?page=N`. Other parameters (the tutorial's `q` and `sort`)
/// are ignored, as the original ignores them all.
#[derive(Debug, Deserialize, FromRequestParts)]
#[from_request(via(Query), rejection(AppError))]
pub struct PageQuery {
    pub page: Option<String>,
}

impl PageQuery {
    /// The page asked for, from 1; no `page`, or an empty one, is the first.
    pub fn number(&self) -> Result<u32, AppError> {
        match self.page.as_deref() {
            None | Some("") => Ok(1),
            Some(p) => p
                .parse()
                .ok()
                .filter(|&n| n >= 1 && p.bytes().all(|b| b.is_ascii_digit()))
                .ok_or_else(|| AppError::BadRequest(format!("page must be a whole number from 1 up, not {p:?}"))),
        }
    }
}

/// `GET /?page=N`: one page of the list, [`TASKS_PER_PAGE`](crate::db::TASKS_PER_PAGE) tasks, oldest first. A page
/// past the last one is an empty page with a link back to the first.
pub async fn tasks_index(State(state): State<AppState>, query: PageQuery) -> Result<Html<String>, AppError> {
    state.metrics.count_request("tasks_index");
    let number = query.number()?;
    let (tasks, has_next) = {
        let _span = info_span!("querying_tasks").entered();
        let (tasks, has_next) = state.db.page(number)?;
        info!("Fetched {} tasks from the database", tasks.len());
        (tasks, has_next)
    };
    Ok(Html(page::render(&tasks, number, has_next)))
}

/// `POST /add`: stores the task and sends the browser back to the list.
pub async fn tasks_create(State(state): State<AppState>, form: NewTask) -> Result<Response, AppError> {
    state.metrics.count_request("tasks_create");
    let text = form.task;
    if text.trim().is_empty() {
        return Err(AppError::BadRequest("Task text must not be empty".into()));
    }
    let chars = text.chars().count();
    if chars > MAX_TASK_CHARS {
        return Err(AppError::BadRequest(format!(
            "Task text is {chars} characters long; the limit is {MAX_TASK_CHARS}"
        )));
    }
    {
        let _span = info_span!("adding_task").entered();
        state.db.add(&text)?;
        state.metrics.count_task_created();
        info!("Added new task with description: {text}");
    }
    Ok(back_to_list())
}

/// `POST /delete/{id}`: deletes the task if it exists, and sends the browser back to the list.
pub async fn tasks_delete(State(state): State<AppState>, Path(id): Path<String>) -> Result<Response, AppError> {
    state.metrics.count_request("tasks_delete");
    // Digits only, as Flask's `<int:task_id>` converter: anything else is not this route.
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
        return Err(AppError::NotFound);
    }
    let span = info_span!("deleting_task").entered();
    let Ok(id_num) = id.parse::<i64>() else {
        let error = AppError::IdOverflow(id);
        // As in the original, the failing step is an error too, not only the request.
        span.set_status(Status::error(error.to_string()));
        return Err(error);
    };
    if state.db.delete(id_num)? {
        info!("Deleted task with ID: {id_num}");
    } else {
        warn!("Attempted to delete a task with ID: {id_num}, but it was not found");
    }
    Ok(back_to_list())
}

/// Any path no route matched.
pub async fn not_found() -> AppError {
    AppError::NotFound
}

/// 302 to `/` (the first page), as Flask's `redirect(url_for('home'))` answers.
fn back_to_list() -> Response {
    (StatusCode::FOUND, [(header::LOCATION, "/")]).into_response()
}
