//! The built-in SSH tunnel (`--ssh [user@]host[:port]`), on `russh`: a
//! loopback listener whose connections are forwarded through the bastion
//! (`direct-tcpip`) to the database. Engines dial the listener and keep
//! the real endpoint for TLS names and IAM tokens (docs/ssh.md).
//!
//! Host keys are checked against `~/.ssh/known_hosts` as OpenSSH does:
//! unknown or changed keys are refused with the fingerprint;
//! `--ssh-accept-new` records an unknown one (never a changed one).

use rdsql_db::password::BoxFuture;
use rdsql_db::spec::{SshTarget, Tunnel, TunnelError, TunnelErrorKind, TunnelHandle};
use russh::client;
use russh::keys::{HashAlg, PrivateKeyWithHashAlg, PublicKey};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

/// The tunnel to `db_host:db_port` through `target`; one per process for
/// each such pair, so every connection (and every reconnect) shares it.
pub fn tunnel(target: &SshTarget, db_host: &str, db_port: u16) -> TunnelHandle {
    type Key = (SshTarget, String, u16);
    static TUNNELS: OnceLock<Mutex<HashMap<Key, TunnelHandle>>> = OnceLock::new();
    let key = (target.clone(), db_host.to_string(), db_port);
    let mut map = TUNNELS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    map.entry(key)
        .or_insert_with(|| {
            TunnelHandle(Arc::new(SshTunnel {
                target: target.clone(),
                db_host: db_host.to_string(),
                db_port,
                open: tokio::sync::Mutex::new(None),
            }))
        })
        .clone()
}

/// The runtime the tunnels live on: their own thread, so a tunnel outlives
/// whichever runtime first asked for it (the UI runs one per session).
fn runtime() -> &'static tokio::runtime::Handle {
    static RT: OnceLock<tokio::runtime::Handle> = OnceLock::new();
    RT.get_or_init(|| {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime for SSH tunnels");
        let handle = rt.handle().clone();
        std::thread::Builder::new()
            .name("rdsql-ssh".into())
            .spawn(move || rt.block_on(std::future::pending::<()>()))
            .expect("a thread for SSH tunnels");
        handle
    })
}

#[derive(Debug)]
struct SshTunnel {
    target: SshTarget,
    db_host: String,
    db_port: u16,
    open: tokio::sync::Mutex<Option<Open>>,
}

struct Open {
    addr: SocketAddr,
    session: Arc<client::Handle<HostKeys>>,
}

impl std::fmt::Debug for Open {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Open({})", self.addr)
    }
}

impl Tunnel for SshTunnel {
    fn local_addr(&self) -> BoxFuture<'_, Result<SocketAddr, TunnelError>> {
        Box::pin(async move {
            let mut open = self.open.lock().await;
            if let Some(o) = open.as_ref()
                && !o.session.is_closed()
            {
                return Ok(o.addr);
            }
            let (target, host, port) = (self.target.clone(), self.db_host.clone(), self.db_port);
            let o = runtime()
                .spawn(async move { start(target, host, port).await })
                .await
                .map_err(|e| TunnelError::from(format!("the SSH tunnel task failed: {e}")))??;
            let addr = o.addr;
            *open = Some(o);
            Ok(addr)
        })
    }
}

fn home() -> Option<PathBuf> {
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
}

fn known_hosts() -> Option<PathBuf> {
    home().map(|h| h.join(".ssh/known_hosts"))
}

/// OpenSSH's spelling of a host in known_hosts and messages.
fn host_label(host: &str, port: u16) -> String {
    if port == 22 {
        host.to_string()
    } else {
        format!("[{host}]:{port}")
    }
}

/// Checks the bastion's key; remembers why it refused one.
struct HostKeys {
    host: String,
    port: u16,
    accept_new: bool,
    refusal: Arc<Mutex<Option<TunnelError>>>,
}

