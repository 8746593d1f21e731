//! `rdsql ui`: serves the local web app until Ctrl-C or SIGTERM.

use crate::cli::UiArgs;
use crate::report::Failure;
use std::io::Write;

pub async fn run(args: UiArgs) -> Result<(), Failure> {
    let listener = tokio::net::TcpListener::bind((args.address, args.port.unwrap_or(0)))
        .await
        .map_err(|e| {
            Failure::local(
                format!("cannot listen on {}:{}: {e}", args.address, args.port.unwrap_or(0)),
                vec!["another program uses the port: pick another with --port, or leave it out for a free one".into()],
            )
        })?;
    let addr = listener
        .local_addr()
        .map_err(|e| Failure::local(format!("cannot read the listening address: {e}"), vec![]))?;
    if !addr.ip().is_loopback() {
        eprintln!(
            "warning: listening on {addr}: anyone who can reach it and learns the token can use your database connections and saved secrets"
        );
    }
    // The address a browser can open and the server's Host allow-list
    // accepts: loopback for loopback and "any" binds.
    let host = match addr.ip() {
        std::net::IpAddr::V4(ip) if ip.is_loopback() || ip.is_unspecified() => {
            "127.0.0.1".to_string()
        }
        std::net::IpAddr::V6(ip) if ip.is_loopback() || ip.is_unspecified() => "[::1]".to_string(),
        std::net::IpAddr::V4(ip) => ip.to_string(),
        std::net::IpAddr::V6(ip) => format!("[{ip}]"),
    };
    let token = rdsql_ui::new_token();
    let url = format!("http://{host}:{}/?token={token}", addr.port());
    {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "rdsql ui: {url}");
        let _ = out.flush();
    }
    // The browser gets a 0600 file that redirects to the URL, so the token
    // never shows in a process's arguments (docs/ui.md, "Opening").
    let redirect = redirect_file(&url)?;
    if !args.no_browser && !rdsql_connect::browser::open(&format!("file://{}", redirect.display()))
    {
        eprintln!("Open the address above in your browser.");
    }
    eprintln!("Serving until Ctrl-C.");
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .map_err(|e| Failure::local(format!("cannot handle SIGTERM: {e}"), vec![]))?;
    let shutdown = async move {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
        eprintln!("Stopping (a second Ctrl-C stops at once)…");
        // A second signal does not wait for running statements.
        tokio::spawn(async {
            let _ = tokio::signal::ctrl_c().await;
            std::process::exit(130);
        });
    };
    let served = rdsql_ui::serve(
        listener,
        rdsql_ui::Options {
            token,
            open_browser: true,
        },
        shutdown,
    )
    .await;
    let _ = std::fs::remove_file(&redirect);
    if let Some(d) = redirect.parent() {
        let _ = std::fs::remove_dir(d);
    }
    eprintln!("rdsql ui stopped; database sessions closed.");
    served.map_err(|e| Failure::local(format!("the web server failed: {e}"), vec![]))
}

/// A 0600 page that forwards to `url`, in a directory of its own that this
/// process creates (0700, a random name; an existing one is refused, so no
/// other user can have prepared it).
fn redirect_file(url: &str) -> Result<std::path::PathBuf, Failure> {
    use std::os::unix::fs::DirBuilderExt;
    let base = std::env::var_os("XDG_RUNTIME_DIR")
        .map(std::path::PathBuf::from)
        .filter(|p| p.is_dir())
        .unwrap_or_else(std::env::temp_dir);
    let dir = base.join(format!("rdsql-ui-{}", &rdsql_ui::new_token()[..16]));
    let fail = |e: std::io::Error, p: &std::path::Path| {
        Failure::local(
            format!("cannot write {}: {e}", p.display()),
            vec!["check that the temporary directory is writable".into()],
        )
    };
    std::fs::DirBuilder::new()
        .mode(0o700)
        .create(&dir)
        .map_err(|e| fail(e, &dir))?;
    let path = dir.join("open.html");
    let html = format!(
        "<!doctype html><meta charset=\"utf-8\"><meta http-equiv=\"refresh\" content=\"0;url={url}\"><title>rdsql</title><p><a href=\"{url}\">Open rdsql</a></p>\n"
    );
    rdsql_fs::write_atomic(&path, html.as_bytes(), rdsql_fs::PRIVATE)
        .map_err(|e| fail(e, &path))?;
    Ok(path)
}
