//! The proxy's lifecycle as a library: [`Proxy::bind`] opens every
//! listener (TCP per target, optional Unix sockets, the health port) or
//! fails with what to do; [`Proxy::serve`] starts accepting;
//! [`Proxy::shutdown`] stops new clients and waits for open sessions up to
//! a deadline. The binary keeps flags, printing and signals.

use crate::dial::Dial;
use crate::log::Logger;
use crate::{Shared, Target};
use rdsql_db::Protocol;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// How to listen.
pub struct Config {
    pub address: IpAddr,
    /// The first target's port (the rest count up); None: the engine's
    /// own port. A target's `proxy_port` wins.
    pub port: Option<u16>,
    /// Also listen on Unix sockets in this directory (0700).
    pub unix_socket: Option<PathBuf>,
    pub health_port: Option<u16>,
    pub max_connections: Option<usize>,
    pub log: Logger,
    /// None: TCP (through tunnels where a connection has one).
    pub dial: Option<Arc<dyn Dial>>,
    /// See [`crate::LOGIN_TIMEOUT`].
    pub login_timeout: Duration,
}

/// A listener that could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum BindError {
    #[error("cannot listen on {addr} for {name}: {error}")]
    Port {
        name: String,
        addr: SocketAddr,
        error: std::io::Error,
    },
    #[error("cannot listen on {addr} for health checks: {error}")]
    Health {
        addr: SocketAddr,
        error: std::io::Error,
    },
    #[error("{0}")]
    Socket(String, Vec<String>),
    #[error("{0} has no server to proxy")]
    NotAServer(String),
}

impl BindError {
    /// Likely causes and what to do.
    pub fn hints(&self) -> Vec<String> {
        match self {
            BindError::Port { .. } => vec![
                "another program (a local PostgreSQL?) may use the port: choose another with --port".into(),
            ],
            BindError::Health { .. } => vec!["choose another --health-port".into()],
            BindError::Socket(_, hints) => hints.clone(),
            BindError::NotAServer(_) => {
                vec!["open it with rdsql, or any SQLite client, directly".into()]
            }
        }
    }
}

/// Where the proxy listens, for the binary to print.
#[derive(Debug, Clone)]
pub enum Bound {
    Tcp { name: String, addr: SocketAddr },
    Unix { name: String, path: PathBuf },
    Health { addr: SocketAddr },
}

enum Listener {
    Tcp(tokio::net::TcpListener, Arc<Target>),
    Unix(tokio::net::UnixListener, Arc<Target>),
    Health(tokio::net::TcpListener),
}

