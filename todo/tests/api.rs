//! Handler tests: the router called in-process (`oneshot`) on a private in-memory database.

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use tower::ServiceExt;

use todo::app::{AppState, app};
use todo::db::Db;
use todo::guard::AllowedHosts;
use todo::semconv::Semconv;

fn fresh() -> (Router, Db) {
    let db = Db::open_in_memory().unwrap();
    (app(AppState::new(db.clone(), Semconv::Old, "127.0.0.1", 5000)), db)
}

async fn call(app: &Router, method: &str, uri: &str, form: Option<&str>) -> (StatusCode, Option<String>, String) {
    let (status, headers, body) = call_with(app, method, uri, form, &[]).await;
    let location = headers.get(header::LOCATION).map(|v| v.to_str().unwrap().to_string());
    (status, location, body)
}

/// A request with extra headers (`Host`, `Origin`, `Sec-Fetch-Site`); the whole answer back.
/// Without a `Host` among them it carries the app's own, as every HTTP/1.1 client sends one.
async fn call_with(
    app: &Router,
    method: &str,
    uri: &str,
    form: Option<&str>,
    headers: &[(&str, &str)],
) -> (StatusCode, HeaderMap, String) {
    let mut req = Request::builder().method(method).uri(uri);
    if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
        req = req.header(header::HOST, "127.0.0.1:5000");
    }
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let body = match form {
        Some(f) => {
            req = req.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
            Body::from(f.to_string())
        }
        None => Body::empty(),
    };
    let res = app.clone().oneshot(req.body(body).unwrap()).await.unwrap();
    let (status, headers) = (res.status(), res.headers().clone());
    let bytes = axum::body::to_bytes(res.into_body(), 1 << 20).await.unwrap();
    (status, headers, String::from_utf8(bytes.to_vec()).unwrap())
}

/// What a browser on the app's own page sends with a form post.
const SAME_ORIGIN: [(&str, &str); 3] =
    [("host", "127.0.0.1:5000"), ("origin", "http://127.0.0.1:5000"), ("sec-fetch-site", "same-origin")];

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

#[tokio::test]
async fn cross_site_posts_are_403_and_change_nothing() {
    let (app, db) = fresh();
    let id = db.add("keep me").unwrap();
    let host = ("host", "127.0.0.1:5000");
    let attacks: [&[(&str, &str)]; 5] = [
        &[host, ("origin", "http://evil.example")],
        &[host, ("origin", "null")],
        &[host, ("origin", "http://evil.example"), ("sec-fetch-site", "cross-site")],
        &[host, ("sec-fetch-site", "cross-site")],
        &[host, ("sec-fetch-site", "same-site")],
    ];
    for headers in attacks {
        let (status, _, body) = call_with(&app, "POST", "/add", Some("task=pwned"), headers).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{headers:?}");
        assert!(body.starts_with("Cross-site request refused ("), "{body}");
        let (status, _, _) = call_with(&app, "POST", &format!("/delete/{id}"), None, headers).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{headers:?}");
    }
    let (_, _, body) = call_with(&app, "POST", "/add", Some("task=x"), attacks[0]).await;
    assert_eq!(body, r#"Cross-site request refused (Origin "http://evil.example" is not this site)"#);
    assert_eq!(db.list().unwrap().len(), 1);
    assert_eq!(db.list().unwrap()[0].content, "keep me");
}

#[tokio::test]
async fn same_origin_posts_are_302() {
    let (app, db) = fresh();
    let (status, headers, _) = call_with(&app, "POST", "/add", Some("task=mine"), &SAME_ORIGIN).await;
    assert_eq!((status, headers.get(header::LOCATION).unwrap().to_str().unwrap()), (StatusCode::FOUND, "/"));
    // Reached as localhost, the page's origin is localhost's.
    let local = [("host", "localhost:5000"), ("origin", "http://localhost:5000"), ("sec-fetch-site", "same-origin")];
    assert_eq!(call_with(&app, "POST", "/add", Some("task=local"), &local).await.0, StatusCode::FOUND);
    // A typed URL or a bookmark: Sec-Fetch-Site none.
    let typed = [("host", "127.0.0.1:5000"), ("sec-fetch-site", "none")];
    assert_eq!(call_with(&app, "POST", "/add", Some("task=typed"), &typed).await.0, StatusCode::FOUND);
    // curl, wrk, the traffic driver: neither header.
    assert_eq!(call(&app, "POST", "/add", Some("task=curl")).await.0, StatusCode::FOUND);
    assert_eq!(db.list().unwrap().len(), 4);
    let id = db.list().unwrap()[0].id;
    assert_eq!(call_with(&app, "POST", &format!("/delete/{id}"), None, &SAME_ORIGIN).await.0, StatusCode::FOUND);
    assert_eq!(db.list().unwrap().len(), 3);
}

#[tokio::test]
async fn a_host_the_server_does_not_answer_to_is_421_for_reads_and_writes() {
    let (app, db) = fresh();
    db.add("secret").unwrap();
    for host in ["evil.example", "evil.example:5000", "127.0.0.1:5001", "localhost"] {
        let (status, _, body) = call_with(&app, "GET", "/", None, &[("host", host)]).await;
        assert_eq!(status, StatusCode::MISDIRECTED_REQUEST, "{host}");
        assert!(!body.contains("secret"));
        let rebound = [("host", host), ("origin", "http://evil.example:5000")];
        assert_eq!(call_with(&app, "POST", "/add", Some("task=x"), &rebound).await.0, StatusCode::MISDIRECTED_REQUEST);
    }
    let (_, _, body) = call_with(&app, "GET", "/", None, &[("host", "evil.example:5000")]).await;
    assert_eq!(
        body,
        r#"Misdirected request: this server does not answer to the host "evil.example:5000" (see --allowed-host)"#
    );
    for host in ["127.0.0.1:5000", "localhost:5000", "[::1]:5000"] {
        assert_eq!(call_with(&app, "GET", "/", None, &[("host", host)]).await.0, StatusCode::OK, "{host}");
    }
    assert_eq!(db.list().unwrap().len(), 1);

    // A reverse proxy's name, allowed by --allowed-host.
    let hosts = AllowedHosts::new(["127.0.0.1"], 5000, &["todo.example.com".parse().unwrap()]);
    let proxied = app_with(db.clone(), hosts);
    let via_proxy = [("host", "todo.example.com"), ("origin", "https://todo.example.com")];
    assert_eq!(call_with(&proxied, "GET", "/", None, &via_proxy).await.0, StatusCode::OK);
    assert_eq!(call_with(&proxied, "POST", "/add", Some("task=proxied"), &via_proxy).await.0, StatusCode::FOUND);
}

fn app_with(db: Db, hosts: AllowedHosts) -> Router {
    app(AppState::new(db, Semconv::Old, "127.0.0.1", 5000).with_hosts(hosts))
}

/// Method, target, form, headers, and the status expected.
type Case<'a> = (&'a str, String, Option<&'a str>, &'a [(&'a str, &'a str)], StatusCode);

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let (app, db) = fresh();
    let id = db.add("x").unwrap();
    let big = format!("task={}", "z".repeat(20_000));
    let cases: [Case; 9] = [
        ("GET", "/".into(), None, &[], StatusCode::OK),
        ("POST", "/add".into(), Some("task=y"), &SAME_ORIGIN, StatusCode::FOUND),
        ("POST", format!("/delete/{id}"), None, &[], StatusCode::FOUND),
        ("POST", "/add".into(), Some("task="), &[], StatusCode::BAD_REQUEST),
        ("POST", "/add".into(), Some("task=y"), &[("origin", "http://evil.example")], StatusCode::FORBIDDEN),
        ("GET", "/nope".into(), None, &[], StatusCode::NOT_FOUND),
        ("GET", "/add".into(), None, &[], StatusCode::METHOD_NOT_ALLOWED),
        ("POST", "/add".into(), Some(&big), &[], StatusCode::PAYLOAD_TOO_LARGE),
        ("GET", "/".into(), None, &[("host", "evil.example")], StatusCode::MISDIRECTED_REQUEST),
    ];
    for (method, uri, form, headers, want) in cases {
        let (status, got, _) = call_with(&app, method, &uri, form, headers).await;
        assert_eq!(status, want, "{method} {uri}");
        assert_security_headers(&got);
    }
    let (status, got, _) = call_with(&app, "POST", "/delete/99999999999999999999999", None, &[]).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_security_headers(&got);
}