impl HostKeys {
    fn check(&self, key: &PublicKey) -> Result<(), TunnelError> {
        let fp = key.fingerprint(HashAlg::Sha256);
        let label = host_label(&self.host, self.port);
        let path = known_hosts().ok_or("no home directory for ~/.ssh/known_hosts")?;
        let recorded = if path.exists() {
            russh::keys::known_hosts::known_host_keys_path(&self.host, self.port, &path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?
        } else {
            vec![]
        };
        if recorded.iter().any(|(_, k)| k == key) {
            return Ok(());
        }
        if let Some((line, _)) = recorded.first() {
            return Err(TunnelError {
                kind: TunnelErrorKind::HostKey,
                message: format!(
                    "the host key of {label} has CHANGED: it now presents {} {fp}, but {} line {line} records another — someone may be intercepting the connection; refused",
                    key.algorithm(),
                    path.display()
                ),
            });
        }
        if !self.accept_new {
            return Err(TunnelError {
                kind: TunnelErrorKind::HostKey,
                message: format!(
                    "the host key of {label} is not known: {} {fp}; refused. If that fingerprint is the bastion's, run again with --ssh-accept-new (it is then added to {}), or connect once with ssh",
                    key.algorithm(),
                    path.display()
                ),
            });
        }
        russh::keys::known_hosts::learn_known_hosts_path(&self.host, self.port, key, &path)
            .map_err(|e| format!("cannot add the host key to {}: {e}", path.display()))?;
        tracing::info!("added {label} ({fp}) to {}", path.display());
        eprintln!(
            "Warning: permanently added {label} ({} {fp}) to the list of known hosts.",
            key.algorithm()
        );
        Ok(())
    }
}

impl client::Handler for HostKeys {
    type Error = russh::Error;

