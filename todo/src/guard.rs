//! What a request must satisfy before a handler sees it, and the headers every response carries.
//!
//! The middleware sits inside the telemetry middleware (`app.rs`), so a refusal is still a SERVER
//! span with its status, and outside everything else, so the headers are on every answer the
//! router gives: pages, redirects, 4xx, 5xx, 408 and the refusals themselves.
//!
//! - **400 Bad Request** for a request with more than one `Host`, and for an HTTP/1.1 request
//!   with none (RFC 9112, section 3.2: a server MUST). Taking the first of two would let a proxy
//!   that checks the last one and this server disagree about which site a request is for.
//! - **421 Misdirected Request** when `Host` names a host this server does not answer to, for
//!   every method. A DNS-rebinding page (`evil.example` re-resolved to 127.0.0.1) sends its own
//!   name, so it can neither read the list nor change it. Answered: the listening address with its
//!   port; on a loopback or unspecified address also `localhost`, `127.0.0.1` and `[::1]`; on an
//!   unspecified address (`0.0.0.0`, `::`) any IP literal, since an address typed as digits cannot
//!   be rebound; and whatever `--allowed-host` adds (a reverse proxy's name). A request without
//!   `Host` (HTTP/1.0 only) passes: no browser sends one.
//! - **403 Forbidden** for a state-changing request (any method but GET, HEAD, OPTIONS and TRACE)
//!   that a browser says comes from another site: `Sec-Fetch-Site` other than `same-origin` or
//!   `none`, or an `Origin` (`null` included) whose host and port are not the request's `Host`.
//!   The scheme is not compared, so a TLS-terminating proxy in front works. A request with
//!   neither header (curl, wrk, `todo traffic`) is no browser acting for another site and passes.
//!   One with two `Origin` or two `Sec-Fetch-Site` headers is refused: no browser sends that,
//!   and the first alone is not the whole story.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, Version, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::AppError;
use crate::page;

/// A host name with an optional port, as `--allowed-host` takes it: `todo.example.com` (any
/// port) or `todo.example.com:8080` (that port only). Lowercased; IPv6 addresses in brackets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostPattern {
    name: String,
    port: Option<u16>,
}

impl FromStr for HostPattern {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match split_host(s.trim()) {
            Some((name, port)) if !name.is_empty() => Ok(HostPattern { name: name.to_ascii_lowercase(), port }),
            _ => Err(format!("{s:?} is not a host name or NAME:PORT")),
        }
    }
}

impl fmt::Display for HostPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.port {
            Some(p) => write!(f, "{}:{p}", self.name),
            None => f.write_str(&self.name),
        }
    }
}

/// The `Host` values a server answers to; see the module documentation for the rule.
#[derive(Debug, Clone)]
pub struct AllowedHosts {
    port: u16,
    names: Vec<String>,
    ips: Vec<IpAddr>,
    any_ip: bool,
    extra: Vec<HostPattern>,
}

impl AllowedHosts {
    /// A server listening on `port` under each of `listen` (the configured `--host`, a name or an
    /// address, and the address it bound), answering also to `extra`.
    pub fn new<'a>(listen: impl IntoIterator<Item = &'a str>, port: u16, extra: &[HostPattern]) -> Self {
        let mut hosts = AllowedHosts { port, names: Vec::new(), ips: Vec::new(), any_ip: false, extra: extra.to_vec() };
        for host in listen {
            let host = host.trim().trim_start_matches('[').trim_end_matches(']').to_ascii_lowercase();
            let loopback = match host.parse::<IpAddr>() {
                Ok(ip) => {
                    hosts.ips.push(ip);
                    hosts.any_ip |= ip.is_unspecified();
                    ip.is_loopback() || ip.is_unspecified()
                }
                Err(_) => {
                    let loopback = host == "localhost";
                    hosts.names.push(host);
                    loopback
                }
            };
            if loopback {
                hosts.names.push("localhost".into());
                hosts.ips.extend([IpAddr::from([127, 0, 0, 1]), IpAddr::from([0, 0, 0, 0, 0, 0, 0, 1])]);
            }
        }
        hosts.names.dedup();
        hosts
    }

    /// Whether a request with this `Host` header value is for us.
    pub fn allows(&self, host: &str) -> bool {
        let Some((name, port)) = split_host(host) else { return false };
        if self.extra.iter().any(|p| p.name.eq_ignore_ascii_case(name) && p.port.is_none_or(|want| Some(want) == port))
        {
            return true;
        }
        if port.unwrap_or(80) != self.port {
            return false;
        }
        match name.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>() {
            // `[v6]` only: a bare `::1` was already refused by `split_host`.
            Ok(ip) => self.any_ip || self.ips.contains(&ip),
            Err(_) => self.names.iter().any(|n| n.eq_ignore_ascii_case(name)),
        }
    }
}

