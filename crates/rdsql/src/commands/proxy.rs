//! `rdsql proxy CONN…`: checks each connection as the CLI would (sign-in,
//! credentials, TLS, a real login), then listens for plain PostgreSQL
//! clients and relays them upstream (crate rdsql-proxy; docs/proxy.md).

use crate::cli::{ConnArgs, ProxyArgs};
use crate::connect::{self, Terminal};
use crate::report::Failure;
use rdsql_db::{ConnectionSpec, Engine, Protocol};
use rdsql_proxy::{Logger, Shared, Target};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub async fn run(args: ProxyArgs) -> Result<(), Failure> {
    let ip: IpAddr = args.address.parse().map_err(|_| {
        Failure::local(
            format!("--address {:?} is not an IP address", args.address),
            vec!["use 127.0.0.1 (the default), ::1, or an interface's address".into()],
        )
    })?;
    let log = Logger {
        json: args.json_logs,
    };
    let mut targets = vec![];
    for conn in &args.conns {
        let spec = connect::resolve(&ConnArgs {
            conn: Some(conn.clone()),
            fields: vec![],
        })?;
        let ConnectionSpec::Server(server) = &spec else {
            return Err(Failure::local(
                format!("{conn}: a SQLite file needs no proxy"),
                vec!["open it with rdsql, or any SQLite client, directly".into()],
            ));
        };
        // As the CLI: sign in, resolve credentials, reach the server, log
        // in — a misconfiguration fails here, with the usual hints.
        let cache = Arc::new(rdsql_connect::TokenCache::with_reuse(
            rdsql_proxy::TOKEN_REUSE,
        ));
        let (c, provider) =
            rdsql_connect::open_with_cache(&spec, &Terminal, &connect::env, cache.clone()).await?;
        c.close().await;
        targets.push(Arc::new(Target::new(
            rdsql_db::url::redact_url(conn),
            server.clone(),
            provider,
            cache,
        )));
    }
    let shared = Arc::new(Shared::new(targets.clone(), args.max_connections, log));
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    if !ip.is_loopback() {
        eprintln!(
            "rdsql proxy: warning: listening on {ip}: anyone who can reach these ports gets the database access of the connections' identities, without a password"
        );
    }
    // The engine's own port by default, as a local server would have it.
    let base = args
        .port
        .unwrap_or_else(|| targets[0].spec.engine.default_port());
    let mut tasks = vec![];
    let mut sockets = vec![];
    for (i, t) in targets.iter().enumerate() {
        // A CONN may name its own port (`proxy_port`); the rest count up.
        let port = match t.spec.proxy_port {
            Some(p) => p,
            None if base == 0 => 0,
            None => base.saturating_add(i as u16),
        };
        let listener = tokio::net::TcpListener::bind(SocketAddr::new(ip, port))
            .await
            .map_err(|e| {
                Failure::local(
                    format!("cannot listen on {ip}:{port} for {}: {e}", t.name),
                    vec![
                        "another program (a local PostgreSQL?) may use the port: choose another with --port".into(),
                    ],
                )
            })?;
        let addr = listener
            .local_addr()
            .map_err(|e| Failure::local(e.to_string(), vec![]))?;
        println!("rdsql proxy: {} on {addr}", t.name);
        if let Some(dir) = &args.unix_socket {
            let path = unix_socket(dir, addr.port(), server_engine(t))?;
            let ul = tokio::net::UnixListener::bind(&path).map_err(|e| {
                Failure::local(format!("cannot listen on {}: {e}", path.display()), vec![])
            })?;
            println!("rdsql proxy: {} on {}", t.name, path.display());
            sockets.push(path);
            tasks.push(tokio::spawn(rdsql_proxy::serve_unix(
                ul,
                t.clone(),
                shared.clone(),
                stop_rx.clone(),
            )));
        }
        tasks.push(tokio::spawn(rdsql_proxy::serve_tcp(
            listener,
            t.clone(),
            shared.clone(),
            stop_rx.clone(),
        )));
    }
    if let Some(hp) = args.health_port {
        let l = tokio::net::TcpListener::bind(SocketAddr::new(ip, hp))
            .await
            .map_err(|e| {
                Failure::local(
                    format!("cannot listen on {ip}:{hp} for health checks: {e}"),
                    vec![],
                )
            })?;
        println!(
            "rdsql proxy: health checks on http://{}",
            l.local_addr().map(|a| a.to_string()).unwrap_or_default()
        );
        tasks.push(tokio::spawn({
            let (s, r) = (shared.clone(), stop_rx.clone());
            async move {
                let _ = rdsql_proxy::serve_health(l, s, r).await;
            }
        }));
    }
    use std::io::Write;
    let _ = std::io::stdout().flush();
    shared
        .started
        .store(true, std::sync::atomic::Ordering::SeqCst);

    let name = wait_for_signal().await?;
    let _ = stop_tx.send(true);
    let open = shared.open_sessions();
    log.event(
        "stop",
        &format!(
            "{name}: no new clients; waiting up to {} s for {open} open session(s)",
            args.max_sigterm_delay
        ),
        serde_json::json!({ "signal": name, "open": open }),
    );
    let deadline = Instant::now() + Duration::from_secs(args.max_sigterm_delay);
    while shared.open_sessions() > 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for path in &sockets {
        let _ = std::fs::remove_file(path);
    }
    let left = shared.open_sessions();
    log.event(
        "exit",
        &format!("stopped ({left} session(s) closed by the deadline)"),
        serde_json::json!({ "closed_by_deadline": left }),
    );
    Ok(())
}

/// DIR (created 0700, or checked to be private) and the socket path in it:
/// `DIR/.s.PGSQL.PORT` as libpq looks for it, `DIR/mysql.PORT.sock` for MySQL.
fn server_engine(t: &Target) -> Engine {
    t.spec.engine
}

fn unix_socket(
    dir: &std::path::Path,
    port: u16,
    engine: Engine,
) -> Result<std::path::PathBuf, Failure> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    if !dir.exists() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|e| Failure::local(format!("cannot create {}: {e}", dir.display()), vec![]))?;
    }
    let mode = std::fs::metadata(dir)
        .map_err(|e| Failure::local(format!("{}: {e}", dir.display()), vec![]))?
        .permissions()
        .mode();
    if mode & 0o077 != 0 {
        return Err(Failure::local(
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
    let path = match engine.protocol() {
        Protocol::Postgres => dir.join(format!(".s.PGSQL.{port}")),
        Protocol::Mysql => dir.join(format!("mysql.{port}.sock")),
        Protocol::Sqlite => {
            return Err(Failure::local("SQLite has no server to proxy", vec![]));
        }
    };
    // A socket left by an earlier run that did not stop cleanly.
    let _ = std::fs::remove_file(&path);
    Ok(path)
}

async fn wait_for_signal() -> Result<&'static str, Failure> {
    use tokio::signal::unix::{SignalKind, signal};
    let f = |e: std::io::Error| Failure::local(format!("cannot handle signals: {e}"), vec![]);
    let mut int = signal(SignalKind::interrupt()).map_err(f)?;
    let mut term = signal(SignalKind::terminate()).map_err(f)?;
    Ok(tokio::select! {
        _ = int.recv() => "SIGINT",
        _ = term.recv() => "SIGTERM",
    })
}
