//! Grouping keys that survive semantic-convention renames (see shared/FORMATS.md §8).
//!
//! `url`, `route`, `target`, `method`, `status`, `service`, `name`, `kind` and `span_status`
//! resolve per span across the old and stable HTTP conventions; any other key is an attribute name, and the
//! renamed ones people ask for by their old names (`http.url`, `http.status_code`, ...) fall back
//! to their stable twins. An attribute name is looked up on the span first, then on its resource
//! (`service.instance.id`, `host.name`, `k8s.pod.name`): the span's own value wins, as the more
//! specific one, and `resource.NAME` asks for the resource's alone. `scope.name` is the
//! instrumentation scope. Each resolution says which attribute it used, so output can name it.
//! Pure functions over the model; commands decide what to do with a missing value.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::sync::LazyLock;

use crate::model::{Attributes, Span, Value, attr};

/// A `--by` key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Key {
    /// `url.full`, else an absolute `http.url`, else rebuilt from scheme, host, port and target.
    Url,
    /// `http.route`, else the span name.
    Route,
    /// Path and query.
    Target,
    Method,
    /// Response status code.
    Status,
    /// `service.name` of the resource.
    Service,
    /// Span name.
    Name,
    /// Span kind.
    Kind,
    /// The span's status: `OK`, `ERROR` or `UNSET` (the `span_status` column of `spans`).
    SpanStatus,
    /// Any attribute, by its name: the span's, else the resource's.
    Attribute(String),
    /// `resource.NAME`: the resource's attribute alone.
    Resource(String),
    /// `scope.name`: the instrumentation scope's name.
    Scope,
    /// `scope.version`: the instrumentation scope's version.
    ScopeVersion,
}

impl Key {
    /// Reads a key as typed; anything that is not an alias is an attribute name.
    pub fn parse(s: &str) -> Key {
        match s {
            "url" => Key::Url,
            "route" => Key::Route,
            "target" => Key::Target,
            "method" => Key::Method,
            "status" => Key::Status,
            "service" => Key::Service,
            "name" => Key::Name,
            "kind" => Key::Kind,
            "span_status" => Key::SpanStatus,
            "scope.name" => Key::Scope,
            "scope.version" => Key::ScopeVersion,
            other => match other.strip_prefix("resource.").filter(|n| !n.is_empty()) {
                Some(name) => Key::Resource(name.to_string()),
                None => Key::Attribute(other.to_string()),
            },
        }
    }
}

/// The keys that are not attribute names, as typed.
pub const ALIASES: &[&str] = &[
    "url",
    "route",
    "target",
    "method",
    "status",
    "service",
    "name",
    "kind",
    "span_status",
    "scope.name",
    "scope.version",
];

/// Every span attribute the aliases, the renamed-name fallbacks and `--template` may read.
pub const HTTP_ATTRIBUTES: &[&str] = &[
    "url.full",
    "http.url",
    "http.target",
    "url.path",
    "url.query",
    "url.scheme",
    "http.scheme",
    "server.address",
    "http.host",
    "net.host.name",
    "http.server_name",
    "server.port",
    "net.host.port",
    "http.route",
    "http.request.method",
    "http.method",
    "http.request.method_original",
    "http.response.status_code",
    "http.status_code",
];

/// The span attributes that resolving `keys` may read: the HTTP ones, and any named attribute.
/// Parsers may leave every other attribute out.
pub fn attributes_read<'a>(keys: impl IntoIterator<Item = &'a Key>) -> Vec<String> {
    let mut names: Vec<String> = HTTP_ATTRIBUTES.iter().map(|k| k.to_string()).collect();
    for key in keys {
        if let Key::Attribute(name) = key {
            if !names.contains(name) {
                names.push(name.clone());
            }
        }
    }
    names
}

/// A key's value for one span, and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub value: String,
    /// The attribute (or `span name`, `span kind`, `rebuilt from ...`, `resource`) the value came
    /// from.
    pub source: &'static str,
}

