//! `rdsql shell [CONN]` (and plain `rdsql CONN`): the interactive shell.

use super::catalog;
use super::complete::{Names, ShellHelper, catalog_sql};
use crate::cli::{ConnArgs, Format};
use crate::connect;
use crate::output::pager::PagerWriter;
use crate::output::{self, Status, TableOptions};
use crate::report::Failure;
use rdsql_db::txn::{Txn, leading_words};
use rdsql_db::{Connection, ConnectionSpec, Engine, PasswordProvider, QueryError, ResultSink};
use rustyline::error::ReadlineError;
use rustyline::history::{FileHistory, History};
use rustyline::{CompletionType, Config, Editor};
use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Expanded {
    Off,
    On,
    Auto,
}

struct Shell {
    spec: ConnectionSpec,
    provider: Arc<dyn PasswordProvider>,
    conn: Option<Connection>,
    engine: Engine,
    format: Format,
    expanded: Expanded,
    timing: bool,
    out_file: Option<PathBuf>,
    txn: Txn,
    /// Session state a reconnect would lose (SET, USE, \c, temporary
    /// tables…), in the user's words; see docs/sessions.md.
    state: Vec<String>,
    label: String,
}

/// Collects small results (for `\conninfo`).
#[derive(Default)]
struct Capture {
    columns: Vec<String>,
    rows: Vec<Vec<Option<String>>>,
}

impl Capture {
    /// Plays the captured result into `sink`.
    fn replay(&self, sink: &mut dyn ResultSink) -> std::io::Result<()> {
        sink.begin_result(&self.columns)?;
        for r in &self.rows {
            let v: Vec<Option<&[u8]>> = r.iter().map(|x| x.as_deref().map(str::as_bytes)).collect();
            sink.row(&v)?;
        }
        sink.end_result(self.rows.len() as u64)
    }
}

impl ResultSink for Capture {
    fn begin_result(&mut self, c: &[String]) -> std::io::Result<()> {
        self.columns = c.to_vec();
        Ok(())
    }
    fn row(&mut self, v: &[Option<&[u8]>]) -> std::io::Result<()> {
        self.rows.push(
            v.iter()
                .map(|x| x.map(|b| String::from_utf8_lossy(b).into_owned()))
                .collect(),
        );
        Ok(())
    }
    fn end_result(&mut self, _: u64) -> std::io::Result<()> {
        Ok(())
    }
    fn command_complete(&mut self, _: u64) -> std::io::Result<()> {
        Ok(())
    }
}

fn terminal_size() -> (usize, usize) {
    // SAFETY: TIOCGWINSZ fills a winsize struct we own.
    unsafe {
        let mut ws: libc::winsize = std::mem::zeroed();
        if libc::ioctl(libc::STDOUT_FILENO, libc::TIOCGWINSZ, &mut ws) == 0 && ws.ws_col > 0 {
            return (ws.ws_col as usize, ws.ws_row as usize);
        }
    }
    let env = |k: &str, d: usize| {
        std::env::var(k)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(d)
    };
    (env("COLUMNS", 100), env("LINES", 40))
}

/// Lines that may carry a secret never reach the history file (the rule
/// the UI's history follows too).
fn sensitive(line: &str) -> bool {
    rdsql_db::sensitive::may_hold_secret(line)
}

const HELP: &str = "\
General
  \\q                     quit (or Ctrl-D)
  \\?                     this help
  \\conninfo              connection, TLS, server and IAM token details
Catalog (every engine)
  \\l                     list databases
  \\dn                    list schemas
  \\dt [PATTERN]          list tables (* and ? wildcards)
  \\d NAME                columns, indexes and constraints of a table
  \\c DB                  connect to another database
Output
  \\x [on|off|auto]       expanded rows
  \\format table|csv|tsv|json|ndjson|markdown|html
  \\timing [on|off]       show how long each statement took
  \\o [FILE]              send results to FILE (no FILE: back to the screen)
