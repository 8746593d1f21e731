//! `rdsql proxy CONN…`: checks each connection as the CLI would (sign-in,
//! credentials, TLS, a real login), then listens for plain PostgreSQL
//! clients and relays them upstream (crate rdsql-proxy; docs/proxy.md).

use crate::cli::{ConnArgs, ProxyArgs};
use crate::connect::{self, Terminal};
use crate::report::Failure;
use rdsql_db::ConnectionSpec;
use rdsql_proxy::{Bound, Logger, Proxy, Target};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

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
    if !ip.is_loopback() {
        eprintln!(
            "rdsql proxy: warning: listening on {ip}: anyone who can reach these ports gets the database access of the connections' identities, without a password"
        );
    }
    let config = rdsql_proxy::Config {
        address: ip,
        port: args.port,
        unix_socket: args.unix_socket.clone(),
        health_port: args.health_port,
        max_connections: args.max_connections,
        log,
        dial: None,
        login_timeout: rdsql_proxy::LOGIN_TIMEOUT,
    };
    let mut proxy = Proxy::bind(targets, config)
        .await
        .map_err(|e| Failure::local(e.to_string(), e.hints()))?;
    for b in proxy.bound() {
        match b {
            Bound::Tcp { name, addr } => println!("rdsql proxy: {name} on {addr}"),
            Bound::Unix { name, path } => println!("rdsql proxy: {name} on {}", path.display()),
            Bound::Health { addr } => println!("rdsql proxy: health checks on http://{addr}"),
        }
    }
    use std::io::Write;
    let _ = std::io::stdout().flush();
    proxy.serve();

    let name = wait_for_signal().await?;
    let open = proxy.shared().open_sessions();
    log.event(
        "stop",
        &format!(
            "{name}: no new clients; waiting up to {} s for {open} open session(s)",
            args.max_sigterm_delay
        ),
        serde_json::json!({ "signal": name, "open": open }),
    );
    // A second signal during the drain ends it at once, as in psql.
    let shared = proxy.shared().clone();
    tokio::select! {
        left = proxy.shutdown(Duration::from_secs(args.max_sigterm_delay)) => log.event(
            "exit",
            &format!("stopped ({left} session(s) closed by the deadline)"),
            serde_json::json!({ "closed_by_deadline": left }),
        ),
        again = wait_for_signal() => {
            let again = again?;
            let left = shared.open_sessions();
            log.event(
                "exit",
                &format!("{again} again: stopped now ({left} session(s) closed)"),
                serde_json::json!({ "signal": again, "closed_by_signal": left }),
            );
        }
    }
    Ok(())
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