/// An attribute's value as text; an empty string or an empty value is no value.
pub fn attribute_text(attributes: &Attributes, key: &str) -> Option<String> {
    attribute_str(attributes, key).map(Cow::into_owned)
}

/// [`attribute_text`], borrowed when the value is a string: a URL is rebuilt from four of them
/// for every request, and copying each was most of the time `latency --by url` spent on it.
fn attribute_str<'a>(attributes: &'a Attributes, key: &str) -> Option<Cow<'a, str>> {
    match attr(attributes, key)? {
        Value::Str(s) if s.is_empty() => None,
        Value::Str(s) => Some(Cow::Borrowed(s)),
        Value::Empty => None,
        v => Some(Cow::Owned(v.to_string())),
    }
}

/// The span's own `http.route`, without the `route` alias's fallback to the span name.
pub fn route(span: &Span) -> Option<String> {
    attribute_text(&span.attributes, "http.route")
}

fn text(span: &Span, key: &'static str) -> Option<Resolved> {
    attribute_text(&span.attributes, key).map(|value| Resolved { value, source: key })
}

fn first(span: &Span, keys: &[&'static str]) -> Option<Resolved> {
    keys.iter().find_map(|k| text(span, k))
}

/// A span attribute's value as text, borrowed when it is a string ([`attribute_str`]).
fn text_ref<'s>(span: &'s Span, key: &str) -> Option<Cow<'s, str>> {
    attribute_str(&span.attributes, key)
}

/// [`first`], borrowed: the value of the first of `keys` the span has, and that key.
fn first_ref<'s>(span: &'s Span, keys: &[&'static str]) -> Option<(Cow<'s, str>, &'static str)> {
    keys.iter().find_map(|k| text_ref(span, k).map(|v| (v, *k)))
}

/// Resolves `key` for `span`; `None` when the span carries nothing for it.
pub fn resolve(key: &Key, span: &Span) -> Option<Resolved> {
    match key {
        Key::Url => url(span),
        Key::Route => {
            first(span, &["http.route"]).or_else(|| Some(Resolved { value: span.name.clone(), source: "span name" }))
        }
        Key::Target => target(span),
        Key::Method => match first(span, &["http.request.method", "http.method"]) {
            // Unknown methods are `_OTHER` in the stable names; the original is beside it.
            Some(r) if r.value == "_OTHER" => first(span, &["http.request.method_original"]).or(Some(r)),
            other => other,
        },
        Key::Status => first(span, &["http.response.status_code", "http.status_code"]),
        Key::Service => span.resource.service_name().map(|s| Resolved { value: s.to_string(), source: "service.name" }),
        Key::Name => Some(Resolved { value: span.name.clone(), source: "span name" }),
        Key::Kind => Some(Resolved { value: span.kind.as_str().to_string(), source: "span kind" }),
        Key::SpanStatus => Some(Resolved { value: span.status.as_str().to_string(), source: "span status" }),
        Key::Attribute(name) => match name.as_str() {
            // Asked for by their old names, these fall back to what they were renamed to.
            "http.url" => first(span, &["http.url"]).or_else(|| url(span)),
            "http.status_code" => first(span, &["http.status_code", "http.response.status_code"]),
            "http.method" => first(span, &["http.method", "http.request.method"]),
            "http.target" => first(span, &["http.target"]).or_else(|| target(span)),
            other => attribute(&span.attributes, other, "attribute")
                .or_else(|| attribute(&span.resource.attributes, other, "resource")),
        },
        Key::Resource(name) => attribute(&span.resource.attributes, name, "resource"),
        Key::Scope | Key::ScopeVersion => {
            let scope = span.scope.as_ref()?;
            let value = if matches!(key, Key::Scope) { &scope.name } else { &scope.version };
            (!value.is_empty()).then(|| Resolved { value: value.clone(), source: "scope" })
        }
    }
}

/// An attribute asked for by an arbitrary name (the name is its source), from `attrs`.
fn attribute(attrs: &Attributes, name: &str, source: &'static str) -> Option<Resolved> {
    attr(attrs, name).filter(|v| **v != Value::Empty).map(|v| Resolved { value: v.to_string(), source })
}