    async fn check_server_key(&mut self, key: &PublicKey) -> Result<bool, Self::Error> {
        match self.check(key) {
            Ok(()) => Ok(true),
            Err(why) => {
                if let Ok(mut r) = self.refusal.lock() {
                    *r = Some(why);
                }
                Ok(false)
            }
        }
    }
}

/// Reads a private key; an encrypted one asks for its passphrase on the
/// terminal when there is one.
fn load_key(path: &std::path::Path) -> Result<russh::keys::PrivateKey, String> {
    match russh::keys::load_secret_key(path, None) {
        Ok(k) => Ok(k),
        Err(russh::keys::Error::KeyIsEncrypted) => {
            let tty = std::fs::File::open("/dev/tty").is_ok();
            if !tty {
                return Err(format!(
                    "{} is encrypted and there is no terminal to ask its passphrase on: load it into ssh-agent (ssh-add {}) instead",
                    path.display(),
                    path.display()
                ));
            }
            let pass = rpassword::prompt_password(format!("Passphrase for {}: ", path.display()))
                .map_err(|e| format!("could not read the passphrase: {e}"))?;
            russh::keys::load_secret_key(path, Some(&pass))
                .map_err(|e| format!("cannot use {}: {e}", path.display()))
        }
        Err(e) => Err(format!("cannot read the key {}: {e}", path.display())),
    }
}

async fn authenticate(
    session: &mut client::Handle<HostKeys>,
    user: &str,
    key_file: Option<&std::path::Path>,
) -> Result<(), String> {
    let rsa_hash = session
        .best_supported_rsa_hash()
        .await
        .ok()
        .flatten()
        .flatten();
    let mut tried = vec![];
    let by_file = |path: &std::path::Path| {
        let path = path.to_path_buf();
        async move {
            let key = tokio::task::spawn_blocking({
                let p = path.clone();
                move || load_key(&p)
            })
            .await
            .map_err(|e| e.to_string())??;
            Ok::<_, String>((path, key))
        }
    };
    if let Some(path) = key_file {
        let (path, key) = by_file(path).await?;
        let ok = session
            .authenticate_publickey(user, PrivateKeyWithHashAlg::new(Arc::new(key), rsa_hash))
            .await
            .map_err(|e| format!("SSH authentication: {e}"))?;
        if ok.success() {
            return Ok(());
        }
        return Err(format!(
            "the bastion refused the key {} for user {user}",
            path.display()
        ));
    }
    // The agent's keys, then the default files (as ssh).
    if std::env::var_os("SSH_AUTH_SOCK").is_some()
        && let Ok(mut agent) = russh::keys::agent::client::AgentClient::connect_env().await
    {
        let ids = agent.request_identities().await.unwrap_or_default();
        for id in ids {
            let russh::keys::agent::AgentIdentity::PublicKey { key, comment } = id else {
                continue;
            };
            tried.push(format!("agent key {comment}"));
            let r = session
                .authenticate_publickey_with(user, key, rsa_hash, &mut agent)
                .await;
            if r.is_ok_and(|a| a.success()) {
                return Ok(());
            }
        }
    }
    if let Some(h) = home() {
        for name in ["id_ed25519", "id_ecdsa", "id_rsa"] {
            let path = h.join(".ssh").join(name);
            if !path.exists() {
                continue;
            }
            tried.push(path.display().to_string());
            let Ok((_, key)) = by_file(&path).await else {
                continue;
            };
            let r = session
                .authenticate_publickey(user, PrivateKeyWithHashAlg::new(Arc::new(key), rsa_hash))
                .await;
            if r.is_ok_and(|a| a.success()) {
                return Ok(());
            }
        }
    }
    if tried.is_empty() {
        return Err(format!(
            "no SSH key to offer for user {user}: give --ssh-key FILE, start ssh-agent, or create ~/.ssh/id_ed25519"
        ));
    }
    Err(format!(
        "the bastion refused every key for user {user} (tried {})",
        tried.join(", ")
    ))
}

/// Connects to the bastion, authenticates, and starts the local listener.
async fn start(target: SshTarget, db_host: String, db_port: u16) -> Result<Open, TunnelError> {
    let user = target
        .user
        .clone()
        .or_else(|| std::env::var("USER").ok().filter(|u| !u.is_empty()))
        .unwrap_or_else(|| "root".into());
    let refusal = Arc::new(Mutex::new(None));
    let handler = HostKeys {
        host: target.host.clone(),
        port: target.port,
        accept_new: target.accept_new,
        refusal: refusal.clone(),
    };
    let config = Arc::new(client::Config {
        keepalive_interval: Some(std::time::Duration::from_secs(30)),
        nodelay: true,
        ..Default::default()
    });
    let label = host_label(&target.host, target.port);
    let connect = client::connect(config, (target.host.as_str(), target.port), handler);
    let mut session = match tokio::time::timeout(std::time::Duration::from_secs(20), connect).await
    {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => {
            let why = refusal.lock().ok().and_then(|mut r| r.take());
            return Err(
                why.unwrap_or_else(|| format!("cannot reach the bastion {label}: {e}").into())
            );
        }
        Err(_) => return Err(format!("the bastion {label} did not answer within 20 s").into()),
    };
    authenticate(&mut session, &user, target.key.as_deref()).await?;
    let session = Arc::new(session);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| format!("cannot listen on 127.0.0.1: {e}"))?;
    let addr = listener
        .local_addr()
        .map_err(|e| format!("cannot listen on 127.0.0.1: {e}"))?;
    let s = session.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, peer)) = listener.accept().await else {
                break;
            };
            if s.is_closed() {
                break;
            }
            let s = s.clone();
            let (host, port) = (db_host.clone(), db_port);
            tokio::spawn(async move {
                match s
                    .channel_open_direct_tcpip(
                        host.clone(),
                        port.into(),
                        "127.0.0.1",
                        peer.port().into(),
                    )
                    .await
                {
                    Ok(ch) => {
                        let mut stream = ch.into_stream();
                        let _ = tokio::io::copy_bidirectional(&mut sock, &mut stream).await;
                    }
                    Err(e) => {
                        tracing::warn!("the bastion would not forward to {host}:{port}: {e}");
                    }
                }
            });
        }
    });
    tracing::debug!("SSH tunnel {label} → {}:{} on {addr}", "db", db_port);
    Ok(Open { addr, session })
}
