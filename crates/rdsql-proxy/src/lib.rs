//! `rdsql proxy`: a local auth proxy. Clients connect in plaintext on
//! loopback; the proxy connects upstream with the connection's TLS rules
//! and authenticates with its method — a fresh (or ≤ 10 min old) IAM token
//! per upstream connection, or the password — then relays bytes both ways.
//! Design and limits: docs/proxy.md.

// Errors are on the cold path and carry what the user needs.
#![allow(clippy::result_large_err)]

mod health;
mod log;
pub mod mysql;
pub mod pg;
mod upstream;

pub use health::serve_health;
pub use log::Logger;

use rdsql_db::Protocol;
use rdsql_db::{PasswordProvider, ServerSpec};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How long one IAM token may serve new upstream connections: RDS
/// throttles new IAM connections per second, so reuse is allowed, but
/// never beyond 10 minutes (docs/proxy.md, "Tokens").
pub const TOKEN_REUSE: Duration = Duration::from_secs(600);

/// One proxied connection: what a listener forwards to.
pub struct Target {
    /// The name the user gave (a saved connection or a redacted URL).
    pub name: String,
    pub spec: ServerSpec,
    pub provider: Arc<dyn PasswordProvider>,
    /// Whether the provider signs IAM tokens (counted in the metrics).
    pub iam: bool,
    /// The token cache shared by every user of this target.
    pub cache: Arc<rdsql_connect::TokenCache>,
    /// Targets for the users clients named, when the connection named
    /// none (docs/proxy.md, "User").
    pub per_user: Mutex<HashMap<String, Arc<Target>>>,
}

impl Target {
    pub fn new(
        name: String,
        spec: ServerSpec,
        provider: Arc<dyn PasswordProvider>,
        cache: Arc<rdsql_connect::TokenCache>,
    ) -> Target {
        let iam = !matches!(spec.auth, rdsql_db::Auth::Password { .. });
        Target {
            name,
            spec,
            provider,
            iam,
            cache,
            per_user: Mutex::default(),
        }
    }

    /// The target a client's session uses: this one, unless the connection
    /// named no user and the client names another — then the same
    /// connection for the client's user (an IAM token signed for that
    /// user; the connection's password for password connections).
    pub async fn for_client(
        self: &Arc<Self>,
        client_user: Option<&str>,
    ) -> Result<Arc<Target>, String> {
        let Some(user) =
            client_user.filter(|u| !u.is_empty() && !self.spec.user_given && *u != self.spec.user)
        else {
            return Ok(self.clone());
        };
        if let Some(t) = self.per_user.lock().ok().and_then(|m| m.get(user).cloned()) {
            return Ok(t);
        }
        let mut spec = self.spec.clone();
        spec.user = user.to_string();
        spec.user_given = true;
        let provider: Arc<dyn PasswordProvider> = if self.iam {
            let env = |k: &str| std::env::var(k).ok();
            let p = rdsql_connect::open::iam_provider_with(
                &spec,
                &rdsql_connect::NoInteraction,
                &env,
                self.cache.clone(),
            )
            .await
            .map_err(|e| format!("rdsql proxy: cannot sign for user {user:?}: {e}"))?;
            Arc::new(p)
        } else {
            self.provider.clone()
        };
        let t = Arc::new(Target {
            name: self.name.clone(),
            spec,
            provider,
            iam: self.iam,
            cache: self.cache.clone(),
            per_user: Mutex::default(),
        });
        if let Ok(mut m) = self.per_user.lock() {
            m.insert(user.to_string(), t.clone());
        }
        Ok(t)
    }
}

/// Counters for `/metrics` and the readiness check.
#[derive(Default)]
pub struct Metrics {
    pub open: AtomicUsize,
    pub total: AtomicU64,
    pub refused: AtomicU64,
    pub token_signings: AtomicU64,
    pub upstream_errors: AtomicU64,
    pub bytes_from_clients: AtomicU64,
    pub bytes_to_clients: AtomicU64,
}

/// A session's upstream cancel key (process id, secret) → the upstream
/// peer it reached and its target.
pub type CancelKeys = Mutex<HashMap<(i32, i32), (SocketAddr, Arc<Target>)>>;