/// Path and query: `http.target` (raw), else `url.path` (re-encoded) + `?url.query`, else the
/// path of an absolute URL.
fn target(span: &Span) -> Option<Resolved> {
    if let Some(t) = text(span, "http.target") {
        return Some(t);
    }
    if let Some(path) = text_ref(span, "url.path") {
        let mut value = encode_path(&path);
        if let Some(q) = text(span, "url.query") {
            let _ = write!(value, "?{}", q.value);
        }
        return Some(Resolved { value, source: "url.path" });
    }
    let full = first(span, &["url.full", "http.url"])?;
    let value = match full.value.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or_else(|| "/".to_string(), |i| rest[i..].to_string()),
        None => full.value.clone(),
    };
    Some(Resolved { value, source: full.source })
}

/// The request URL. Server spans usually carry neither `url.full` nor `http.url` (Flask never
/// does, and Rust apps may put a bare path in `http.url`), so it is rebuilt as FORMATS.md §8 says.
fn url(span: &Span) -> Option<Resolved> {
    let normal = |r: Resolved| Resolved { value: normalised(r.value), source: r.source };
    if let Some(full) = text(span, "url.full") {
        return Some(normal(full));
    }
    if let Some(u) = text_ref(span, "http.url") {
        if u.contains("://") {
            return Some(normal(Resolved { value: u.into_owned(), source: "http.url" }));
        }
        if schemeless(&u) {
            let scheme = first_ref(span, SCHEMES).map_or(Cow::Borrowed("http"), |(s, _)| s);
            return Some(normal(Resolved { value: format!("{scheme}://{u}"), source: "http.url (no scheme)" }));
        }
    }
    let target = target(span)?;
    let scheme = first_ref(span, SCHEMES);
    let Some((host, host_source)) = first_ref(span, HOSTS) else {
        // Nothing is known of the host: the target alone, no invented host, and a source that
        // says so (`latency --by url` notes how many spans it grouped by a path alone).
        let source = match target.source {
            "http.target" => "http.target (no host)",
            "url.path" => "url.path (no host)",
            "url.full" => "url.full (no host)",
            _ => "http.url (no host)",
        };
        return Some(Resolved { value: target.value, source });
    };
    let scheme_text = scheme.as_ref().map_or("http", |(s, _)| s);
    let has_port = if host.starts_with('[') { host.contains("]:") } else { host.contains(':') };
    let mut port = None;
    if !has_port {
        let default = if scheme_text.eq_ignore_ascii_case("https") { "443" } else { "80" };
        port = first_ref(span, PORTS).filter(|(p, _)| p != default);
    }
    // Written once, at its length.
    let mut value = String::with_capacity(scheme_text.len() + 3 + host.len() + 6 + target.value.len());
    let _ = write!(value, "{scheme_text}://{host}");
    if let Some((p, _)) = &port {
        let _ = write!(value, ":{p}");
    }
    value.push_str(&target.value);
    let source = rebuilt_from(scheme.map(|(_, k)| k), host_source, port.map(|(_, k)| k), target.source);
    Some(Resolved { value: normalised(value), source })
}

/// One URL, one group, however each span wrote it: the scheme and host are case-insensitive
/// and a default port is no port (RFC 3986 §6.2.2.1, §6.2.3), so `HTTP://H:80/a` is
/// `http://h/a`. The path and query are left as written; so is an authority with user info.
pub(crate) fn normalised(url: String) -> String {
    // Searched by `memchr`: `str`'s searcher for `://`, built at every call, was more than half
    // of this function's instructions.
    let b = url.as_bytes();
    let Some(colon) = memchr::memchr_iter(b':', b).find(|&i| b[i..].starts_with(b"://")) else { return url };
    let start = colon + 3;
    let end = memchr::memchr3(b'/', b'?', b'#', &b[start..]).map_or(url.len(), |i| start + i);
    let (scheme, authority) = (&url[..colon], &url[start..end]);
    let default = if scheme.eq_ignore_ascii_case("http") {
        ":80"
    } else if scheme.eq_ignore_ascii_case("https") {
        ":443"
    } else {
        ""
    };
    let port = !default.is_empty() && authority.len() > default.len() && authority.ends_with(default);
    let upper = |s: &str| s.bytes().any(|b| b.is_ascii_uppercase());
    if authority.contains('@') || (!port && !upper(scheme) && !upper(authority)) {
        return url;
    }
    let host = if port { &authority[..authority.len() - default.len()] } else { authority };
    format!("{}://{}{}", scheme.to_ascii_lowercase(), host.to_ascii_lowercase(), &url[end..])
}

