//! Handler tests: the router called in-process (`oneshot`) on a private in-memory database.

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use tower::ServiceExt;

use todo::app::{AppState, app};
use todo::db::Db;
use todo::semconv::Semconv;

fn fresh() -> (Router, Db) {
    let db = Db::open_in_memory().unwrap();
    (app(AppState::new(db.clone(), Semconv::Old, "127.0.0.1", 5000)), db)
}

async fn call(app: &Router, method: &str, uri: &str, form: Option<&str>) -> (StatusCode, Option<String>, String) {
    let mut req = Request::builder().method(method).uri(uri);
    let body = match form {
        Some(f) => {
            req = req.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
            Body::from(f.to_string())
        }
        None => Body::empty(),
    };
    let res = app.clone().oneshot(req.body(body).unwrap()).await.unwrap();
    let status = res.status();
    let location = res.headers().get(header::LOCATION).map(|v| v.to_str().unwrap().to_string());
    let bytes = axum::body::to_bytes(res.into_body(), 1 << 20).await.unwrap();
    (status, location, String::from_utf8(bytes.to_vec()).unwrap())
}

fn task_texts(page: &str) -> Vec<String> {
    page.split("<span class=\"task\">").skip(1).map(|s| s.split("</span>").next().unwrap().to_string()).collect()
}

#[tokio::test]
async fn empty_list_shows_the_form_and_no_tasks() {
    let (app, _) = fresh();
    let (status, _, page) = call(&app, "GET", "/", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("<title>To-Do List</title>"));
    assert!(page.contains(r#"<form method="post" action="/add">"#));
    assert!(page.contains(r#"placeholder="Add new task""#));
    assert!(page.contains("No tasks yet."));
    assert!(task_texts(&page).is_empty());
}

#[tokio::test]
async fn add_redirects_to_the_list_which_shows_the_task() {
    let (app, db) = fresh();
    let (status, location, _) = call(&app, "POST", "/add", Some("task=Buy+milk")).await;
    assert_eq!((status, location.as_deref()), (StatusCode::FOUND, Some("/")));
    let (_, _, page) = call(&app, "GET", "/", None).await;
    assert_eq!(task_texts(&page), ["Buy milk"]);
    assert_eq!(db.list().unwrap().len(), 1);
}

#[tokio::test]
async fn unicode_and_newlines_are_stored_as_sent() {
    let (app, db) = fresh();
    let text = "Café ☕ 🎉\nsecond line\tTab";
    let body = format!("task={}", text.replace('%', "%25").replace('\n', "%0A").replace('\t', "%09").replace(' ', "+"));
    assert_eq!(call(&app, "POST", "/add", Some(&body)).await.0, StatusCode::FOUND);
    assert_eq!(db.list().unwrap()[0].content, text);
}

#[tokio::test]
async fn task_text_is_escaped_on_the_page() {
    let (app, _) = fresh();
    call(&app, "POST", "/add", Some("task=%3Cscript%3Ealert(%27x%27)%3C%2Fscript%3E+%26+%22q%22")).await;
    let (_, _, page) = call(&app, "GET", "/", None).await;
    assert_eq!(task_texts(&page), ["&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"]);
    assert!(!page.contains("<script>"));
}

#[tokio::test]
async fn delete_removes_the_task_and_redirects() {
    let (app, db) = fresh();
    let id = db.add("first").unwrap();
    db.add("second").unwrap();
    let (status, location, _) = call(&app, "POST", &format!("/delete/{id}"), None).await;
    assert_eq!((status, location.as_deref()), (StatusCode::FOUND, Some("/")));
    let (_, _, page) = call(&app, "GET", "/", None).await;
    assert_eq!(task_texts(&page), ["second"]);
}

#[tokio::test]
async fn deleting_a_missing_id_redirects_as_the_original_does() {
    let (app, db) = fresh();
    db.add("keep me").unwrap();
    let (status, location, _) = call(&app, "POST", "/delete/424242", None).await;
    assert_eq!((status, location.as_deref()), (StatusCode::FOUND, Some("/")));
    assert_eq!(db.list().unwrap().len(), 1);
}

#[tokio::test]
async fn a_state_changing_get_is_refused() {
    let (app, db) = fresh();
    let id = db.add("still here").unwrap();
    assert_eq!(call(&app, "GET", &format!("/delete/{id}"), None).await.0, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(call(&app, "GET", "/add", None).await.0, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(db.list().unwrap().len(), 1);
}

#[tokio::test]
async fn empty_blank_and_too_long_tasks_are_400_with_a_message() {
    let (app, db) = fresh();
    let (status, _, body) = call(&app, "POST", "/add", Some("task=")).await;
    assert_eq!((status, body.as_str()), (StatusCode::BAD_REQUEST, "Task text must not be empty"));
    assert_eq!(call(&app, "POST", "/add", Some("task=+++")).await.0, StatusCode::BAD_REQUEST);
    let (status, _, body) = call(&app, "POST", "/add", Some(&format!("task={}", "é".repeat(257)))).await;
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::BAD_REQUEST, "Task text is 257 characters long; the limit is 256")
    );
    let (status, _, body) = call(&app, "POST", "/add", Some("other=x")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.starts_with("Invalid form:"), "{body}");
    assert!(db.list().unwrap().is_empty());
    // The limit is in characters, not bytes: 256 two-byte characters fit.
    assert_eq!(call(&app, "POST", "/add", Some(&format!("task={}", "é".repeat(256)))).await.0, StatusCode::FOUND);
}

#[tokio::test]
async fn oversized_bodies_are_413() {
    let (app, db) = fresh();
    let (status, _, body) = call(&app, "POST", "/add", Some(&format!("task={}", "z".repeat(20_000)))).await;
    assert_eq!((status, body.as_str()), (StatusCode::PAYLOAD_TOO_LARGE, "Request body too large"));
    assert!(db.list().unwrap().is_empty());
}

#[tokio::test]
async fn unknown_pages_and_non_numeric_ids_are_404() {
    let (app, _) = fresh();
    assert_eq!(call(&app, "GET", "/nope", None).await.0, StatusCode::NOT_FOUND);
    assert_eq!(call(&app, "POST", "/delete/abc", None).await.0, StatusCode::NOT_FOUND);
    assert_eq!(call(&app, "POST", "/delete/-1", None).await.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn server_errors_hide_their_details_from_the_client() {
    let (app, db) = fresh();
    let (status, _, body) = call(&app, "POST", "/delete/99999999999999999999999", None).await;
    assert_eq!((status, body.as_str()), (StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error"));
    db.execute_batch_for_tests("DROP TABLE tasks").unwrap();
    let (status, _, body) = call(&app, "GET", "/", None).await;
    assert_eq!((status, body.as_str()), (StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error"));
}