/// State shared by every listener.
pub struct Shared {
    pub metrics: Metrics,
    /// Upstream cancel keys seen in `BackendKeyData` → the upstream peer
    /// and target of that session, so a client's `CancelRequest` reaches
    /// the same server.
    pub cancel_keys: CancelKeys,
    pub max_connections: Option<usize>,
    pub log: Logger,
    /// Set once every target has been checked and is listening.
    pub started: AtomicBool,
    pub targets: Vec<Arc<Target>>,
}

impl Shared {
    pub fn new(targets: Vec<Arc<Target>>, max_connections: Option<usize>, log: Logger) -> Self {
        Shared {
            metrics: Metrics::default(),
            cancel_keys: Mutex::default(),
            max_connections,
            log,
            started: AtomicBool::new(false),
            targets,
        }
    }

    /// Counts a client in; false (and counted as refused) over the limit.
    pub(crate) fn admit(&self) -> bool {
        let n = self.metrics.open.fetch_add(1, Ordering::SeqCst) + 1;
        if self.max_connections.is_some_and(|m| n > m) {
            self.metrics.open.fetch_sub(1, Ordering::SeqCst);
            self.metrics.refused.fetch_add(1, Ordering::Relaxed);
            return false;
        }
        self.metrics.total.fetch_add(1, Ordering::Relaxed);
        true
    }

    pub(crate) fn leave(&self) {
        self.metrics.open.fetch_sub(1, Ordering::SeqCst);
    }

    /// Client sessions still open.
    pub fn open_sessions(&self) -> usize {
        self.metrics.open.load(Ordering::SeqCst)
    }
}

/// The password or IAM token for one upstream connection (a token is
/// reused for at most [`TOKEN_REUSE`]); signings are counted.
pub(crate) async fn fetch_secret(
    target: &Target,
    shared: &Shared,
) -> Result<rdsql_db::Secret, String> {
    let fail = |e: rdsql_db::ProviderError| {
        format!(
            "rdsql proxy: cannot get the {}: {e}",
            target.provider.describe()
        )
    };
    target.provider.prepare().await.map_err(fail)?;
    let before = target.provider.token_issued_at();
    let s = target.provider.password().await.map_err(fail)?;
    if target.iam && target.provider.token_issued_at() != before {
        shared
            .metrics
            .token_signings
            .fetch_add(1, Ordering::Relaxed);
    }
    Ok(s)
}

/// One client, by the target's protocol.
async fn serve<S>(stream: S, peer: String, target: Arc<Target>, shared: Arc<Shared>)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send,
{
    match target.spec.engine.protocol() {
        Protocol::Postgres => pg::serve_client(stream, peer, target, shared).await,
        Protocol::Mysql => mysql::serve_client(stream, peer, target, shared).await,
        // `rdsql proxy` refuses SQLite targets before it listens.
        Protocol::Sqlite => {}
    }
}

/// Accepts clients with `accept` (a stream and its peer's name) and serves
/// each on a task of its own until `stop` fires.
async fn accept_loop<S, F, Fut>(
    mut accept: F,
    target: Arc<Target>,
    shared: Arc<Shared>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = std::io::Result<(S, String)>>,
{
    loop {
        tokio::select! {
            _ = stop.changed() => return,
            accepted = accept() => match accepted {
                Ok((stream, peer)) => {
                    let (t, s) = (target.clone(), shared.clone());
                    tokio::spawn(async move { serve(stream, peer, t, s).await });
                }
                Err(e) => {
                    tracing::warn!("accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
        }
    }
}

/// Accepts clients on `listener` for `target` until `stop` fires.
pub async fn serve_tcp(
    listener: tokio::net::TcpListener,
    target: Arc<Target>,
    shared: Arc<Shared>,
    stop: tokio::sync::watch::Receiver<bool>,
) {
    let l = &listener;
    let accept = || async move {
        let (stream, peer) = l.accept().await?;
        let _ = stream.set_nodelay(true);
        Ok((stream, peer.to_string()))
    };
    accept_loop(accept, target, shared, stop).await
}

/// Accepts clients on a Unix socket (`--unix-socket DIR`).
pub async fn serve_unix(
    listener: tokio::net::UnixListener,
    target: Arc<Target>,
    shared: Arc<Shared>,
    stop: tokio::sync::watch::Receiver<bool>,
) {
    let l = &listener;
    let accept = || async move {
        let (stream, _) = l.accept().await?;
        Ok((stream, "unix socket".to_string()))
    };
    accept_loop(accept, target, shared, stop).await
}
