//! The rules of a local web server that holds database credentials
//! (docs/ui.md, "Security"):
//!
//! - the token printed by `rdsql ui` is exchanged, once, for an `HttpOnly;
//!   SameSite=Strict` cookie and removed from the address bar; without the
//!   cookie every route answers 401;
//! - the `Host` header must name this server (no DNS rebinding);
//! - state changes only through JSON `POST`s from the same origin
//!   (`Origin`, else `Sec-Fetch-Site`); no CORS headers are ever sent;
//! - every response carries a strict Content-Security-Policy and is not
//!   framed, sniffed or cached.

use crate::State;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// The cookie that carries the session key after the first load (its
/// name ends in `_PORT`).
pub const COOKIE: &str = "rdsql_ui";

/// The page's policy: as [`CSP`], plus a nonce for the style elements the
/// editor creates (CodeMirror injects its theme as `<style>`).
pub fn page_csp(nonce: &str) -> String {
    CSP.replace(
        "style-src 'self'",
        &format!("style-src 'self' 'nonce-{nonce}'"),
    )
}

/// The Content-Security-Policy of every response.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

fn plain(status: StatusCode, text: &'static str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        text,
    )
        .into_response()
}

fn same(a: &str, b: &str) -> bool {
    aws_lc_rs::constant_time::verify_slices_are_equal(a.as_bytes(), b.as_bytes()).is_ok()
}

/// The value of cookie `name` in a `Cookie` header, if any.
fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// The middleware in front of every route.
pub(crate) async fn guard(
    axum::extract::State(state): axum::extract::State<State>,
    req: Request,
    next: Next,
) -> Response {
    let mut resp = check(&state, req, next).await;
    let h = resp.headers_mut();
    // The page itself carries its own, with a per-load style nonce.
    if !h.contains_key("content-security-policy") {
        h.insert("content-security-policy", HeaderValue::from_static(CSP));
    }
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    h.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

async fn check(state: &State, req: Request, next: Next) -> Response {
    // DNS rebinding: a page of evil.example resolved to 127.0.0.1 sends
    // "Host: evil.example".
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if !state.allowed_hosts.contains(&host) {
        return plain(StatusCode::FORBIDDEN, "forbidden: unexpected Host header\n");
    }

    // First load: ?token=… becomes a cookie, and the address bar is
    // cleaned by a redirect.
    let given = (req.method() == Method::GET && req.uri().path() == "/")
        .then(|| req.uri().query())
        .flatten()
        .and_then(|q| {
            q.split('&')
                .filter_map(|kv| kv.split_once('='))
                .find(|(k, _)| *k == "token")
                .map(|(_, v)| v.to_string())
        });
    if let Some(t) = given {
        if !same(&t, &state.token) {
            return plain(StatusCode::UNAUTHORIZED, "unauthorized: wrong token\n");
        }
        return Response::builder()
            .status(StatusCode::SEE_OTHER)
            .header(header::LOCATION, "/")
            .header(
                header::SET_COOKIE,
                format!(
                    "{}={}; Path=/; HttpOnly; SameSite=Strict",
                    state.cookie_name, state.session_key
                ),
            )
            .body(Body::empty())
            .unwrap_or_else(|_| plain(StatusCode::INTERNAL_SERVER_ERROR, "error\n"));
    }
    match cookie(req.headers(), &state.cookie_name) {
        Some(k) if same(&k, &state.session_key) => {}
        _ => {
            return plain(
                StatusCode::UNAUTHORIZED,
                "unauthorized: open the address that `rdsql ui` printed (it carries the token)\n",
            );
        }
    }

    match *req.method() {
        Method::GET | Method::HEAD => {}
        Method::POST => {
            // Same origin only: a page elsewhere cannot drive this server,
            // even with the cookie (SameSite=Strict already withholds it).
            let origin = req
                .headers()
                .get(header::ORIGIN)
                .and_then(|v| v.to_str().ok());
            let fetch_site = req
                .headers()
                .get("sec-fetch-site")
                .and_then(|v| v.to_str().ok());
            let ok = match origin {
                Some(o) => o.eq_ignore_ascii_case(&format!("http://{host}")),
                None => fetch_site == Some("same-origin"),
            };
            if !ok {
                return plain(StatusCode::FORBIDDEN, "forbidden: cross-origin request\n");
            }
            let json = req
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.starts_with("application/json"));
            if !json {
                return plain(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "unsupported: state changes take application/json\n",
                );
            }
        }
        _ => return plain(StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n"),
    }
    next.run(req).await
}
