//! HTTP attribute names under the old, stable and duplicated semantic conventions, in one place.
//!
//! `OTEL_SEMCONV_STABILITY_OPT_IN` is read as the Python instrumentations read it: a comma list of
//! categories where `http/dup` (both name sets) wins over `http` (stable names only), and anything
//! else leaves the old names. Integers stay integers (`http.status_code: 200`, not `"200"`), which is
//! why status and ports are recorded as `i64`. Nothing here touches spans or instruments: this module
//! only says which key-value pairs describe a request.

use opentelemetry::KeyValue;

/// Which HTTP attribute names to emit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Semconv {
    /// Unset: `http.method`, `http.url`, `http.status_code`, ... (semconv ≤ 1.20).
    Old,
    /// `http`: `http.request.method`, `url.path`, `http.response.status_code`, ... (stable).
    Stable,
    /// `http/dup`: both sets on every span and data point.
    Dup,
}

/// What the server knows about one request when it arrives.
#[derive(Debug, Clone)]
pub struct RequestInfo {
    pub method: String,
    pub scheme: &'static str,
    /// The Host header (`127.0.0.1:5000`), or the listening address when the client sent none.
    pub host: String,
    /// The configured listening host, as Flask's `http.server_name`.
    pub server_name: String,
    pub server_port: u16,
    pub path: String,
    /// Path and query exactly as the request line had them (`/?` stays `/?`), for `http.target`.
    pub target: String,
    /// Without the `?`; `None` when the request had no query string or an empty one.
    pub query: Option<String>,
    pub peer_ip: String,
    pub peer_port: u16,
    pub user_agent: Option<String>,
    /// `1.1`, `2`, ...
    pub protocol_version: &'static str,
}

/// Methods the stable conventions name as they are; others become `_OTHER`.
const KNOWN_METHODS: &[&str] = &["CONNECT", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "TRACE"];

impl Semconv {
    /// Reads `OTEL_SEMCONV_STABILITY_OPT_IN`.
    pub fn from_opt_in(value: Option<&str>) -> Self {
        let items: Vec<&str> = value.unwrap_or("").split(',').map(str::trim).collect();
        if items.contains(&"http/dup") {
            Semconv::Dup
        } else if items.contains(&"http") {
            Semconv::Stable
        } else {
            Semconv::Old
        }
    }

    fn old(self) -> bool {
        matches!(self, Semconv::Old | Semconv::Dup)
    }

    fn stable(self) -> bool {
        matches!(self, Semconv::Stable | Semconv::Dup)
    }

    /// Span attributes known when the request arrives.
    pub fn request_attributes(self, r: &RequestInfo) -> Vec<KeyValue> {
        let mut a = Vec::with_capacity(24);
        let target = &r.target;
        if self.old() {
            a.push(KeyValue::new("http.method", r.method.clone()));
            a.push(KeyValue::new("http.scheme", r.scheme));
            a.push(KeyValue::new("http.host", r.host.clone()));
            a.push(KeyValue::new("net.host.name", r.host.clone()));
            a.push(KeyValue::new("http.server_name", r.server_name.clone()));
            a.push(KeyValue::new("net.host.port", i64::from(r.server_port)));
            a.push(KeyValue::new("http.target", target.clone()));
            // The full URL, so that the tutorial's `grep http.url` finds every request.
            a.push(KeyValue::new("http.url", format!("{}://{}{target}", r.scheme, r.host)));
            a.push(KeyValue::new("net.peer.ip", r.peer_ip.clone()));
            a.push(KeyValue::new("net.peer.port", i64::from(r.peer_port)));
            if let Some(ua) = &r.user_agent {
                a.push(KeyValue::new("http.user_agent", ua.clone()));
            }
            a.push(KeyValue::new("http.flavor", r.protocol_version));
        }
        if self.stable() {
            if KNOWN_METHODS.contains(&r.method.as_str()) {
                a.push(KeyValue::new("http.request.method", r.method.clone()));
            } else {
                a.push(KeyValue::new("http.request.method", "_OTHER"));
                a.push(KeyValue::new("http.request.method_original", r.method.clone()));
            }
            a.push(KeyValue::new("url.scheme", r.scheme));
            a.push(KeyValue::new("url.path", r.path.clone()));
            if let Some(q) = &r.query {
                a.push(KeyValue::new("url.query", q.clone()));
            }
            // Host only, as the specification says; the port has its own attribute.
            a.push(KeyValue::new("server.address", host_without_port(&r.host).to_string()));
            a.push(KeyValue::new("server.port", i64::from(r.server_port)));
            a.push(KeyValue::new("client.address", r.peer_ip.clone()));
            a.push(KeyValue::new("client.port", i64::from(r.peer_port)));
            if let Some(ua) = &r.user_agent {
                a.push(KeyValue::new("user_agent.original", ua.clone()));
            }
            a.push(KeyValue::new("network.protocol.version", r.protocol_version));
        }
        a
    }