/// Splits `name[:port]` or `[v6][:port]`, brackets kept. `None` for anything else (a bare IPv6
/// address, an empty or non-numeric port, spaces).
fn split_host(host: &str) -> Option<(&str, Option<u16>)> {
    let (name, port) = if host.starts_with('[') {
        let end = host.find(']')?;
        let (name, rest) = host.split_at(end + 1);
        name[1..end].parse::<std::net::Ipv6Addr>().ok()?;
        (name, if rest.is_empty() { None } else { Some(rest.strip_prefix(':')?) })
    } else {
        match host.split_once(':') {
            Some((name, port)) => (name, Some(port)),
            None => (host, None),
        }
    };
    if name.bytes().any(|b| b.is_ascii_whitespace() || b == b'/' || b == b'@') {
        return None;
    }
    let port = match port {
        Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => Some(p.parse().ok()?),
        Some(_) => return None,
        None => None,
    };
    Some((name, port))
}

/// Why a request is refused, if it is: the Host rules first, then the cross-site rule.
pub fn refusal(hosts: &AllowedHosts, method: &Method, version: Version, headers: &HeaderMap) -> Option<AppError> {
    let count = |name: &HeaderName| headers.get_all(name).iter().count();
    match count(&header::HOST) {
        0 if version == Version::HTTP_11 => {
            return Some(AppError::BadRequest("An HTTP/1.1 request needs a Host header".into()));
        }
        n @ 2.. => return Some(AppError::BadRequest(format!("A request has one Host header, not {n}"))),
        _ => {}
    }
    // A value that is not visible ASCII (`to_str` fails) is read as `""`: no host, no origin.
    let text = |name: &str| headers.get(name).map(|v| v.to_str().unwrap_or_default());
    let host = text(header::HOST.as_str());
    if let Some(host) = host.filter(|h| !hosts.allows(h)) {
        return Some(AppError::MisdirectedRequest(host.to_string()));
    }
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE) {
        return None;
    }
    for (name, shown) in [(header::ORIGIN, "Origin"), (HeaderName::from_static("sec-fetch-site"), "Sec-Fetch-Site")] {
        if let n @ 2.. = count(&name) {
            return Some(AppError::CrossSite(format!("{n} {shown} headers")));
        }
    }
    if let Some(site) = text("sec-fetch-site").filter(|s| *s != "same-origin" && *s != "none") {
        return Some(AppError::CrossSite(format!("Sec-Fetch-Site: {site}")));
    }
    if let Some(origin) = text(header::ORIGIN.as_str()) {
        let authority = origin.strip_prefix("http://").or_else(|| origin.strip_prefix("https://"));
        let same = matches!((authority, host), (Some(a), Some(h)) if a.eq_ignore_ascii_case(h));
        if !same {
            return Some(AppError::CrossSite(format!("Origin {origin:?} is not this site")));
        }
    }
    None
}

