//! What every client gets, whatever its protocol: a counted slot (released
//! by a drop guard, so no early return or panic leaks one), and the open
//! and close lines of the connection log with the session's metrics.

use crate::{Shared, Target};
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