Input
  \\i FILE                run the statements in FILE
  Tab                    complete keywords, table/column names, commands, file names
Statements end with ';'. Ctrl-C cancels a running statement, or clears the line.";

impl Shell {
    fn prompt(&self, continuation: bool) -> String {
        if continuation {
            return format!("{}-> ", " ".repeat(self.label.chars().count()));
        }
        let t = match self.txn {
            Txn::Idle => "",
            Txn::Open => "*",
            Txn::Failed => "!",
        };
        format!("{}={t}> ", self.label)
    }

    fn sink<'a>(&self, out: Box<dyn Write + 'a>) -> Box<dyn ResultSink + 'a> {
        let (cols, _) = terminal_size();
        let table = TableOptions {
            expanded: self.expanded == Expanded::On,
            expanded_auto: self.expanded == Expanded::Auto,
            max_width: Some(cols),
            ..TableOptions::default()
        };
        output::sink_with(self.format, out, Status { quiet: false }, table)
    }

    fn writer(&self) -> Result<Box<dyn Write>, String> {
        match &self.out_file {
            Some(p) => std::fs::OpenOptions::new()
                .append(true)
                .create(true)
                .open(p)
                .map(|f| Box::new(std::io::BufWriter::new(f)) as Box<dyn Write>)
                .map_err(|e| format!("cannot write {}: {e}", p.display())),
            None => {
                let (_, rows) = terminal_size();
                Ok(Box::new(PagerWriter::new(rows.saturating_sub(2).max(5))))
            }
        }
    }

    /// Reconnects when the connection is gone; says so. Returns whether the
    /// pending statement may run: not when the lost session had an open
    /// transaction or changed state, which the new session lacks (the user
    /// decides what to run next). docs/sessions.md.
    async fn ensure_connected(&mut self) -> bool {
        let alive = match self.conn.as_mut() {
            Some(c) => {
                // Let the driver notice a closed socket before asking it.
                tokio::time::sleep(Duration::from_millis(5)).await;
                c.alive().await
            }
            None => false,
        };
        if alive {
            return true;
        }
        if let Some(old) = self.conn.take() {
            drop(old);
        }
        // A fresh token for the new physical connection; the database the
        // session was last in (\c, USE) is part of self.spec.
        self.provider.invalidate();
        match Connection::connect(&self.spec, self.provider.as_ref()).await {
            Ok(c) => {
                self.conn = Some(c);
                let mut lost = vec![];
                match self.txn {
                    Txn::Idle => {}
                    Txn::Open => {
                        lost.push("the open transaction was rolled back by the server".to_string())
                    }
                    Txn::Failed => lost
                        .push("the failed transaction was rolled back by the server".to_string()),
                }
                if !self.state.is_empty() {
                    lost.push(format!("session state is gone: {}", self.state.join(", ")));
                }
                self.txn = Txn::Idle;
                self.state.clear();
                if lost.is_empty() {
                    eprintln!("The connection was lost; reconnected to {}.", self.label);
                    return true;
                }
                eprintln!("The connection was lost; reconnected to {}.", self.label);
                for l in lost {
                    eprintln!("  {l}");
                }
                eprintln!(
                    "The statement was not run: check the data, then run what you still want."
                );
                false
            }
            Err(e) => {
                eprint!(
                    "{}",
                    Failure::connect(e, Some(self.provider.describe())).render()
                );
                false
            }
        }
    }

    /// Runs SQL with Ctrl-C cancelling it; prints results and errors.
    async fn execute(&mut self, sql: &str) {
        // Statement by statement, so the transaction and session state
        // follow exactly what ran (a failure stops the batch there).
        // SQLite parses its own statement boundaries.
        let stmts: Vec<&str> = if self.engine == Engine::Sqlite {
            vec![sql]
        } else {
            rdsql_db::split::split_statements(sql, self.engine)
        };
        self.run_statements(&stmts).await;
    }

    /// `\i FILE`: statement by statement as the file is read (flat memory
    /// on any size); the first failure or lost connection stops it.
    async fn include(&mut self, path: &str) {
        let file = match std::fs::File::open(path) {
            Ok(f) => f,
            Err(err) => return eprintln!("error: cannot read {path}: {err}"),
        };
        let mut reader = rdsql_db::split::StatementReader::new(
            std::io::BufReader::with_capacity(256 * 1024, file),
            self.engine,
        );
        loop {
            match reader.next_statement() {
                Ok(Some(stmt)) => {
                    if !self.run_statements(&[&stmt]).await {
                        eprintln!("\\i {path}: stopped; the rest of the file was not run.");
                        return;
                    }
                }
                Ok(None) => return,
                Err(e) => {
                    return eprintln!(
                        "error: cannot read {path}: {e}; the rest of the file was not run."
                    );
                }
            }
        }
    }

    /// Runs statements in order; false when one failed, the connection was
    /// lost, or the session could not be (safely) restored.
    async fn run_statements(&mut self, stmts: &[&str]) -> bool {
        if !self.ensure_connected().await {
            return false;
        }
        let out = match self.writer() {
            Ok(o) => o,
            Err(e) => {
                eprintln!("error: {e}");
                return false;
            }
        };
        let mut sink = self.sink(out);
        let started = Instant::now();
        let mut all_ok = true;
        let needs_types = self.format.needs_types();
        for &stmt in stmts {
            let conn = self.conn.as_mut().expect("connected");
            conn.set_describe(needs_types);
            let canceller = conn.canceller();
            let result = {
                let fut = conn.run_statement(stmt, sink.as_mut());
                tokio::pin!(fut);
                loop {
                    tokio::select! {
                        r = &mut fut => break r,
                        _ = tokio::signal::ctrl_c() => {
                            eprintln!("Cancel request sent.");
                            if let Err(e) = canceller.cancel(&self.spec, self.provider.as_ref()).await {
                                eprintln!("could not cancel: {e}");
                            }
                        }
                    }
                }
            };
            match result {
                Ok(()) => self.track_txn(stmt, true),
                Err(QueryError::ConnectionLost(m)) => {
                    self.conn = None;
                    // Whatever it was, it may have changed the session.
                    self.track_txn(stmt, true);
                    eprintln!("error: the connection to the server was lost: {m}");
                    eprintln!(
                        "The statement may or may not have run; it was not replayed. The next statement reconnects."
                    );
                    all_ok = false;
                    break;
                }
                Err(e) => {
                    eprint!("{}", Failure::query(e).render());
                    self.track_txn(stmt, false);
                    all_ok = false;
                    break;
                }
            }
        }
        drop(sink);
        let elapsed = started.elapsed();
        if self.timing {
            eprintln!("Time: {:.3} ms", elapsed.as_secs_f64() * 1000.0);
        }
        all_ok
    }

    /// Follows BEGIN/COMMIT/ROLLBACK for the prompt and the reconnect rule
    /// (docs/sessions.md); `sql` may hold several statements (SQLite).
    fn track_txn(&mut self, sql: &str, ok: bool) {
        for stmt in rdsql_db::split::split_statements(sql, self.engine) {
            self.txn = self.txn.after(stmt, self.engine, ok);
            if ok {
                self.track_state(stmt);
            }
        }
    }

    /// Notes statements whose effect lives in the session only, and
    /// follows `USE` so a reconnect lands in the same database.
    fn track_state(&mut self, stmt: &str) {
        let words = leading_words(stmt, self.engine, 4);
        let w = |i: usize| words.get(i).map(String::as_str).unwrap_or("");
        let note = match (w(0), w(1)) {
            ("set", "transaction") | ("set", "local") => None,
            ("set", "role") => Some("SET ROLE".to_string()),
            ("set", "session") if w(2) == "authorization" => {
                Some("SET SESSION AUTHORIZATION".to_string())
            }
            ("set", _) => Some(format!("SET {}", w(1).trim_end_matches(['=', ';']))),
            ("use", db) => {
                let db = db.trim_matches(['`', ';', '"']).to_string();
                if let ConnectionSpec::Server(s) = &mut self.spec {
                    s.dbname = Some(db.clone());
                }
                self.label = label(&self.spec);
                Some(format!("USE {db}"))
            }
            ("create", "temp" | "temporary") | ("create", "global" | "local")
                if words.iter().any(|x| x.starts_with("temp")) =>
            {
                Some("temporary tables".to_string())
            }
            ("prepare", _) => Some("prepared statements".to_string()),
            ("listen", _) => Some("LISTEN".to_string()),
            ("lock", _) if self.engine.is_mysql_family() => Some("table locks".to_string()),
            _ => None,
        };
        if let Some(n) = note
            && !self.state.contains(&n)
        {
            self.state.push(n);
        }
    }

    async fn capture(&mut self, sql: &str) -> Option<Vec<Vec<Option<String>>>> {
        let conn = self.conn.as_mut()?;
        let mut cap = Capture::default();
        conn.run(sql, &mut cap).await.ok()?;
        Some(cap.rows)
    }

    async fn conninfo(&mut self) {
        if !self.ensure_connected().await {
            return;
        }
        let db = self.capture(catalog::current_db(self.engine)).await;
        let db = db
            .and_then(|r| r.into_iter().next())
            .and_then(|r| r.into_iter().next().flatten())
            .unwrap_or_default();
        let tls = match catalog::tls_info(self.engine) {
            Some(q) => self
                .capture(&q)
                .await
                .and_then(|r| r.into_iter().next())
                .map(|r| {
                    let v: Vec<String> =
                        r.into_iter().flatten().filter(|s| !s.is_empty()).collect();
                    if v.is_empty() {
                        "none (unencrypted)".to_string()
                    } else {
                        v.join(" ")
                    }
                }),
            None => None,
        };
        let info = self
            .conn
            .as_ref()
            .map(|c| c.session_info())
            .unwrap_or_default();
        match &self.spec {
            ConnectionSpec::Server(s) => {
                println!(
                    "Connected to {} database {db:?} as user {:?} on {} (sslmode {}).",
                    s.engine,
                    s.user,
                    s.host_port(),
                    s.sslmode
                );
                println!("  auth:    {} ({})", s.auth, self.provider.describe());
                println!("  TLS:     {}", tls.unwrap_or_else(|| "unknown".into()));
            }
            ConnectionSpec::Sqlite { path } => println!("Connected to SQLite database {path:?}."),
        }
        if let Some(v) = info.server_version {
            println!("  server:  {v}");
        }
        if let Some(at) = self.provider.token_issued_at() {
            let age = SystemTime::now()
                .duration_since(at)
                .unwrap_or_default()
                .as_secs();
            println!(
                "  IAM token age: {age} s (valid for 900 s from signing; a new connection gets a new token)"
            );
        }
    }

    /// Handles a backslash command; returns false to quit.
    async fn meta(&mut self, line: &str) -> bool {
        let mut parts = line.trim().splitn(2, char::is_whitespace);
        let cmd = parts.next().unwrap_or("");
        let arg = parts.next().map(str::trim).filter(|a| !a.is_empty());
        let e = self.engine;
        match cmd {
            "\\q" | "\\quit" => return false,
            "\\?" | "\\help" => println!("{HELP}"),
            "\\l" | "\\list" => self.execute(&catalog::databases(e)).await,
            "\\dn" => self.execute(&catalog::schemas(e)).await,
            "\\dt" => self.execute(&catalog::tables(e, arg)).await,
            "\\d" => match arg {
                None => self.execute(&catalog::tables(e, None)).await,
                Some(name) => self.describe(name).await,
            },
            "\\c" | "\\connect" => self.switch_db(arg).await,
            "\\x" => {
                self.expanded = match arg {
                    Some("on") => Expanded::On,
                    Some("off") => Expanded::Off,
                    Some("auto") => Expanded::Auto,
                    None if self.expanded == Expanded::Off => Expanded::On,
                    None => Expanded::Off,
                    Some(other) => {
                        eprintln!("error: \\x takes on, off or auto, not {other:?}");
                        return true;
                    }
                };
                let s = match self.expanded {
                    Expanded::On => "on",
                    Expanded::Off => "off",
                    Expanded::Auto => "auto",
                };
                println!("Expanded display is {s}.");
            }
            "\\timing" => {
                self.timing = match arg {
                    Some("on") => true,
                    Some("off") => false,
                    _ => !self.timing,
                };
                println!("Timing is {}.", if self.timing { "on" } else { "off" });
            }
            "\\format" => match arg.map(|a| <Format as clap::ValueEnum>::from_str(a, true)) {
                Some(Ok(f)) => {
                    self.format = f;
                    println!("Output format is {}.", arg.unwrap_or_default());
                }
                _ => eprintln!(
                    "error: \\format takes table, csv, tsv, json, ndjson, markdown or html"
                ),
            },
            "\\o" | "\\out" => match arg {
                Some(f) => match std::fs::File::create(f) {
                    Ok(_) => self.out_file = Some(PathBuf::from(f)),
                    Err(err) => eprintln!("error: cannot write {f}: {err}"),
                },
                None => self.out_file = None,
            },
            "\\i" | "\\include" => match arg {
                Some(f) => self.include(f).await,
                None => eprintln!("error: \\i needs a file name"),
            },
            "\\conninfo" => self.conninfo().await,
            other => eprintln!("error: invalid command {other}; try \\? for the list of commands"),
        }
        true
    }

    async fn describe(&mut self, name: &str) {
        if !self.ensure_connected().await {
            return;
        }
        for (i, (title, sql)) in catalog::describe(self.engine, name).into_iter().enumerate() {
            let conn = self.conn.as_mut().expect("connected");
            let mut cap = Capture::default();
            if let Err(e) = conn.run(&sql, &mut cap).await {
                eprint!("{}", Failure::query(e).render());
                return;
            }
            // Columns come first: none means no such table.
            if i == 0 && cap.rows.is_empty() {
                eprintln!("Did not find any relation named {name:?}.");
                return;
            }
            let out = match self.writer() {
                Ok(o) => o,
                Err(e) => return eprintln!("error: {e}"),
            };
            if i == 0 {
                println!("{title} of {name}:");
            } else {
                println!("{title}:");
            }
            let mut sink = self.sink(out);
            if let Err(e) = cap.replay(sink.as_mut()) {
                eprintln!("error: could not write output: {e}");
                return;
            }
        }
    }

    async fn switch_db(&mut self, db: Option<&str>) {
        let Some(db) = db else {
            return eprintln!("error: \\c needs a database name");
        };
        match (&self.spec, self.engine) {
            (_, Engine::Sqlite) => eprintln!(
                "error: SQLite has one database per file; start rdsql shell sqlite:OTHER.db"
            ),
            (ConnectionSpec::Server(s), _) => {
                let mut s = s.clone();
                s.dbname = Some(db.to_string());
                let spec = ConnectionSpec::Server(s.clone());
                match Connection::connect(&spec, self.provider.as_ref()).await {
                    Ok(c) => {
                        if let Some(old) = self.conn.replace(c) {
                            old.close().await;
                        }
                        self.spec = spec;
                        self.txn = Txn::Idle;
                        // A new session: what the old one held is gone,
                        // and a reconnect returns to this database.
                        self.state = vec![format!("\\c {db}")];
                        self.label = label(&self.spec);
                        println!(
                            "You are now connected to database {db:?} as user {:?}.",
                            s.user
                        );
                    }
                    Err(e) => eprint!(
                        "{}",
                        Failure::connect(e, Some(self.provider.describe())).render()
                    ),
                }
            }
            _ => {}
        }
    }
}

