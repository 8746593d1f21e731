//! The browser side, embedded in the binary: no Node.js at install or test
//! time (docs/ui.md, "Assets").

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use include_dir::{Dir, include_dir};

static ASSETS: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/assets");

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next() {
        Some("html") => "text/html; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        _ => "application/octet-stream",
    }
}

/// The page, with a fresh style nonce in its policy and in a meta tag the
/// editor reads.
pub fn page() -> Response {
    let Some(f) = ASSETS.get_file("index.html") else {
        return (StatusCode::NOT_FOUND, "not found\n").into_response();
    };
    let nonce = crate::new_token()[..32].to_string();
    let html = String::from_utf8_lossy(f.contents()).replace("__STYLE_NONCE__", &nonce);
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8".to_string()),
            (
                header::CONTENT_SECURITY_POLICY,
                crate::security::page_csp(&nonce),
            ),
        ],
        html,
    )
        .into_response()
}

/// The embedded file at `path` ("" is the page).
pub fn get(path: &str) -> Response {
    if path.is_empty() || path == "index.html" {
        return page();
    }
    match ASSETS.get_file(path) {
        Some(f) => (
            [(header::CONTENT_TYPE, content_type(path))],
            f.contents().to_vec(),
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "not found\n").into_response(),
    }
}
