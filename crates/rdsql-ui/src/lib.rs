//! `rdsql ui`: a local web app — the Amazon RDS connection dialog and a
//! small query view — served on loopback by the `rdsql` binary.
//!
//! Every connection goes through the connect library (`rdsql-connect`),
//! exactly as the CLI's do. The server's security rules (token exchanged
//! for a cookie, Host allow-list, same-origin JSON POSTs, a strict CSP,
//! secrets never sent back) are in [`security`]; design notes in
//! docs/ui.md.

// Errors are on the cold path and carry what the user needs.
#![allow(clippy::result_large_err)]

mod api;
mod assets;
mod catalog;
mod export;
mod form;
mod history;
pub mod security;
mod sessions;
mod signin;
mod workspace;

use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

/// A running UI server's shared state.
pub(crate) struct Inner {
    pub token: String,
    /// The cookie's value: a secret of its own, so the token (which sits in
    /// the redirect file and the browser history) is not the credential
    /// every request carries.
    pub session_key: String,
    /// The cookie's name, with the port: cookies ignore ports, and two
    /// `rdsql ui` must not clobber each other.
    pub cookie_name: String,
    /// `host:port` values the `Host` header may carry.
    pub allowed_hosts: Vec<String>,
    pub sessions: Mutex<HashMap<String, sessions::SessionHandle>>,
    pub signins: Mutex<HashMap<String, Arc<signin::Job>>>,
    /// Whether SSO sign-in pages are opened with `$BROWSER`.
    pub open_browser: bool,
    /// Where the workspace and history are kept (`<data dir>/ui`).
    pub data_dir: Option<std::path::PathBuf>,
    /// Exports waiting for their download, or running.
    pub exports: Mutex<HashMap<String, Arc<export::Job>>>,
}

pub(crate) type State = Arc<Inner>;

/// A fresh random token (32 bytes, hex).
pub fn new_token() -> String {
    let mut b = [0u8; 32];
    aws_lc_rs::rand::fill(&mut b).expect("the OS random source");
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Options of a server.
pub struct Options {
    /// The secret that opens the UI (see [`new_token`]).
    pub token: String,
    /// Open SSO sign-in pages with `$BROWSER` (the dialog shows the link
    /// either way).
    pub open_browser: bool,
}

/// The `Host` values a browser sends for `addr`.
fn allowed_hosts(addr: SocketAddr) -> Vec<String> {
    let port = addr.port();
    let mut hosts = vec![
        format!("127.0.0.1:{port}"),
        format!("localhost:{port}"),
        format!("[::1]:{port}"),
    ];
    if !addr.ip().is_loopback() && !addr.ip().is_unspecified() {
        hosts.push(match addr {
            SocketAddr::V4(a) => format!("{}:{port}", a.ip()),
            SocketAddr::V6(a) => format!("[{}]:{port}", a.ip()),
        });
    }
    hosts
}

/// Serves the UI on `listener` until `shutdown` resolves, then closes
/// every open database session.
pub async fn serve(
    listener: tokio::net::TcpListener,
    options: Options,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let addr = listener.local_addr()?;
    let state: State = Arc::new(Inner {
        token: options.token,
        session_key: new_token(),
        cookie_name: format!("{}_{}", security::COOKIE, addr.port()),
        allowed_hosts: allowed_hosts(addr),
        sessions: Mutex::new(HashMap::new()),
        signins: Mutex::new(HashMap::new()),
        open_browser: options.open_browser,
        data_dir: rdsql_config::paths::data_dir().map(|d| d.join("ui")),
        exports: Mutex::new(HashMap::new()),
    });
    let app = api::router(state.clone());
    let result = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await;
    sessions::close_all(&state);
    result
}