fn label(spec: &ConnectionSpec) -> String {
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
fn history_path(args: &ConnArgs, spec: &ConnectionSpec) -> Option<PathBuf> {
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
    let (conn, provider) = connect::open_session(&spec).await?;
    // From here on SIGINT cancels statements instead of killing the shell.
    let mut sigint = Box::pin(tokio::signal::ctrl_c());
    let _ = futures_poll_once(&mut sigint).await;
    let engine = spec.engine();
    let mut sh = Shell {
        label: label(&spec),
        spec,
        provider,
        conn: Some(conn),
        engine,
        format: Format::Table,
        expanded: Expanded::Off,
        timing: false,
        out_file: None,
        txn: Txn::Idle,
        state: vec![],
    };
    let config = Config::builder()
        .auto_add_history(false)
        .completion_type(CompletionType::List)
        .max_history_size(5000)
        .map_err(|e| Failure::local(e.to_string(), vec![]))?
        .build();
    let mut rl: Editor<ShellHelper, FileHistory> = Editor::with_config(config)
        .map_err(|e| Failure::local(format!("cannot start line editing: {e}"), vec![]))?;
    // Completion names: read before the first prompt, again after DDL.
    let names = Arc::new(Mutex::new(Names {
        words: vec![],
        stale: true,
    }));
    rl.set_helper(Some(ShellHelper::new(names.clone())));
    let hist = history_path(&args, &sh.spec);
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
                .capture(catalog_sql(sh.engine))
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
                let trimmed = line.trim();
                if buf.is_empty() && trimmed.starts_with('\\') {
                    remember(&mut rl, &hist, trimmed);
                    if !sh.meta(trimmed).await {
                        break;
                    }
                    // \c may land in another database.
                    if (trimmed.starts_with("\\c ") || trimmed == "\\c")
                        && let Ok(mut n) = names.lock()
                    {
                        n.stale = true;
                    }
                    continue;
                }
                if buf.is_empty() && trimmed.is_empty() {
                    continue;
                }
                if !buf.is_empty() {
                    buf.push('\n');
                }
                buf.push_str(&line);
                if rdsql_db::split::is_complete(&buf, sh.engine) {
                    let sql = std::mem::take(&mut buf);
                    remember(&mut rl, &hist, &sql);
                    sh.execute(&sql).await;
                    // DDL changes the names completion offers.
                    let ddl = rdsql_db::split::split_statements(&sql, sh.engine)
                        .iter()
                        .any(|st| {
                            matches!(
                                rdsql_db::txn::leading_words(st, sh.engine, 1)
                                    .first()
                                    .map(String::as_str),
                                Some("create" | "alter" | "drop" | "rename" | "use")
                            )
                        });
                    if ddl && let Ok(mut n) = names.lock() {
                        n.stale = true;
                    }
                }
            }
            // Idle Ctrl-C: drop the line being typed.
            Err(ReadlineError::Interrupted) => buf.clear(),
            Err(ReadlineError::Eof) => break,
            Err(e) => return Err(Failure::local(format!("cannot read input: {e}"), vec![])),
        }
    }
    if let Some(c) = sh.conn.take() {
        c.close().await;
    }
    Ok(())
}

/// Registers the SIGINT handler now (the future registers on first poll).
async fn futures_poll_once<F: std::future::Future + Unpin>(f: &mut F) -> Option<F::Output> {
    tokio::select! {
        biased;
        r = f => Some(r),
        _ = std::future::ready(()) => None,
    }
}

fn remember(rl: &mut Editor<ShellHelper, FileHistory>, hist: &Option<PathBuf>, entry: &str) {
    if sensitive(entry) {
        return;
    }
    let _ = rl.history_mut().add(entry);
    if let Some(h) = hist {
        let _ = rl.save_history(h);
    }
}