/// A bound proxy.
pub struct Proxy {
    shared: Arc<Shared>,
    listeners: Vec<Listener>,
    bound: Vec<Bound>,
    sockets: Vec<PathBuf>,
    stop: tokio::sync::watch::Sender<bool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Proxy {
    /// Opens every listener for `targets` (checked by the caller: signed
    /// in, reachable).
    pub async fn bind(targets: Vec<Arc<Target>>, config: Config) -> Result<Proxy, BindError> {
        let mut shared = Shared::new(targets.clone(), config.max_connections, config.log);
        if let Some(d) = config.dial {
            shared.dial = d;
        }
        shared.login_timeout = config.login_timeout;
        let ip = config.address;
        let base = match (config.port, targets.first()) {
            (Some(p), _) => p,
            (None, Some(t)) => t.spec.engine.default_port(),
            (None, None) => 0,
        };
        let (mut listeners, mut bound, mut sockets) = (vec![], vec![], vec![]);
        for (i, t) in targets.iter().enumerate() {
            if t.spec.engine.protocol() == Protocol::Sqlite {
                return Err(BindError::NotAServer(t.name.clone()));
            }
            // A CONN may name its own port (`proxy_port`); the rest count up.
            let port = match t.spec.proxy_port {
                Some(p) => p,
                None if base == 0 => 0,
                None => base.saturating_add(i as u16),
            };
            let want = SocketAddr::new(ip, port);
            let l = tokio::net::TcpListener::bind(want)
                .await
                .map_err(|error| BindError::Port {
                    name: t.name.clone(),
                    addr: want,
                    error,
                })?;
            let addr = l.local_addr().map_err(|error| BindError::Port {
                name: t.name.clone(),
                addr: want,
                error,
            })?;
            bound.push(Bound::Tcp {
                name: t.name.clone(),
                addr,
            });
            if let Some(dir) = &config.unix_socket {
                let path = unix_socket(dir, addr.port(), t.spec.engine.protocol())?;
                let ul = tokio::net::UnixListener::bind(&path).map_err(|e| {
                    BindError::Socket(format!("cannot listen on {}: {e}", path.display()), vec![])
                })?;
                bound.push(Bound::Unix {
                    name: t.name.clone(),
                    path: path.clone(),
                });
                sockets.push(path);
                listeners.push(Listener::Unix(ul, t.clone()));
            }
            listeners.push(Listener::Tcp(l, t.clone()));
        }
        if let Some(hp) = config.health_port {
            let want = SocketAddr::new(ip, hp);
            let l = tokio::net::TcpListener::bind(want)
                .await
                .map_err(|error| BindError::Health { addr: want, error })?;
            let addr = l
                .local_addr()
                .map_err(|error| BindError::Health { addr: want, error })?;
            bound.push(Bound::Health { addr });
            listeners.push(Listener::Health(l));
        }
        let (stop, _) = tokio::sync::watch::channel(false);
        Ok(Proxy {
            shared: Arc::new(shared),
            listeners,
            bound,
            sockets,
            stop,
            tasks: vec![],
        })
    }

    /// Where it listens.
    pub fn bound(&self) -> &[Bound] {
        &self.bound
    }

    /// The counters, log and targets every client shares.
    pub fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    /// Starts accepting on every listener; `/startup` answers 200 from now.
    pub fn serve(&mut self) {
        for l in std::mem::take(&mut self.listeners) {
            let (shared, stop) = (self.shared.clone(), self.stop.subscribe());
            self.tasks.push(tokio::spawn(async move {
                match l {
                    Listener::Tcp(l, t) => serve_tcp(l, t, shared, stop).await,
                    Listener::Unix(l, t) => serve_unix(l, t, shared, stop).await,
                    Listener::Health(l) => {
                        let _ = crate::serve_health(l, shared, stop).await;
                    }
                }
            }));
        }
        self.shared.started.store(true, Ordering::SeqCst);
    }

    /// Stops accepting, waits up to `drain` for open sessions to end, and
    /// removes the Unix sockets; returns how many were still open.
    pub async fn shutdown(self, drain: Duration) -> usize {
        let _ = self.stop.send(true);
        let deadline = Instant::now() + drain;
        while self.shared.open_sessions() > 0 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        for path in &self.sockets {
            let _ = std::fs::remove_file(path);
        }
        for t in &self.tasks {
            t.abort();
        }
        self.shared.open_sessions()
    }
}

/// DIR (created 0700, or checked to be private) and the socket path in it:
/// `DIR/.s.PGSQL.PORT` as libpq looks for it, `DIR/mysql.PORT.sock` for MySQL.
fn unix_socket(dir: &Path, port: u16, protocol: Protocol) -> Result<PathBuf, BindError> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    if !dir.exists() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|e| {
                BindError::Socket(format!("cannot create {}: {e}", dir.display()), vec![])
            })?;
    }
    let mode = std::fs::metadata(dir)
        .map_err(|e| BindError::Socket(format!("{}: {e}", dir.display()), vec![]))?
        .permissions()
        .mode();
    if mode & 0o077 != 0 {
        return Err(BindError::Socket(
            format!(
                "{} is open to others (mode {:04o}): its sockets would give them the connection's access",
                dir.display(),
                mode & 0o7777
            ),
            vec![format!(
                "chmod 700 {}, or choose a private directory",
                dir.display()
            )],
        ));
    }
    let path = match protocol {
        Protocol::Postgres => dir.join(format!(".s.PGSQL.{port}")),
        Protocol::Mysql => dir.join(format!("mysql.{port}.sock")),
        Protocol::Sqlite => return Err(BindError::NotAServer(dir.display().to_string())),
    };
    // A socket left by an earlier run that did not stop cleanly.
    let _ = std::fs::remove_file(&path);
    Ok(path)
}

/// One client, by the target's protocol.
async fn serve<S>(stream: S, peer: String, target: Arc<Target>, shared: Arc<Shared>)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send,
{
    match target.spec.engine.protocol() {
        Protocol::Postgres => crate::pg::serve_client(stream, peer, target, shared).await,
        Protocol::Mysql => crate::mysql::serve_client(stream, peer, target, shared).await,
        // Refused by `Proxy::bind`.
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
async fn serve_tcp(
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
async fn serve_unix(
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