/// `host:port/path` or `host.name/path`: an `http.url` without its scheme (the OpenTelemetry
/// demo's Next.js frontend writes `frontend-proxy:8080/api/cart`, the Host header and the path).
/// A host needs a port or a dot, so a relative path (`api/cart`) is no host.
fn schemeless(u: &str) -> bool {
    let authority = &u[..u.find(['/', '?', '#']).unwrap_or(u.len())];
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => (h, true),
        _ => (authority, false),
    };
    let ipv6 = host.len() > 2 && host.starts_with('[') && host.ends_with(']');
    let named = !host.is_empty()
        && !host.starts_with(['.', '-'])
        && host.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
    ipv6 || (named && (port || host.contains('.')))
}

const SCHEMES: &[&str] = &["url.scheme", "http.scheme"];
const HOSTS: &[&str] = &["server.address", "http.host", "net.host.name", "http.server_name"];
const PORTS: &[&str] = &["server.port", "net.host.port"];
const TARGETS: &[&str] = &["http.target", "url.path", "url.full", "http.url"];

/// `rebuilt from url.scheme, server.address, url.path`: the attributes a rebuilt URL came from, as
/// a `'static` source (one of the few combinations, made once) so resolving stays allocation-free.
fn rebuilt_from(scheme: Option<&str>, host: &str, port: Option<&str>, target: &str) -> &'static str {
    static ALL: LazyLock<Vec<String>> = LazyLock::new(|| {
        let mut all = Vec::new();
        for s in SCHEMES.iter().map(Some).chain([None]) {
            for h in HOSTS {
                for p in PORTS.iter().map(Some).chain([None]) {
                    for t in TARGETS {
                        let parts: Vec<&str> =
                            [s.copied(), Some(*h), p.copied(), Some(*t)].into_iter().flatten().collect();
                        all.push(format!("rebuilt from {}", parts.join(", ")));
                    }
                }
            }
        }
        all
    });
    let index = |list: &[&str], v: &str| list.iter().position(|x| *x == v).unwrap_or(0);
    let s = scheme.map_or(SCHEMES.len(), |v| index(SCHEMES, v));
    let p = port.map_or(PORTS.len(), |v| index(PORTS, v));
    let i = ((s * HOSTS.len() + index(HOSTS, host)) * (PORTS.len() + 1) + p) * TARGETS.len() + index(TARGETS, target);
    ALL[i].as_str()
}