fn assert_security_headers(h: &HeaderMap) {
    let get = |name: &str| h.get(name).unwrap_or_else(|| panic!("no {name} in {h:?}")).to_str().unwrap();
    let csp = get("content-security-policy");
    assert!(csp.starts_with("default-src 'none'; style-src 'sha256-"), "{csp}");
    for directive in ["form-action 'self'", "frame-ancestors 'none'", "base-uri 'none'"] {
        assert!(csp.contains(directive), "{csp}");
    }
    assert!(!csp.contains("unsafe") && !csp.contains("script-src"), "{csp}");
    assert_eq!(get("x-content-type-options"), "nosniff");
    assert_eq!(get("x-frame-options"), "DENY");
    assert_eq!(get("referrer-policy"), "same-origin");
}

#[tokio::test]
async fn a_page_holds_100_tasks_and_page_2_exists_after_150() {
    let (app, db) = fresh();
    for i in 1..=150 {
        db.add(&format!("task {i}")).unwrap();
    }
    let names = |range: std::ops::RangeInclusive<i32>| range.map(|i| format!("task {i}")).collect::<Vec<_>>();
    let (status, _, first) = call(&app, "GET", "/", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(task_texts(&first), names(1..=100));
    assert!(first.contains(r#"<a href="/?page=2" rel="next">Next</a>"#), "{first}");
    assert!(!first.contains("rel=\"prev\""));
    assert_eq!(call(&app, "GET", "/?page=1", None).await.2, first);

    let (status, _, second) = call(&app, "GET", "/?page=2", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(task_texts(&second), names(101..=150));
    assert!(second.contains(r#"<a href="/" rel="prev">Previous</a>"#), "{second}");
    assert!(!second.contains("rel=\"next\""));
    // The tutorial's other parameters are ignored.
    assert_eq!(call(&app, "GET", "/?q=milk&page=2&sort=desc", None).await.2, second);

    // Past the last page: an empty page that leads back, not an error.
    let (status, _, past) = call(&app, "GET", "/?page=3", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(task_texts(&past).is_empty());
    assert!(past.contains("No tasks on page 3."), "{past}");
    assert_eq!(call(&app, "GET", "/?page=4294967295", None).await.0, StatusCode::OK);

    for bad in ["0", "-1", "two", "4294967296", "1.5", "1e3"] {
        let (status, _, body) = call(&app, "GET", &format!("/?page={bad}"), None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(body, format!("page must be a whole number from 1 up, not {bad:?}"));
    }
    // Adding still lands on the first page.
    let (status, location, _) = call(&app, "POST", "/add", Some("task=151")).await;
    assert_eq!((status, location.as_deref()), (StatusCode::FOUND, Some("/")));
}
