//! What every client gets, whatever its protocol: a counted slot (released
//! by a drop guard, so no early return or panic leaks one), and the open
//! and close lines of the connection log with the session's metrics.

use crate::{Shared, Target};
use rdsql_db::Protocol;
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

/// A client's place under `--max-connections`, given back when dropped.
pub(crate) struct Slot(Arc<Shared>);

impl Slot {
    /// Counts a client in; None (counted as refused) over the limit.
    pub(crate) fn take(shared: &Arc<Shared>) -> Option<Slot> {
        shared.admit().then(|| Slot(shared.clone()))
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.leave();
    }
}

/// One admitted client's session, for the log and the metrics.
pub(crate) struct Client {
    pub(crate) peer: String,
    started: Instant,
    _slot: Slot,
}

/// How a session ended: bytes each way, or why it could not start.
pub(crate) type Outcome = Result<(u64, u64), String>;

impl Client {
    /// Admits a client from `peer`; None when over the limit.
    pub(crate) fn admit(shared: &Arc<Shared>, peer: String) -> Option<Client> {
        Some(Client {
            peer,
            started: Instant::now(),
            _slot: Slot::take(shared)?,
        })
    }

    /// Logs the session's start, once the upstream user and database are
    /// known.
    pub(crate) fn opened(
        &self,
        shared: &Shared,
        target: &Target,
        client_user: Option<&str>,
        database: &str,
    ) {
        let (peer, spec) = (&self.peer, &target.spec);
        shared.log.event(
            "open",
            &format!(
                "{peer} → {}@{}/{database} ({}) opened",
                spec.user,
                spec.host_port(),
                target.name
            ),
            json!({ "client": peer, "user": spec.user, "client_user": client_user, "database": database,
                    "upstream": spec.host_port(), "connection": target.name }),
        );
    }

    /// Logs the end (and counts a failed start as an upstream error);
    /// dropping `self` gives the slot back.
    pub(crate) fn closed(self, shared: &Shared, target: &Target, database: &str, outcome: Outcome) {
        let (up, down, error) = match outcome {
            Ok((a, b)) => (a, b, None),
            Err(message) => {
                shared
                    .metrics
                    .upstream_errors
                    .fetch_add(1, Ordering::Relaxed);
                (0, 0, Some(message))
            }
        };
        let (peer, spec) = (&self.peer, &target.spec);
        let secs = self.started.elapsed().as_secs_f64();
        shared.log.event(
            "close",
            &format!(
                "{peer} → {}@{}/{database} closed after {secs:.1} s ({up} bytes up, {down} down){}",
                spec.user,
                spec.host_port(),
                error.as_deref().map(|e| format!("; {e}")).unwrap_or_default()
            ),
            json!({ "client": peer, "user": spec.user, "database": database, "upstream": spec.host_port(),
                    "seconds": secs, "bytes_up": up, "bytes_down": down, "error": error }),
        );
    }
}

/// What to tell a client whose login upstream the server refused:
/// where the proxy's secret came from, and — when the server said the
/// credentials are wrong (`rejected`) — the likely causes for the
/// method and protocol. An IAM token is dropped, so the next session
/// signs a fresh one.
pub(crate) fn refused_login_hints(target: &Target, rejected: bool) -> Vec<String> {
    let mut hints = vec![format!(
        "rdsql proxy sent the {}",
        target.provider.describe()
    )];
    if !rejected {
        return hints;
    }
    let user = &target.spec.user;
    if !target.iam {
        hints.push("the password of the connection is wrong, or the user does not exist".into());
        return hints;
    }
    target.provider.invalidate();
    match target.spec.engine.protocol() {
        Protocol::Postgres => hints.extend([
            format!("the database user {user:?} must exist and be granted rds_iam (PostgreSQL: GRANT rds_iam TO \"{user}\")"),
            "IAM database authentication must be enabled on the instance, and the identity allowed rds-db:connect on it".into(),
        ]),
        Protocol::Mysql => hints.push(format!(
            "the user {user:?} must be IDENTIFIED WITH AWSAuthenticationPlugin (RDS) and allowed rds-db:connect"
        )),
        Protocol::Sqlite => {}
    }
    hints
}

/// Runs a client's login (everything before the relay) under the login
/// time limit; `late` makes the error the client gets when it runs out.
pub(crate) async fn within_login<T, E>(
    shared: &Shared,
    login: impl std::future::Future<Output = Result<T, E>>,
    late: impl FnOnce(std::time::Duration) -> E,
) -> Result<T, E> {
    let limit = shared.login_timeout;
    tokio::time::timeout(limit, login)
        .await
        .unwrap_or_else(|_| Err(late(limit)))
}

/// The words for a login that ran out of time.
pub(crate) fn login_too_slow(limit: std::time::Duration) -> String {
    format!(
        "rdsql proxy: the login did not complete within {} s (a silent client, or a server or network that does not answer)",
        limit.as_secs()
    )
}

/// A session's upstream cancel key, known to the proxy while the session
/// lives: removed when dropped, however the session ends.
pub(crate) struct CancelKey<'a> {
    shared: &'a Shared,
    key: (i32, i32),
}

impl<'a> CancelKey<'a> {
    pub(crate) fn register(
        shared: &'a Shared,
        key: (i32, i32),
        peer: std::net::SocketAddr,
        target: Arc<Target>,
    ) -> CancelKey<'a> {
        if let Ok(mut m) = shared.cancel_keys.lock() {
            m.insert(key, (peer, target));
        }
        CancelKey { shared, key }
    }
}

impl Drop for CancelKey<'_> {
    fn drop(&mut self) {
        if let Ok(mut m) = self.shared.cancel_keys.lock() {
            m.remove(&self.key);
        }
    }
}