/// Python's WSGI `url.path` is the UTF-8 path decoded as latin-1 (`✓` arrives as `\u{e2}\u{9c}\u{93}`):
/// map each character back to its byte and percent-encode, giving the raw path `http.target`
/// would have held. Paths with characters beyond U+00FF are not mojibake: they are encoded as UTF-8.
pub fn encode_path(path: &str) -> String {
    let kept = |b: u8| b.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=:@%".contains(&b);
    // Most paths need nothing encoded: copied as they are.
    if path.bytes().all(kept) {
        return path.to_string();
    }
    let latin1 = path.chars().all(|c| (c as u32) <= 0xff);
    let bytes: Vec<u8> = if latin1 { path.chars().map(|c| c as u8).collect() } else { path.as_bytes().to_vec() };
    let mut out = String::with_capacity(bytes.len());
    for b in bytes {
        if kept(b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// `--template`: the route when the span has one, else the path with identifiers collapsed
/// (`/delete/3` → `/delete/{id}`): integers, UUIDs, long hex strings, and long tokens mixing
/// letters and digits. Scheme, host and query are dropped: a template is a path, as a route is.
pub fn template(span: &Span, value: &str) -> String {
    if let Some(route) = text(span, "http.route") {
        return route.value;
    }
    // A template is a path, like a route: the scheme and host go, and so does the query.
    let path = match value.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("/", |i| &rest[i..]),
        None => value,
    };
    let path = path.split(['?', '#']).next().unwrap_or(path);
    let segments: Vec<String> =
        path.split('/').map(|seg| if is_identifier(seg) { "{id}".to_string() } else { seg.to_string() }).collect();
    segments.join("/")
}

fn is_identifier(seg: &str) -> bool {
    if seg.is_empty() {
        return false;
    }
    let digits = seg.bytes().filter(u8::is_ascii_digit).count();
    let hex = seg.bytes().all(|b| b.is_ascii_hexdigit());
    let uuid = seg.len() == 36
        && seg
            .bytes()
            .enumerate()
            .all(|(i, b)| if [8, 13, 18, 23].contains(&i) { b == b'-' } else { b.is_ascii_hexdigit() });
    digits == seg.len() || uuid || (hex && seg.len() >= 16) || (seg.len() >= 20 && digits > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_differing_only_in_case_or_a_default_port_are_one() {
        for (written, is) in [
            ("HTTP://H:8080/A?B=C", "http://h:8080/A?B=C"),
            ("http://h:80/a", "http://h/a"),
            ("https://Shop.example:443", "https://shop.example"),
            ("https://h:80/a", "https://h:80/a"),
            ("http://[::1]:80/x", "http://[::1]/x"),
            ("http://h:8080/a", "http://h:8080/a"),
            ("http://User@H:80/a", "http://User@H:80/a"),
            ("ftp://H:80/a", "ftp://h:80/a"),
            ("/a", "/a"),
            ("http://:80", "http://:80"),
        ] {
            assert_eq!(normalised(written.to_string()), is, "{written}");
        }
    }

    #[test]
    fn a_url_without_its_scheme_is_told_from_a_path() {
        for host in ["frontend-proxy:8080/api/cart", "example.com/a?b", "[::1]:80/x", "[::1]/x", "shop.example:443"] {
            assert!(schemeless(host), "{host}");
        }
        for path in ["/api/cart", "api/cart", "", ":8080/x", "-x.com/a", "a b.com/x", "[]/x", "host:/x", "GET /x"] {
            assert!(!schemeless(path), "{path}");
        }
    }

    #[test]
    fn identifiers() {
        for id in [
            "3",
            "99999999999999999999999",
            "0f8fad5b-d9cb-469f-a165-70867728950e",
            "9d8604e88dbb2c64",
            "a1b2c3d4e5f6g7h8i9j0k",
        ] {
            assert!(is_identifier(id), "{id}");
        }
        for word in ["delete", "static", "x.css", "abc", "users", "v2"] {
            assert!(!is_identifier(word), "{word}");
        }
    }

    #[test]
    fn rebuilt_urls_name_their_parts() {
        assert_eq!(
            rebuilt_from(Some("url.scheme"), "server.address", None, "url.path"),
            "rebuilt from url.scheme, server.address, url.path"
        );
        assert_eq!(
            rebuilt_from(None, "http.server_name", Some("net.host.port"), "http.url"),
            "rebuilt from http.server_name, net.host.port, http.url"
        );
    }

    #[test]
    fn mojibake_paths_are_encoded_back() {
        assert_eq!(encode_path("/nope here/\u{e2}\u{9c}\u{93}"), "/nope%20here/%E2%9C%93");
        assert_eq!(encode_path("/caf\u{e9}"), "/caf%E9");
        // Nothing to encode: as it is.
        assert_eq!(encode_path("/a-b_c.d~e/!$&'()*+,;=:@%20/x"), "/a-b_c.d~e/!$&'()*+,;=:@%20/x");
        assert_eq!(encode_path("/a?b#c d"), "/a%3Fb%23c%20d");
        assert_eq!(encode_path("/✓"), "/%E2%9C%93");
    }
}