    /// Span attributes known once the response is ready.
    pub fn response_attributes(self, route: Option<&str>, status: u16) -> Vec<KeyValue> {
        let mut a = Vec::with_capacity(4);
        if let Some(route) = route {
            a.push(KeyValue::new("http.route", route.to_string()));
        }
        if self.old() {
            a.push(KeyValue::new("http.status_code", i64::from(status)));
        }
        if self.stable() {
            a.push(KeyValue::new("http.response.status_code", i64::from(status)));
            if status >= 500 {
                a.push(KeyValue::new("error.type", status.to_string()));
            }
        }
        a
    }

    /// Attributes of `http.server.active_requests`.
    pub fn active_requests_attributes(self, r: &RequestInfo) -> Vec<KeyValue> {
        let mut a = Vec::with_capacity(7);
        if self.old() {
            a.push(KeyValue::new("http.method", r.method.clone()));
            a.push(KeyValue::new("http.scheme", r.scheme));
            a.push(KeyValue::new("http.host", r.host.clone()));
            a.push(KeyValue::new("http.server_name", r.server_name.clone()));
            a.push(KeyValue::new("http.flavor", r.protocol_version));
        }
        if self.stable() {
            a.push(KeyValue::new("http.request.method", stable_method(&r.method)));
            a.push(KeyValue::new("url.scheme", r.scheme));
        }
        a
    }

    /// Attributes of the old `http.server.duration` histogram (ms). As in the Python
    /// instrumentation, `http.target` holds the route template, never the raw path, so the
    /// series stay few; unmatched requests leave it out.
    pub fn old_duration_attributes(self, r: &RequestInfo, route: Option<&str>, status: u16) -> Vec<KeyValue> {
        let mut a = vec![
            KeyValue::new("http.method", r.method.clone()),
            KeyValue::new("http.scheme", r.scheme),
            KeyValue::new("http.host", r.host.clone()),
            KeyValue::new("http.server_name", r.server_name.clone()),
            KeyValue::new("net.host.port", i64::from(r.server_port)),
            KeyValue::new("http.flavor", r.protocol_version),
            KeyValue::new("http.status_code", i64::from(status)),
        ];
        if let Some(route) = route {
            a.push(KeyValue::new("http.target", route.to_string()));
        }
        a
    }

    /// Attributes of the stable `http.server.request.duration` histogram (s).
    pub fn stable_duration_attributes(self, r: &RequestInfo, route: Option<&str>, status: u16) -> Vec<KeyValue> {
        let mut a = vec![
            KeyValue::new("http.request.method", stable_method(&r.method)),
            KeyValue::new("url.scheme", r.scheme),
            KeyValue::new("network.protocol.version", r.protocol_version),
            KeyValue::new("http.response.status_code", i64::from(status)),
        ];
        if let Some(route) = route {
            a.push(KeyValue::new("http.route", route.to_string()));
        }
        if status >= 500 {
            a.push(KeyValue::new("error.type", status.to_string()));
        }
        a
    }

    /// Whether the old `http.server.duration` (ms) histogram is recorded.
    pub fn records_old_duration(self) -> bool {
        self.old()
    }

    /// Whether the stable `http.server.request.duration` (s) histogram is recorded.
    pub fn records_stable_duration(self) -> bool {
        self.stable()
    }
}

fn stable_method(method: &str) -> String {
    if KNOWN_METHODS.contains(&method) { method.to_string() } else { "_OTHER".to_string() }
}

