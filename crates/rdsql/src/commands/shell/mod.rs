//! `rdsql shell [CONN]` (and plain `rdsql CONN`): the interactive shell.

mod copy;
mod edit;
mod vars;

use super::complete::{Names, ShellHelper};
use crate::cli::{ConnArgs, Format};
use crate::connect;
use crate::output::pager::PagerWriter;
use crate::output::{self, Status, TableOptions};
use crate::report::Failure;
use rdsql_connect::session::{CancelHandle, NotRun, Ready, Session};
use rdsql_db::catalog::{self, Rows};
use rdsql_db::txn::{Txn, leading_words};
use rdsql_db::{ConnectionSpec, Engine, QueryError, ResultSink};
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
    /// The connection with its spec, provider, transaction and session
    /// state; it reconnects by the rule every surface shares.
    session: Session,
    engine: Engine,
    format: Format,
    expanded: Expanded,
    timing: bool,
    out_file: Option<PathBuf>,
    label: String,
    /// `\set` variables, interpolated into statements and meta-commands.
    vars: vars::Vars,
    /// The last statement text run (after interpolation), for `\g`,
    /// `\watch`, `\e` and `\p` with an empty buffer.
    last_query: String,
    /// `\pset` settings (null, tuples only, unaligned, separators).
    table: TableOptions,
    /// Ctrl-C arrived while the last statement ran.
    interrupted: bool,
    /// Completion's catalog names; marked stale after DDL and `\c`.
    names: Arc<Mutex<Names>>,
    /// A statement `\e` ran, for the history.
    edited: Option<String>,
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
Query buffer
  \\g [FILE|'|CMD']       run the buffer (or the last statement); output to FILE or a command
  \\gx [FILE]             as \\g, in expanded display
  \\watch [SECONDS]       run the buffer (or the last statement) every 2 s until Ctrl-C
  \\e [FILE]              edit the buffer (or the last statement, or FILE) in $VISUAL/$EDITOR
  \\p                     show the buffer;  \\r  clear it
Output
  \\x [on|off|auto]       expanded rows
  \\format table|csv|tsv|json|ndjson|markdown|html
  \\pset null|tuples_only|format|fieldsep|recordsep|expanded [VALUE]
  \\a                     aligned/unaligned;  \\t  rows only on/off
  \\timing [on|off]       show how long each statement took
  \\o [FILE]              send results to FILE (no FILE: back to the screen)
Input and files
  \\i FILE                run the statements in FILE
  \\copy T [(COLS)] from|to FILE [with (format csv, header, …)]   (also (QUERY) to FILE)
  Tab                    complete keywords, table/column names, commands, file names
Variables
  \\set [NAME [VALUE]]    set (or list) variables; :NAME, :'NAME', :\"NAME\" in statements
  \\unset NAME            remove a variable;  \\echo TEXT  print TEXT
Statements end with ';'. Ctrl-C cancels a running statement, or clears the line.";

/// Where one run's results go.
enum Output {
    /// The `\o` file, else the terminal through the pager.
    Default,
    /// The terminal without a pager (`\watch`, as psql).
    Screen,
    /// `\g` / `\gx`: a file or a command (else as `Default`), expanded
    /// or not for this run only.
    Once {
        dest: Option<Dest>,
        expanded: Option<bool>,
    },
}

enum Dest {
    File(PathBuf),
    Pipe(String),
}

/// What must happen after the output is written.
enum Pending {
    /// Renamed over the target only when every statement succeeded, so a
    /// failed run never leaves a half-written file.
    File(rdsql_fs::PendingFile, PathBuf),
    Pipe(std::process::Child),
}

type Opened = (Box<dyn Write + Send>, Option<bool>, Option<Pending>);

