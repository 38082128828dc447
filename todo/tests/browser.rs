//! The page in real headless Chromium, under its Content-Security-Policy: add a task through the
//! form, see it styled, delete it with its button, see it gone. Speaks the W3C WebDriver protocol (JSON over HTTP) to Debian's
//! `chromedriver`, which `.ci/run` installs together with `chromium`.

mod common;

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use common::{App, TempDir};

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

struct Driver {
    process: Child,
    http: reqwest::Client,
    base: String,
    rt: tokio::runtime::Runtime,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

impl Driver {
    fn start() -> Driver {
        let binary = ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]
            .into_iter()
            .find(|p| std::path::Path::new(p).exists())
            .expect("chromedriver not found: install Debian's chromium and chromium-driver (bash .ci/run does)");
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let process = Command::new(binary)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting chromedriver");
        let driver = Driver {
            process,
            http: reqwest::Client::new(),
            base: format!("http://127.0.0.1:{port}"),
            rt: tokio::runtime::Runtime::new().unwrap(),
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while driver.rt.block_on(driver.http.get(format!("{}/status", driver.base)).send()).is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not come up");
            std::thread::sleep(Duration::from_millis(100));
        }
        driver
    }

    fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res: Value = self.rt.block_on(async { req.send().await?.json().await }).expect("webdriver call");
        if let Some(err) = res["value"].get("error") {
            panic!("webdriver {path}: {err}: {}", res["value"]["message"]);
        }
        res["value"].clone()
    }
}

struct Session<'a> {
    driver: &'a Driver,
    id: String,
}

impl Session<'_> {
    fn post(&self, path: &str, body: Value) -> Value {
        self.driver.call(reqwest::Method::POST, &format!("/session/{}{path}", self.id), Some(body))
    }
    fn get(&self, path: &str) -> Value {
        self.driver.call(reqwest::Method::GET, &format!("/session/{}{path}", self.id), None)
    }
    fn find_all(&self, css: &str) -> Vec<String> {
        let found = self.post("/elements", json!({"using": "css selector", "value": css}));
        let list = found.as_array().unwrap_or_else(|| panic!("{css}: {found}"));
        list.iter().map(|e| e[ELEMENT].as_str().unwrap_or_else(|| panic!("{css}: {found}")).to_string()).collect()
    }
    fn find(&self, css: &str) -> String {
        let all = self.find_all(css);
        assert_eq!(all.len(), 1, "expected one element for {css:?}");
        all.into_iter().next().unwrap()
    }
    fn text(&self, element: &str) -> String {
        self.get(&format!("/element/{element}/text")).as_str().unwrap().to_string()
    }
    fn css(&self, element: &str, property: &str) -> String {
        self.get(&format!("/element/{element}/css/{property}")).as_str().unwrap().to_string()
    }
    fn click(&self, element: &str) {
        self.post(&format!("/element/{element}/click"), json!({}));
    }
    /// Polls `css` until exactly `n` elements match: a click on a submit button may return before
    /// the navigation it starts has finished.
    fn wait_for(&self, css: &str, n: usize) -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let found = self.find_all(css);
            if found.len() == n {
                return found;
            }
            assert!(Instant::now() < deadline, "expected {n} elements for {css:?}, found {}", found.len());
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Session<'_> {
    fn drop(&mut self) {
        let _ = self
            .driver
            .rt
            .block_on(self.driver.http.delete(format!("{}/session/{}", self.driver.base, self.id)).send());
    }
}

#[test]
fn add_and_delete_a_task_in_headless_chromium() {
    let dir = TempDir::new("browser");
    let env = [("OTEL_TRACES_EXPORTER", "none"), ("OTEL_METRICS_EXPORTER", "none"), ("OTEL_LOGS_EXPORTER", "none")];
    let app = App::start(&dir.path("tasks.db"), &env);
    let driver = Driver::start();
    let profile = dir.path("chromium-profile");
    let caps = json!({"capabilities": {"alwaysMatch": {
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": "/usr/bin/chromium",
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                     "--no-first-run", "--disable-background-networking", "--disable-component-update",
                     "--disable-sync", format!("--user-data-dir={}", profile.display())]
        }
    }}});
    let created = driver.call(reqwest::Method::POST, "/session", Some(caps));
    let session = Session { driver: &driver, id: created["sessionId"].as_str().unwrap().to_string() };

    session.post("/url", json!({"url": app.url()}));
    assert_eq!(session.get("/title"), json!("To-Do List"));
    assert!(session.find_all(".task").is_empty());

    // Markup typed into the form must come back as text, not as markup.
    let text = "Buy <b>milk</b> & café ☕";
    let input = session.find("input[name=task]");
    session.post(&format!("/element/{input}/value"), json!({"text": text}));
    session.click(&session.find("form[action='/add'] button"));

    let tasks = session.wait_for(".task", 1);
    assert_eq!(session.text(&tasks[0]), text);
    // The page is served with a CSP that allows its one style block by hash and nothing inline
    // else: the style applies only if the hash is right. (The form post above went through the
    // cross-site check with Chromium's Origin and Sec-Fetch-Site.)
    assert_eq!(session.css(&tasks[0], "white-space"), "pre-wrap", "the style block was blocked by the CSP");
    assert_eq!(session.css(&session.find("li form"), "display"), "inline");
    assert!(session.find_all(".task b").is_empty(), "task text was rendered as HTML");
    assert!(session.get("/url").as_str().unwrap().ends_with('/'), "the form redirects back to the list");

    session.click(&session.find("li form button"));
    let empty = session.wait_for("p.empty", 1);
    assert_eq!(session.text(&empty[0]), "No tasks yet.");
    assert!(session.find_all(".task").is_empty());
    drop(session);
    app.stop("INT");
}
