//! Headless Chromium through Debian's `chromedriver` (which `.ci/run` installs with `chromium`),
//! spoken to in the W3C WebDriver protocol: JSON over HTTP/1.1 on the loopback, one request per
//! connection, so the standard library's TCP stream is all the client needed.

use std::io::{BufRead, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

pub struct Driver {
    process: Child,
    port: u16,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

impl Driver {
    pub fn start() -> Driver {
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
        let driver = Driver { process, port };
        let deadline = Instant::now() + Duration::from_secs(30);
        while driver.request("GET", "/status", None).is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not come up");
            std::thread::sleep(Duration::from_millis(100));
        }
        driver
    }

    fn request(&self, method: &str, path: &str, body: Option<&Value>) -> std::io::Result<Value> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port))?;
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        write!(
            stream,
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            self.port,
            body.len()
        )?;
        // Read the head, then as many bytes as it announces (chromedriver may keep the connection).
        let mut reader = std::io::BufReader::new(stream);
        let mut head = String::new();
        let mut length = None;
        let mut chunked = false;
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line)? == 0 || line == "\r\n" {
                break;
            }
            let lower = line.to_ascii_lowercase();
            if let Some(n) = lower.strip_prefix("content-length:") {
                length = n.trim().parse::<usize>().ok();
            }
            chunked |= lower.starts_with("transfer-encoding:") && lower.contains("chunked");
            head.push_str(&line);
        }
        let mut body = Vec::new();
        if chunked {
            loop {
                let mut size = String::new();
                reader.read_line(&mut size)?;
                let n = usize::from_str_radix(size.trim(), 16).map_err(|_| std::io::ErrorKind::InvalidData)?;
                let mut chunk = vec![0; n + 2];
                reader.read_exact(&mut chunk)?;
                if n == 0 {
                    break;
                }
                body.extend_from_slice(&chunk[..n]);
            }
        } else if let Some(n) = length {
            body.resize(n, 0);
            reader.read_exact(&mut body)?;
        } else {
            reader.read_to_end(&mut body)?;
        }
        let body = String::from_utf8_lossy(&body);
        serde_json::from_str(&body).map_err(|_| std::io::ErrorKind::InvalidData.into())
    }

    pub fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let res = self.request(method, path, body.as_ref()).unwrap_or_else(|e| panic!("webdriver {path}: {e}"));
        if let Some(err) = res["value"].get("error") {
            panic!("webdriver {path}: {err}: {}", res["value"]["message"]);
        }
        res["value"].clone()
    }

    /// A headless Chromium session that logs the console and the network.
    pub fn session(&self, profile: &std::path::Path) -> Session<'_> {
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:loggingPrefs": {"browser": "ALL", "performance": "ALL"},
            "goog:chromeOptions": {
                "binary": "/usr/bin/chromium",
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--no-first-run", "--disable-background-networking", "--disable-component-update",
                         "--disable-sync", "--window-size=1200,1000", "--hide-scrollbars",
                         format!("--user-data-dir={}", profile.display())]
            }
        }}});
        let created = self.call("POST", "/session", Some(caps));
        Session { driver: self, id: created["sessionId"].as_str().expect("a session id").to_string() }
    }
}

pub struct Session<'a> {
    driver: &'a Driver,
    id: String,
}

impl Session<'_> {
    pub fn post(&self, path: &str, body: Value) -> Value {
        self.driver.call("POST", &format!("/session/{}{path}", self.id), Some(body))
    }
    pub fn get(&self, path: &str) -> Value {
        self.driver.call("GET", &format!("/session/{}{path}", self.id), None)
    }
    pub fn open(&self, url: &str) {
        self.post("/url", json!({ "url": url }));
    }
    /// Runs `script` in the page and gives what it returns.
    pub fn eval(&self, script: &str) -> Value {
        self.post("/execute/sync", json!({ "script": script, "args": [] }))
    }
    /// The log entries of `kind` (`browser`: the console; `performance`: DevTools events) since
    /// the last call.
    pub fn log(&self, kind: &str) -> Vec<Value> {
        self.post("/se/log", json!({ "type": kind })).as_array().cloned().unwrap_or_default()
    }
    /// The viewport as PNG bytes.
    pub fn screenshot(&self) -> Vec<u8> {
        use base64::Engine;
        let b64 = self.get("/screenshot");
        base64::engine::general_purpose::STANDARD.decode(b64.as_str().expect("base64 text")).expect("a PNG in base64")
    }
}

impl Drop for Session<'_> {
    fn drop(&mut self) {
        let _ = self.driver.request("DELETE", &format!("/session/{}", self.id), None);
    }
}