impl Output {
    fn open(self, sh: &Shell) -> Result<Opened, String> {
        match self {
            Output::Default => Ok((sh.writer()?, None, None)),
            Output::Screen => match &sh.out_file {
                Some(_) => Ok((sh.writer()?, None, None)),
                None => Ok((Box::new(std::io::stdout()), None, None)),
            },
            Output::Once {
                dest: None,
                expanded,
            } => Ok((sh.writer()?, expanded, None)),
            Output::Once {
                dest: Some(Dest::File(path)),
                expanded,
            } => pending_file(&path).map(|(w, p)| (w, expanded, Some(p))),
            Output::Once {
                dest: Some(Dest::Pipe(cmd)),
                expanded,
            } => {
                let mut child = std::process::Command::new("sh")
                    .arg("-c")
                    .arg(&cmd)
                    .stdin(std::process::Stdio::piped())
                    .spawn()
                    .map_err(|e| format!("cannot run {cmd:?}: {e}"))?;
                let stdin = child.stdin.take().expect("piped stdin");
                Ok((
                    Box::new(std::io::BufWriter::new(stdin)),
                    expanded,
                    Some(Pending::Pipe(child)),
                ))
            }
        }
    }
}

impl Pending {
    fn finish(self, ok: bool) -> Result<(), String> {
        match self {
            Pending::File(f, path) if ok => f
                .commit()
                .map_err(|e| format!("cannot write {}: {e}", path.display())),
            Pending::File(_, path) => Err(format!(
                "{} was not written: the statement did not complete",
                path.display()
            )),
            Pending::Pipe(mut child) => match child.wait() {
                Ok(st) if st.success() => Ok(()),
                Ok(st) => Err(format!("the output command exited with {st}")),
                Err(e) => Err(format!("the output command: {e}")),
            },
        }
    }
}

/// Runs `fut` (a statement on the connection `canceller` belongs to);
/// Ctrl-C sends a cancel request. Returns the result and whether Ctrl-C
/// was pressed.
async fn cancellable<T>(
    canceller: Option<CancelHandle>,
    fut: impl std::future::Future<Output = T>,
) -> (T, bool) {
    tokio::pin!(fut);
    let mut interrupted = false;
    loop {
        tokio::select! {
            r = &mut fut => return (r, interrupted),
            _ = tokio::signal::ctrl_c() => {
                interrupted = true;
                match &canceller {
                    Some(c) => {
                        eprintln!("Cancel request sent.");
                        if let Err(e) = c.cancel().await {
                            eprintln!("could not cancel: {e}");
                        }
                    }
                    None => eprintln!("This connection cannot cancel a statement."),
                }
            }
        }
    }
}

/// The local time as C's `%c` prints it (psql's `\watch` title).
fn now_c() -> String {
    // SAFETY: time/localtime_r/strftime write only into values we own.
    unsafe {
        let t = libc::time(std::ptr::null_mut());
        let mut tm: libc::tm = std::mem::zeroed();
        libc::localtime_r(&t, &mut tm);
        let mut buf = [0u8; 128];
        let n = libc::strftime(
            buf.as_mut_ptr() as *mut libc::c_char,
            buf.len(),
            c"%c".as_ptr(),
            &tm,
        );
        String::from_utf8_lossy(&buf[..n]).into_owned()
    }
}

/// A file written whole: its writer, and the [`Pending`] that puts it in
/// place (`\g FILE`, `\copy … to FILE`).
fn pending_file(path: &std::path::Path) -> Result<(Box<dyn Write + Send>, Pending), String> {
    let p = rdsql_fs::PendingFile::create(path)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    let f = p
        .file()
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok((
        Box::new(std::io::BufWriter::with_capacity(256 * 1024, f)),
        Pending::File(p, path.to_path_buf()),
    ))
}

/// Where `\copy … to` writes: a file written whole (renamed into place
/// only when the copy completed) or stdout.
fn copy_target(place: &copy::Place) -> Result<(Box<dyn Write + Send>, Option<Pending>), String> {
    match place {
        copy::Place::Stdout => Ok((Box::new(std::io::stdout()), None)),
        copy::Place::File(path) => pending_file(path).map(|(w, p)| (w, Some(p))),
    }
}

/// Byte offset in `line` of a backslash that starts a meta-command: one
/// outside quotes and comments, given the statement text already in the
/// buffer (psql's rule: `select 1 \g out.txt`).
fn meta_start(buf: &str, line: &str, engine: Engine) -> Option<usize> {
    let combined = if buf.is_empty() {
        line.to_string()
    } else {
        format!("{buf}\n{line}")
    };
    let off = combined.len() - line.len();
    let mask = rdsql_db::split::code_mask(&combined, engine);
    line.bytes()
        .enumerate()
        .find(|&(i, c)| c == b'\\' && mask[off + i])
        .map(|(i, _)| i)
}