/// The middleware: refuses what [`refusal`] names, and adds the security headers to every answer.
pub async fn guard(State(hosts): State<Arc<AllowedHosts>>, request: Request, next: Next) -> Response {
    let mut response = match refusal(&hosts, request.method(), request.version(), request.headers()) {
        Some(error) => {
            tracing::warn!("{error} on {} {}", request.method(), request.uri().path());
            error.into_response()
        }
        None => next.run(request).await,
    };
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(page::CONTENT_SECURITY_POLICY));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    // Not `no-referrer`: under it a browser sends `Origin: null` with every POST (Fetch,
    // "serializing a request origin"), and the page's own forms would be refused as cross-site.
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hosts(listen: &[&str], extra: &[&str]) -> AllowedHosts {
        let extra: Vec<HostPattern> = extra.iter().map(|e| e.parse().unwrap()).collect();
        AllowedHosts::new(listen.iter().copied(), 5000, &extra)
    }

    #[test]
    fn loopback_answers_to_its_address_and_the_loopback_names_at_its_port() {
        let h = hosts(&["127.0.0.1"], &[]);
        for ok in ["127.0.0.1:5000", "localhost:5000", "LocalHost:5000", "[::1]:5000"] {
            assert!(h.allows(ok), "{ok}");
        }
        for refused in [
            "evil.example",
            "evil.example:5000",
            "127.0.0.1",
            "127.0.0.1:5001",
            "localhost",
            "192.168.1.2:5000",
            "::1:5000",
            "localhost:",
            "localhost:50x0",
            "localhost:5000 ",
            "user@localhost:5000",
            "",
        ] {
            assert!(!h.allows(refused), "{refused:?}");
        }
    }

    #[test]
    fn a_named_or_public_address_answers_to_that_alone() {
        let h = hosts(&["192.168.1.2"], &[]);
        assert!(h.allows("192.168.1.2:5000"));
        assert!(!h.allows("localhost:5000"));
        assert!(!h.allows("10.0.0.1:5000"));
        let h = hosts(&["todo.lan", "192.168.1.2"], &[]);
        assert!(h.allows("TODO.lan:5000"));
        assert!(!h.allows("localhost:5000"));
    }

    #[test]
    fn an_unspecified_address_answers_to_any_ip_literal_but_no_other_name() {
        let h = hosts(&["0.0.0.0"], &[]);
        for ok in ["192.168.1.2:5000", "localhost:5000", "[fe80::1]:5000", "0.0.0.0:5000"] {
            assert!(h.allows(ok), "{ok}");
        }
        assert!(!h.allows("evil.example:5000"));
        assert!(!h.allows("192.168.1.2:80"));
    }

    #[test]
    fn allowed_hosts_match_any_port_unless_they_name_one() {
        let h = hosts(&["127.0.0.1"], &["todo.example.com", "Other.example:8080", "[::2]"]);
        assert!(h.allows("todo.example.com"));
        assert!(h.allows("todo.example.com:443"));
        assert!(h.allows("other.example:8080"));
        assert!(!h.allows("other.example"));
        assert!(h.allows("[::2]:1"));
        assert!("a b".parse::<HostPattern>().is_err());
        assert!("x:y".parse::<HostPattern>().is_err());
        assert!("::1".parse::<HostPattern>().is_err());
        assert_eq!("[::1]:80".parse::<HostPattern>().unwrap().to_string(), "[::1]:80");
    }

    fn refused(method: Method, pairs: &[(&'static str, &str)]) -> Option<String> {
        refused_as(Version::HTTP_11, method, pairs)
    }

    /// Headers named twice in `pairs` are sent twice.
    fn refused_as(version: Version, method: Method, pairs: &[(&'static str, &str)]) -> Option<String> {
        let mut headers = HeaderMap::new();
        for (k, v) in pairs {
            headers.append(*k, HeaderValue::from_str(v).unwrap());
        }
        refusal(&hosts(&["127.0.0.1"], &[]), &method, version, &headers).map(|e| e.to_string())
    }

    #[test]
    fn cross_site_posts_are_refused_and_same_origin_ones_pass() {
        let host = ("host", "127.0.0.1:5000");
        assert_eq!(refused(Method::POST, &[host]), None);
        assert_eq!(refused_as(Version::HTTP_10, Method::POST, &[]), None);
        assert_eq!(refused(Method::POST, &[host, ("origin", "http://127.0.0.1:5000")]), None);
        assert_eq!(refused(Method::POST, &[host, ("origin", "https://127.0.0.1:5000")]), None);
        assert_eq!(refused(Method::POST, &[host, ("sec-fetch-site", "same-origin")]), None);
        assert_eq!(refused(Method::POST, &[host, ("sec-fetch-site", "none")]), None);
        assert_eq!(refused(Method::GET, &[host, ("origin", "http://evil.example")]), None);
        assert_eq!(refused(Method::GET, &[host, ("sec-fetch-site", "cross-site")]), None);
        for (k, v) in [
            ("origin", "http://evil.example"),
            ("origin", "null"),
            ("origin", "http://127.0.0.1:5001"),
            ("origin", "http://localhost:5000"),
            ("sec-fetch-site", "cross-site"),
            ("sec-fetch-site", "same-site"),
        ] {
            let why = refused(Method::POST, &[host, (k, v)]);
            assert!(why.as_deref().is_some_and(|w| w.starts_with("Cross-site request refused")), "{k}: {v}: {why:?}");
            assert!(refused(Method::DELETE, &[host, (k, v)]).is_some(), "{k}: {v}");
        }
        // An Origin with nothing to compare it with is not trusted.
        let why = refused_as(Version::HTTP_10, Method::POST, &[("origin", "http://127.0.0.1:5000")]);
        assert!(why.is_some_and(|w| w.starts_with("Cross-site request refused")));
    }

    #[test]
    fn a_request_has_one_host_and_http_1_1_must_send_it() {
        let own = ("host", "127.0.0.1:5000");
        assert_eq!(refused(Method::GET, &[]).as_deref(), Some("An HTTP/1.1 request needs a Host header"));
        assert_eq!(refused_as(Version::HTTP_10, Method::GET, &[]), None);
        for pairs in [[own, own], [own, ("host", "evil.example")], [("host", "evil.example"), own]] {
            for version in [Version::HTTP_10, Version::HTTP_11] {
                let why = refused_as(version, Method::GET, &pairs);
                assert_eq!(why.as_deref(), Some("A request has one Host header, not 2"), "{version:?} {pairs:?}");
            }
        }
    }

    #[test]
    fn a_second_origin_or_sec_fetch_site_is_refused_not_ignored() {
        let host = ("host", "127.0.0.1:5000");
        let same = ("origin", "http://127.0.0.1:5000");
        let why = refused(Method::POST, &[host, same, ("origin", "http://evil.example")]);
        assert_eq!(why.as_deref(), Some("Cross-site request refused (2 Origin headers)"));
        assert!(refused(Method::POST, &[host, same, same]).is_some());
        let site = |v| ("sec-fetch-site", v);
        let why = refused(Method::DELETE, &[host, site("same-origin"), site("cross-site")]);
        assert_eq!(why.as_deref(), Some("Cross-site request refused (2 Sec-Fetch-Site headers)"));
        // Reads are not checked for either header, twice or not.
        assert_eq!(refused(Method::GET, &[host, same, ("origin", "http://evil.example")]), None);
    }

    #[test]
    fn the_host_rule_comes_first_and_covers_reads() {
        let why = refused(Method::GET, &[("host", "evil.example:5000")]).unwrap();
        assert!(why.starts_with("Misdirected request"), "{why}");
        let why = refused(Method::POST, &[("host", "evil.example:5000"), ("origin", "http://evil.example:5000")]);
        assert!(why.unwrap().starts_with("Misdirected request"));
    }
}