/// `127.0.0.1:5000` → `127.0.0.1`, `[::1]:5000` → `[::1]`, `example.com` → `example.com`.
fn host_without_port(host: &str) -> &str {
    if host.starts_with('[') {
        return host.find(']').map_or(host, |end| &host[..=end]);
    }
    match host.rsplit_once(':') {
        Some((h, port)) if port.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => host,
    }
}

#[cfg(test)]
mod tests {
    use opentelemetry::Value;

    use super::*;

    fn request() -> RequestInfo {
        RequestInfo {
            method: "GET".into(),
            scheme: "http",
            host: "127.0.0.1:5000".into(),
            server_name: "127.0.0.1".into(),
            server_port: 5000,
            path: "/".into(),
            target: "/?page=2".into(),
            query: Some("page=2".into()),
            peer_ip: "127.0.0.1".into(),
            peer_port: 40000,
            user_agent: Some("curl/8".into()),
            protocol_version: "1.1",
        }
    }

    fn keys(attrs: &[KeyValue]) -> Vec<&str> {
        attrs.iter().map(|kv| kv.key.as_str()).collect()
    }

    fn get<'a>(attrs: &'a [KeyValue], key: &str) -> Option<&'a Value> {
        attrs.iter().find(|kv| kv.key.as_str() == key).map(|kv| &kv.value)
    }

    #[test]
    fn opt_in_is_read_like_python() {
        assert_eq!(Semconv::from_opt_in(None), Semconv::Old);
        assert_eq!(Semconv::from_opt_in(Some("")), Semconv::Old);
        assert_eq!(Semconv::from_opt_in(Some("database")), Semconv::Old);
        assert_eq!(Semconv::from_opt_in(Some("http")), Semconv::Stable);
        assert_eq!(Semconv::from_opt_in(Some("database, http")), Semconv::Stable);
        assert_eq!(Semconv::from_opt_in(Some("http,http/dup")), Semconv::Dup);
    }

    #[test]
    fn old_names_carry_the_full_url_and_integer_ports() {
        let a = Semconv::Old.request_attributes(&request());
        assert_eq!(
            keys(&a),
            [
                "http.method",
                "http.scheme",
                "http.host",
                "net.host.name",
                "http.server_name",
                "net.host.port",
                "http.target",
                "http.url",
                "net.peer.ip",
                "net.peer.port",
                "http.user_agent",
                "http.flavor"
            ]
        );
        assert_eq!(get(&a, "http.url"), Some(&Value::from("http://127.0.0.1:5000/?page=2")));
        assert_eq!(get(&a, "net.host.port"), Some(&Value::I64(5000)));
        let r = Semconv::Old.response_attributes(Some("/"), 200);
        assert_eq!(keys(&r), ["http.route", "http.status_code"]);
        assert_eq!(get(&r, "http.status_code"), Some(&Value::I64(200)));
    }

    #[test]
    fn stable_names_split_host_and_port_and_mark_5xx() {
        let a = Semconv::Stable.request_attributes(&request());
        assert_eq!(get(&a, "server.address"), Some(&Value::from("127.0.0.1")));
        assert_eq!(get(&a, "url.query"), Some(&Value::from("page=2")));
        assert!(get(&a, "http.url").is_none());
        let r = Semconv::Stable.response_attributes(None, 500);
        assert_eq!(keys(&r), ["http.response.status_code", "error.type"]);
    }

    #[test]
    fn dup_has_both_sets() {
        let a = Semconv::Dup.request_attributes(&request());
        assert!(get(&a, "http.method").is_some() && get(&a, "http.request.method").is_some());
        let r = Semconv::Dup.response_attributes(Some("/add"), 302);
        assert_eq!(keys(&r), ["http.route", "http.status_code", "http.response.status_code"]);
    }

    #[test]
    fn unknown_methods_become_other() {
        let mut r = request();
        r.method = "BREW".into();
        let a = Semconv::Stable.request_attributes(&r);
        assert_eq!(get(&a, "http.request.method"), Some(&Value::from("_OTHER")));
        assert_eq!(get(&a, "http.request.method_original"), Some(&Value::from("BREW")));
    }

    #[test]
    fn hosts_lose_only_a_numeric_port() {
        assert_eq!(host_without_port("127.0.0.1:5000"), "127.0.0.1");
        assert_eq!(host_without_port("[::1]:5000"), "[::1]");
        assert_eq!(host_without_port("localhost"), "localhost");
    }
}