fn on_off(v: Option<&str>, current: bool) -> Result<bool, String> {
    match v.map(str::to_ascii_lowercase).as_deref() {
        None => Ok(!current),
        Some("on" | "true" | "1") => Ok(true),
        Some("off" | "false" | "0") => Ok(false),
        Some(other) => Err(format!("expected on or off, not {other:?}")),
    }
}

impl Shell {
    fn prompt(&self, continuation: bool) -> String {
        if continuation {
            return format!("{}-> ", " ".repeat(self.label.chars().count()));
        }
        let t = match self.session.txn() {
            Txn::Idle => "",
            Txn::Open => "*",
            Txn::Failed => "!",
        };
        format!("{}={t}> ", self.label)
    }

    fn sink<'a>(
        &self,
        out: Box<dyn Write + Send + 'a>,
        expanded: Option<bool>,
    ) -> Box<dyn ResultSink + 'a> {
        let (cols, _) = terminal_size();
        let table = TableOptions {
            expanded: expanded.unwrap_or(self.expanded == Expanded::On),
            expanded_auto: expanded.is_none() && self.expanded == Expanded::Auto,
            max_width: Some(cols),
            ..self.table.clone()
        };
        output::sink_with(self.format, out, Status { quiet: false }, table)
    }

    fn writer(&self) -> Result<Box<dyn Write + Send>, String> {
        match &self.out_file {
            Some(p) => std::fs::OpenOptions::new()
                .append(true)
                .create(true)
                .open(p)
                .map(|f| Box::new(std::io::BufWriter::new(f)) as Box<dyn Write + Send>)
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
        let r = self.session.ensure_connected().await;
        if !matches!(r, Ok(Ready::Alive) | Err(NotRun::Reconnect(_))) {
            eprintln!("The connection was lost; reconnected to {}.", self.label);
        }
        match r {
            Ok(_) => true,
            Err(NotRun::Reconnect(e)) => {
                eprint!("{}", Failure::from(*e).render());
                false
            }
            Err(lost) => {
                let lines = lost.lines();
                let (last, each) = lines.split_last().expect("a reason and the outcome");
                for l in each {
                    eprintln!("  {l}");
                }
                eprintln!("{last}");
                false
            }
        }
    }

    /// Runs SQL with Ctrl-C cancelling it; prints results and errors.
    async fn execute(&mut self, sql: &str) {
        self.execute_to(sql, Output::Default).await;
    }

    /// As [`Self::execute`], with the output sent as `to` says; false when
    /// a statement failed or was cancelled.
    async fn execute_to(&mut self, sql: &str, to: Output) -> bool {
        // Statement by statement, so the transaction and session state
        // follow exactly what ran (a failure stops the batch there).
        let stmts = self.session.statements(sql);
        self.run_statements_to(&stmts, to).await
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
                    let stmt = self.vars.interpolate(&stmt, self.engine);
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
        self.run_statements_to(stmts, Output::Default).await
    }

    async fn run_statements_to(&mut self, stmts: &[&str], to: Output) -> bool {
        self.interrupted = false;
        if !self.ensure_connected().await {
            return false;
        }
        let (out, expanded, pending) = match to.open(self) {
            Ok(o) => o,
            Err(e) => {
                eprintln!("error: {e}");
                return false;
            }
        };
        let mut sink = self.sink(out, expanded);
        let started = Instant::now();
        let mut all_ok = true;
        let needs_types = self.format.needs_types();
        for &stmt in stmts {
            self.session.set_describe(needs_types);
            let canceller = self.session.cancel_handle();
            let (result, interrupted) =
                cancellable(canceller, self.session.run_statement(stmt, sink.as_mut())).await;
            self.interrupted |= interrupted;
            self.label = label(self.session.spec());
            match result {
                Ok(()) => self.note_ddl(stmt),
                Err(QueryError::ConnectionLost(m)) => {
                    eprintln!("error: the connection to the server was lost: {m}");
                    eprintln!(
                        "The statement may or may not have run; it was not replayed. The next statement reconnects."
                    );
                    all_ok = false;
                    break;
                }
                Err(e) => {
                    eprint!("{}", Failure::query(e).render());
                    all_ok = false;
                    break;
                }
            }
        }
        drop(sink);
        let elapsed = started.elapsed();
        if let Some(p) = pending
            && let Err(e) = p.finish(all_ok)
        {
            eprintln!("error: {e}");
            all_ok = false;
        }
        if self.timing {
            eprintln!("Time: {:.3} ms", elapsed.as_secs_f64() * 1000.0);
        }
        all_ok && !self.interrupted
    }

    /// DDL changes the names completion offers.
    fn note_ddl(&self, sql: &str) {
        let ddl = rdsql_db::split::split_statements(sql, self.engine)
            .iter()
            .any(|st| {
                matches!(
                    leading_words(st, self.engine, 1)
                        .first()
                        .map(String::as_str),
                    Some("create" | "alter" | "drop" | "rename" | "use")
                )
            });
        if ddl && let Ok(mut n) = self.names.lock() {
            n.stale = true;
        }
    }

    /// The statement text `\g`, `\watch`, `\e` and `\p` work on: the
    /// buffer (taken, with variables replaced), else the last statement.
    fn take_query(&mut self, buf: &mut String) -> Option<String> {
        if !buf.trim().is_empty() {
            let raw = std::mem::take(buf);
            let sql = self.vars.interpolate(raw.trim(), self.engine);
            self.last_query = sql.clone();
            return Some(sql);
        }
        buf.clear();
        (!self.last_query.trim().is_empty()).then(|| self.last_query.clone())
    }

    /// `\g` / `\gx [FILE | |COMMAND]`.
    async fn go(&mut self, buf: &mut String, arg: Option<&str>, expanded: Option<bool>) {
        let Some(sql) = self.take_query(buf) else {
            return eprintln!("error: the query buffer is empty and no statement ran yet");
        };
        let dest = match arg {
            None => None,
            Some(a) if a.starts_with('|') => Some(Dest::Pipe(a[1..].trim().to_string())),
            Some(a) => Some(Dest::File(PathBuf::from(a))),
        };
        self.execute_to(&sql, Output::Once { dest, expanded }).await;
    }

    /// `\watch [SECONDS]`: runs the statement every SECONDS (2 by default)
    /// until Ctrl-C or an error, each time under a title with the time.
    async fn watch(&mut self, buf: &mut String, arg: Option<&str>) {
        let secs = match arg.map(|a| a.trim_start_matches("i=").parse::<f64>()) {
            None => 2.0,
            Some(Ok(s)) if s.is_finite() && s > 0.0 => s,
            Some(_) => {
                return eprintln!(
                    "error: \\watch takes a number of seconds greater than 0, such as 2 or 0.5"
                );
            }
        };
        let Some(sql) = self.take_query(buf) else {
            return eprintln!("error: \\watch needs a statement: type one, then \\watch");
        };
        loop {
            println!("{} (every {secs}s)\n", now_c());
            if !self.execute_to(&sql, Output::Screen).await {
                break;
            }
            println!();
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs_f64(secs)) => {}
                _ = tokio::signal::ctrl_c() => break,
            }
        }
    }

    /// `\e [FILE]`: the buffer (or the last statement, or FILE) in the
    /// user's editor; a complete statement runs at once, as in psql,
    /// otherwise it becomes the buffer.
    async fn edit(&mut self, buf: &mut String, arg: Option<&str>) {
        let result = match arg {
            Some(file) => edit::edit_file(std::path::Path::new(file)),
            None => {
                let initial = if buf.trim().is_empty() {
                    self.last_query.clone()
                } else {
                    buf.clone()
                };
                edit::edit_text(&initial)
            }
        };
        let text = match result {
            Ok(t) => t,
            Err(e) => return eprintln!("error: {e}"),
        };
        let text = text.trim_end().to_string();
        if rdsql_db::split::is_complete(&text, self.engine) {
            buf.clear();
            self.edited = Some(text.clone());
            println!("{text}");
            let sql = self.vars.interpolate(&text, self.engine);
            self.last_query = sql.clone();
            self.execute(&sql).await;
        } else {
            *buf = text;
            if !buf.is_empty() {
                println!("{buf}");
            }
        }
    }

    /// `\copy`: see the `copy` module.
    async fn copy(&mut self, arg: Option<&str>) {
        let c = match copy::parse(arg.unwrap_or(""), self.engine) {
            Ok(c) => c,
            Err(e) => return eprintln!("error: {e}"),
        };
        if !self.ensure_connected().await {
            return;
        }
        let started = Instant::now();
        let result = match (self.engine, &c.direction) {
            (Engine::Postgres, copy::Direction::From) => self.copy_pg_in(&c).await,
            (Engine::Postgres, copy::Direction::To) => self.copy_pg_out(&c).await,
            (Engine::Sqlite, copy::Direction::From) => Err(
                "\\copy … from is for PostgreSQL and MySQL/MariaDB; for SQLite use the sqlite3 tool's .import, or INSERT statements"
                    .to_string(),
            ),
            (_, copy::Direction::From) => self.copy_mysql_in(&c).await,
            (_, copy::Direction::To) => self.copy_rows_out(&c).await,
        };
        match result {
            Ok(n) => println!("COPY {n}"),
            Err(e) if e.is_empty() => {}
            Err(e) => eprintln!("error: {e}"),
        }
        if self.timing {
            eprintln!("Time: {:.3} ms", started.elapsed().as_secs_f64() * 1000.0);
        }
    }

    /// Renders a query failure (already printed) as an empty error.
    fn copy_failed(&mut self, sql: &str, e: QueryError) -> String {
        match e {
            QueryError::ConnectionLost(m) => {
                self.session.connection_lost();
                format!("the connection to the server was lost: {m}")
            }
            QueryError::Output(io) => format!("{io}"),
            e => {
                self.session.track(sql, false);
                // 1148 not allowed, 3948 local files disabled (MySQL),
                // 4166 (MariaDB): the server refuses LOAD DATA LOCAL.
                let refused = matches!(&e, QueryError::Server { code, .. }
                    if ["1148 ", "3948 ", "4166 "].iter().any(|c| code.starts_with(c)));
                let mut f = Failure::query(e);
                if refused {
                    f.causes.push(
                        "the server does not allow LOAD DATA LOCAL: an administrator enables it with SET GLOBAL local_infile = 1 (on RDS: the local_infile parameter of the DB parameter group)".into(),
                    );
                }
                eprint!("{}", f.render());
                String::new()
            }
        }
    }

    async fn copy_pg_in(&mut self, c: &copy::Copy) -> Result<u64, String> {
        let copy::Place::File(path) = &c.place else {
            return Err("\\copy from needs a file".into());
        };
        let mut file = std::fs::File::open(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let sql = copy::postgres_sql(c);
        let canceller = self.session.cancel_handle();
        let conn = self.session.connection().expect("connected");
        let (r, _) = cancellable(canceller, conn.copy_in(&sql, &mut file)).await;
        match r {
            Ok(n) => {
                self.session.track(&sql, true);
                Ok(n)
            }
            Err(QueryError::Output(e)) => {
                self.session.track(&sql, false);
                Err(format!(
                    "cannot read {}: {e}; nothing was loaded",
                    path.display()
                ))
            }
            Err(e) => Err(self.copy_failed(&sql, e)),
        }
    }

    async fn copy_pg_out(&mut self, c: &copy::Copy) -> Result<u64, String> {
        let sql = copy::postgres_sql(c);
        // Each row is one CopyData message; a header line is one more.
        let header = copy::options(&c.options)
            .map(|o| o.header)
            .unwrap_or_else(|_| {
                c.options
                    .to_ascii_lowercase()
                    .split(|ch: char| !ch.is_ascii_alphanumeric() && ch != '_')
                    .any(|w| w == "header")
            });
        let (mut out, pending) = copy_target(&c.place)?;
        let canceller = self.session.cancel_handle();
        let conn = self.session.connection().expect("connected");
        let (r, _) = cancellable(canceller, conn.copy_out(&sql, &mut out)).await;
        drop(out);
        match r {
            Ok(n) => {
                self.session.track(&sql, true);
                if let Some(p) = pending {
                    p.finish(true)?;
                }
                Ok(n.saturating_sub(u64::from(header)))
            }
            Err(e) => Err(self.copy_failed(&sql, e)),
        }
    }

    async fn copy_mysql_in(&mut self, c: &copy::Copy) -> Result<u64, String> {
        let o = copy::options(&c.options)?;
        let sql = copy::mysql_load_sql(c, &o)?;
        let copy::Place::File(path) = &c.place else {
            return Err("\\copy from needs a file".into());
        };
        if let Err(e) = std::fs::metadata(path) {
            return Err(format!("cannot read {}: {e}", path.display()));
        }
        // In a transaction of its own unless the user has one open, so a
        // failure part-way (a read error ends the transfer early, and the
        // server would keep what arrived) loads nothing.
        let own_txn = self.session.txn() == Txn::Idle;
        let canceller = self.session.cancel_handle();
        let conn = self.session.connection().expect("connected");
        if own_txn && let Err(e) = conn.run("START TRANSACTION", &mut Rows::default()).await {
            return Err(self.copy_failed("START TRANSACTION", e));
        }
        let (r, _) = cancellable(canceller, conn.load_data_local(&sql, path.clone())).await;
        let end = if r.is_ok() { "COMMIT" } else { "ROLLBACK" };
        if own_txn
            && let Some(conn) = self.session.connection()
            && let Err(e) = conn.run(end, &mut Rows::default()).await
        {
            return Err(self.copy_failed(end, e));
        }
        match r {
            Ok(n) => {
                self.session.track(&sql, true);
                Ok(n)
            }
            Err(QueryError::Output(e)) => Err(format!(
                "cannot read {}: {e}; nothing was loaded",
                path.display()
            )),
            Err(e) => Err(self.copy_failed(&sql, e)),
        }
    }

    /// `\copy … to` on MySQL/MariaDB and SQLite: the rows of a SELECT in
    /// COPY's text or CSV format.
    async fn copy_rows_out(&mut self, c: &copy::Copy) -> Result<u64, String> {
        let o = copy::options(&c.options)?;
        let sql = copy::select_sql(c);
        let (out, pending) = copy_target(&c.place)?;
        let mut w = copy::CopyWriter::new(out, &o)?;
        let canceller = self.session.cancel_handle();
        let conn = self.session.connection().expect("connected");
        let (r, _) = cancellable(canceller, conn.run_statement(&sql, &mut w)).await;
        let rows = w.rows;
        let mut out = w.into_inner();
        let flushed = out.flush();
        drop(out);
        match r {
            Ok(()) => {
                flushed.map_err(|e| format!("could not write output: {e}"))?;
                if let Some(p) = pending {
                    p.finish(true)?;
                }
                Ok(rows)
            }
            Err(e) => Err(self.copy_failed(&sql, e)),
        }
    }

    /// `\pset OPTION [VALUE]`, `\a`, `\t`.
    fn pset(&mut self, args: &[String]) -> Result<(), String> {
        let Some(opt) = args.first() else {
            println!("expanded {}", self.expanded_name());
            println!("fieldsep '{}'", self.table.field_sep);
            println!(
                "format {}",
                if self.format != Format::Table {
                    self.format.name()
                } else if self.table.unaligned {
                    "unaligned"
                } else {
                    "aligned"
                }
            );
            println!("null '{}'", self.table.null);
            println!("recordsep {:?}", self.table.record_sep);
            println!(
                "tuples_only {}",
                if self.table.tuples_only { "on" } else { "off" }
            );
            return Ok(());
        };
        let val = args.get(1).map(String::as_str);
        match opt.as_str() {
            "null" => {
                if let Some(v) = val {
                    self.table.null = v.to_string();
                }
                println!("Null display is \"{}\".", self.table.null);
            }
            "tuples_only" => {
                self.table.tuples_only = on_off(val, self.table.tuples_only)?;
                self.say_tuples();
            }
            "fieldsep" => {
                if let Some(v) = val {
                    self.table.field_sep = v.to_string();
                }
                println!("Field separator is \"{}\".", self.table.field_sep);
            }
            "recordsep" => {
                if let Some(v) = val {
                    self.table.record_sep = v.to_string();
                }
                println!("Record separator is {:?}.", self.table.record_sep);
            }
            "expanded" | "x" => {
                self.expanded = match val {
                    Some("auto") => Expanded::Auto,
                    v => {
                        if on_off(v, self.expanded == Expanded::On)? {
                            Expanded::On
                        } else {
                            Expanded::Off
                        }
                    }
                };
                println!("Expanded display is {}.", self.expanded_name());
            }
            "format" => {
                match val {
                    Some("aligned") => {
                        self.format = Format::Table;
                        self.table.unaligned = false;
                    }
                    Some("unaligned") => {
                        self.format = Format::Table;
                        self.table.unaligned = true;
                    }
                    Some(f) => match <Format as clap::ValueEnum>::from_str(f, true) {
                        Ok(f) => self.format = f,
                        Err(_) => {
                            return Err(format!(
                                "\\pset format takes aligned, unaligned, csv, tsv, json, ndjson, markdown or html, not {f:?}"
                            ));
                        }
                    },
                    None => {}
                }
                self.say_format();
            }
            other => {
                return Err(format!(
                    "\\pset {other} is not supported; rdsql has null, tuples_only, format, fieldsep, recordsep and expanded"
                ));
            }
        }
        Ok(())
    }

    fn expanded_name(&self) -> &'static str {
        match self.expanded {
            Expanded::On => "on",
            Expanded::Off => "off",
            Expanded::Auto => "auto",
        }
    }

    fn say_tuples(&self) {
        println!(
            "Tuples only is {}.",
            if self.table.tuples_only { "on" } else { "off" }
        );
    }

    fn say_format(&self) {
        let name = match self.format {
            Format::Table if self.table.unaligned => "unaligned",
            Format::Table => "aligned",
            f => f.name(),
        };
        println!("Output format is {name}.");
    }

    /// psql's DBNAME, USER, HOST and PORT variables.
    fn set_conn_vars(&mut self) {
        if let ConnectionSpec::Server(s) = self.session.spec() {
            self.vars.set("DBNAME", s.dbname.as_deref().unwrap_or(""));
            self.vars.set("USER", &s.user);
            self.vars.set("HOST", &s.host);
            self.vars.set("PORT", &s.port.to_string());
        } else if let ConnectionSpec::Sqlite { path } = self.session.spec() {
            self.vars.set("DBNAME", path);
        }
    }

    async fn capture(&mut self, sql: &str) -> Option<Vec<Vec<Option<String>>>> {
        let conn = self.session.connection()?;
        let mut cap = Rows::default();
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
        let info = self.session.info();
        match self.session.spec() {
            ConnectionSpec::Server(s) => {
                println!(
                    "Connected to {} database {db:?} as user {:?} on {} (sslmode {}).",
                    s.engine,
                    s.user,
                    s.host_port(),
                    s.sslmode
                );
                println!(
                    "  auth:    {} ({})",
                    s.auth,
                    self.session.provider().describe()
                );
                println!("  TLS:     {}", tls.unwrap_or_else(|| "unknown".into()));
            }
            ConnectionSpec::Sqlite { path } => println!("Connected to SQLite database {path:?}."),
        }
        if let Some(v) = info.server_version {
            println!("  server:  {v}");
        }
        if let Some(at) = self.session.provider().token_issued_at() {
            let age = SystemTime::now()
                .duration_since(at)
                .unwrap_or_default()
                .as_secs();
            println!(
                "  IAM token age: {age} s (valid for 900 s from signing; a new connection gets a new token)"
            );
        }
    }

    /// Handles a backslash command; returns false to quit. `buf` is the
    /// statement text typed so far (`\g`, `\watch`, `\e`, `\p`, `\r`
    /// work on it).
    async fn meta(&mut self, line: &str, buf: &mut String) -> bool {
        let line = line.trim();
        // \copy, \echo and \set read their arguments whole; a command
        // name ends at the first space or at the next backslash.
        let name_end = line[1..]
            .find(|c: char| c.is_whitespace() || c == '\\')
            .map(|i| i + 1)
            .unwrap_or(line.len());
        let cmd = &line[..name_end];
        let raw_arg = line[name_end..].trim();
        let interpolated = self.vars.interpolate(raw_arg, Engine::Postgres);
        let arg = Some(interpolated.as_str()).filter(|a| !a.is_empty());
        let args = || vars::meta_args(raw_arg, &self.vars, Engine::Postgres);
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
            "\\x" => match arg {
                Some("auto") => {
                    self.expanded = Expanded::Auto;
                    println!("Expanded display is auto.");
                }
                _ => match on_off(arg, self.expanded == Expanded::On) {
                    Ok(on) => {
                        self.expanded = if on { Expanded::On } else { Expanded::Off };
                        println!("Expanded display is {}.", self.expanded_name());
                    }
                    Err(_) => eprintln!("error: \\x takes on, off or auto"),
                },
            },
            "\\timing" => match on_off(arg, self.timing) {
                Ok(on) => {
                    self.timing = on;
                    println!("Timing is {}.", if on { "on" } else { "off" });
                }
                Err(e) => eprintln!("error: \\timing: {e}"),
            },
            "\\format" => match arg.map(|a| <Format as clap::ValueEnum>::from_str(a, true)) {
                Some(Ok(f)) => {
                    self.format = f;
                    println!("Output format is {}.", arg.unwrap_or_default());
                }
                _ => eprintln!(
                    "error: \\format takes table, csv, tsv, json, ndjson, markdown or html"
                ),
            },
            "\\pset" => {
                if let Err(err) = self.pset(&args()) {
                    eprintln!("error: {err}");
                }
            }
            "\\a" => {
                self.table.unaligned = !self.table.unaligned;
                self.say_format();
            }
            "\\t" => match on_off(arg, self.table.tuples_only) {
                Ok(on) => {
                    self.table.tuples_only = on;
                    self.say_tuples();
                }
                Err(err) => eprintln!("error: \\t: {err}"),
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
            "\\g" => self.go(buf, arg, None).await,
            // \G is the mysql client's "run, one field per line".
            "\\gx" | "\\G" => self.go(buf, arg, Some(true)).await,
            "\\watch" => self.watch(buf, arg).await,
            "\\e" | "\\edit" => self.edit(buf, arg).await,
            "\\p" | "\\print" => {
                if buf.trim().is_empty() {
                    if self.last_query.is_empty() {
                        println!("Query buffer is empty.");
                    } else {
                        println!("{}", self.last_query);
                    }
                } else {
                    println!("{buf}");
                }
            }
            "\\r" | "\\reset" => {
                buf.clear();
                println!("Query buffer reset (cleared).");
            }
            "\\copy" => self.copy(arg).await,
            "\\set" => {
                let a = args();
                if a.is_empty() {
                    print!("{}", self.vars.listing());
                } else if let Err(err) = self.vars.set_command(&a) {
                    eprintln!("error: \\set: {err}");
                }
            }
            "\\unset" => match args().first() {
                Some(n) => {
                    self.vars.unset(n);
                }
                None => eprintln!("error: \\unset needs a variable name"),
            },
            "\\echo" => println!("{}", args().join(" ")),
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
            let conn = self.session.connection().expect("connected");
            let mut cap = Rows::default();
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
            let mut sink = self.sink(out, None);
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
        if self.engine == Engine::Sqlite {
            return eprintln!(
                "error: SQLite has one database per file; start rdsql shell sqlite:OTHER.db"
            );
        }
        match self.session.switch_database(db).await {
            Ok(()) => {
                self.label = label(self.session.spec());
                self.set_conn_vars();
                if let Ok(mut n) = self.names.lock() {
                    n.stale = true;
                }
                if let ConnectionSpec::Server(s) = self.session.spec() {
                    println!(
                        "You are now connected to database {db:?} as user {:?}.",
                        s.user
                    );
                }
            }
            Err(e) => eprint!("{}", Failure::from(e).render()),
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
    let session = connect::open_session(spec).await?;
    // From here on SIGINT cancels statements instead of killing the shell.
    let mut sigint = Box::pin(tokio::signal::ctrl_c());
    let _ = futures_poll_once(&mut sigint).await;
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
