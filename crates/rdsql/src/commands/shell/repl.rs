//! The read-eval-print loop: line editing, history (0600), where a
//! meta-command starts, and when a statement is complete.

use super::*;

pub(super) fn label(spec: &ConnectionSpec) -> String {
    match spec {
        ConnectionSpec::Server(s) => format!(
            "{}@{}/{}",
            s.user,
            s.host,
            s.dbname.as_deref().unwrap_or("")
        ),
        ConnectionSpec::Sqlite { path } => format!("sqlite:{path}"),
    }
}

/// The history file for this connection, created 0600.
pub(super) fn history_path(args: &ConnArgs, spec: &ConnectionSpec) -> Option<PathBuf> {
    let dir = rdsql_config::paths::data_dir()?.join("history");
    std::fs::create_dir_all(&dir).ok()?;
    let key = match (&args.conn, spec) {
        (Some(name), _) if !name.contains(':') => name.clone(),
        (_, ConnectionSpec::Server(s)) => format!("{}-{}-{}-{}", s.engine, s.host, s.port, s.user),
        (_, ConnectionSpec::Sqlite { path }) => format!("sqlite-{path}"),
    };
    let safe: String = key
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let path = dir.join(format!("{safe}.history"));
    use std::os::unix::fs::OpenOptionsExt;
    let _ = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(&path);
    use std::os::unix::fs::PermissionsExt;
    let _ = std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600));
    Some(path)
}

pub async fn run(args: ConnArgs) -> Result<(), Failure> {
    let spec = connect::resolve(&args)?;
    let session = connect::open_session(spec).await?;
    // From here on SIGINT cancels statements instead of killing the shell.
    let sigint = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())
        .map_err(|e| Failure::local(format!("cannot handle Ctrl-C: {e}"), vec![]))?;
    let engine = session.engine();
    let mut sh = Shell {
        label: label(session.spec()),
        session,
        engine,
        format: Format::Table,
        expanded: Expanded::Off,
        timing: false,
        out_file: None,
        vars: vars::Vars::default(),
        last_query: String::new(),
        table: TableOptions::default(),
        interrupted: false,
        names: Arc::new(Mutex::new(Names {
            words: vec![],
            stale: true,
        })),
        edited: None,
        sigint,
    };
    sh.set_conn_vars();
    let config = Config::builder()
        .auto_add_history(false)
        .completion_type(CompletionType::List)
        .max_history_size(5000)
        .map_err(|e| Failure::local(e.to_string(), vec![]))?
        .build();
    let mut rl: Editor<ShellHelper, FileHistory> = Editor::with_config(config)
        .map_err(|e| Failure::local(format!("cannot start line editing: {e}"), vec![]))?;
    // Completion names: read before the first prompt, again after DDL.
    let names = sh.names.clone();
    rl.set_helper(Some(ShellHelper::new(names.clone())));
    let hist = history_path(&args, sh.session.spec());
    if let Some(h) = &hist {
        let _ = rl.load_history(h);
    }
    eprintln!(
        "rdsql {} — {}. Type \\? for help, \\q to quit.",
        env!("CARGO_PKG_VERSION"),
        sh.label
    );
    let mut buf = String::new();
    loop {
        if names.lock().map(|n| n.stale).unwrap_or(false) {
            let words: Vec<String> = sh
                .capture(catalog::names(sh.engine))
                .await
                .unwrap_or_default()
                .into_iter()
                .filter_map(|r| r.into_iter().next().flatten())
                .collect();
            if let Ok(mut n) = names.lock() {
                n.words = words;
                n.stale = false;
            }
        }
        let prompt = sh.prompt(!buf.is_empty());
        match rl.readline(&prompt) {
            Ok(line) => {
                // A Ctrl-C left over from the last command is not this
                // one's.
                while let Some(Some(())) = futures_poll_once(&mut Box::pin(sh.sigint.recv())).await
                {
                }
                // A backslash outside quotes and comments starts a
                // meta-command; the text before it joins the buffer.
                let (sql_part, meta_part) = match meta_start(&buf, &line, sh.engine) {
                    Some(p) => (&line[..p], Some(&line[p..])),
                    None => (line.as_str(), None),
                };
                if !sql_part.trim().is_empty() || (meta_part.is_none() && !buf.is_empty()) {
                    if !buf.is_empty() {
                        buf.push('\n');
                    }
                    buf.push_str(sql_part);
                }
                if let Some(meta) = meta_part {
                    let entry = if buf.trim().is_empty() {
                        meta.trim().to_string()
                    } else {
                        format!("{buf} {}", meta.trim())
                    };
                    remember(&mut rl, &hist, &entry);
                    if !sh.meta(meta, &mut buf).await {
                        break;
                    }
                    if let Some(e) = sh.edited.take() {
                        remember(&mut rl, &hist, &e);
                    }
                    continue;
                }
                if buf.trim().is_empty() {
                    buf.clear();
                    continue;
                }
                if rdsql_db::split::is_complete(&buf, sh.engine) {
                    let raw = std::mem::take(&mut buf);
                    remember(&mut rl, &hist, &raw);
                    let sql = sh.vars.interpolate(&raw, sh.engine);
                    sh.last_query = sql.clone();
                    sh.execute(&sql).await;
                }
            }
            // Idle Ctrl-C: drop the line being typed.
            Err(ReadlineError::Interrupted) => buf.clear(),
            Err(ReadlineError::Eof) => break,
            Err(e) => return Err(Failure::local(format!("cannot read input: {e}"), vec![])),
        }
    }
    sh.session.close().await;
    Ok(())
}

/// The output of `f` if it is ready now, without waiting.
pub(super) async fn futures_poll_once<F: std::future::Future + Unpin>(
    f: &mut F,
) -> Option<F::Output> {
    tokio::select! {
        biased;
        r = f => Some(r),
        _ = std::future::ready(()) => None,
    }
}

pub(super) fn remember(
    rl: &mut Editor<ShellHelper, FileHistory>,
    hist: &Option<PathBuf>,
    entry: &str,
) {
    if sensitive(entry) {
        return;
    }
    let _ = rl.history_mut().add(entry);
    if let Some(h) = hist {
        let _ = rl.save_history(h);
    }
}

/// Lines that may carry a secret never reach the history file (the rule
/// the UI's history follows too).
pub(super) fn sensitive(line: &str) -> bool {
    rdsql_db::sensitive::may_hold_secret(line)
}
