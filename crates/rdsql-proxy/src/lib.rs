//! `rdsql proxy`: a local auth proxy. Clients connect in plaintext on
//! loopback; the proxy connects upstream with the connection's TLS rules
//! and authenticates with its method — a fresh (or ≤ 10 min old) IAM token
//! per upstream connection, or the password — then relays bytes both ways.
//!
//! [`Proxy`] is the whole lifecycle (bind, serve, shut down); the binary
//! only resolves connections, prints and handles signals. Each protocol
//! lives in its own module tree ([`pg`], [`mysql`]); what every client
//! gets is in `client.rs`, the relay in `relay.rs`, and the way upstream
//! is behind [`Dial`]. Design and limits: docs/proxy.md,
//! docs/architecture.md.

// Errors are on the cold path and carry what the user needs.
#![allow(clippy::result_large_err)]

mod client;
pub mod dial;
mod health;
mod log;
pub mod mysql;
pub mod pg;
mod proxy;
mod relay;
mod shared;
pub mod upstream;

pub use dial::{Dial, Io, TcpDial};
pub use health::serve_health;
pub use log::Logger;
pub use proxy::{BindError, Bound, Config, Proxy};
pub use shared::{CancelKeys, Metrics, Shared};

use rdsql_db::{PasswordProvider, ServerSpec};
use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How long one IAM token may serve new upstream connections: RDS
/// throttles new IAM connections per second, so reuse is allowed, but
/// never beyond 10 minutes (docs/proxy.md, "Tokens").
pub const TOKEN_REUSE: Duration = Duration::from_secs(600);

/// How long a client's login may take by default: a silent client or a
/// dead far end never holds a slot longer (docs/proxy.md, "Limits").
pub const LOGIN_TIMEOUT: Duration = Duration::from_secs(30);

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
