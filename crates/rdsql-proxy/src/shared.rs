//! State every listener and client shares: counters, cancel keys, the
//! targets, the log and the dial.

use crate::Target;
use crate::dial::{Dial, TcpDial};
use crate::log::Logger;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

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
    /// How upstream connections are opened (tests use an in-memory one).
    pub dial: Arc<dyn Dial>,
    /// How long a client's login may take, end to end (its startup
    /// packet, the upstream dial, TLS and authentication).
    pub login_timeout: std::time::Duration,
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
            dial: Arc::new(TcpDial),
            login_timeout: crate::LOGIN_TIMEOUT,
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
