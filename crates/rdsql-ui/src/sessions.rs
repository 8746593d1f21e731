//! Open database sessions of the UI. Each lives on a thread of its own
//! with its own small runtime (engines are not all `Sync`), and takes
//! commands through a channel; the web handlers only await replies.

use crate::State;
use rdsql_connect::report::Failure;
use rdsql_connect::{CancelHandle, Interaction, NoInteraction, NotRun, Ready, Session};
use rdsql_db::password::BoxFuture;
use rdsql_db::{ConnectionSpec, ResultSink, Secret};
use serde::Serialize;
use tokio::sync::{mpsc, oneshot};

/// One streamed chunk of a result: whole NDJSON lines (docs/ui.md,
/// "Streaming results").
pub type Chunk = Vec<u8>;

/// How many chunks may wait for the browser before the session stops
/// reading from the server: the server never holds a whole result.
pub const CHUNKS_IN_FLIGHT: usize = 4;

/// A chunk is sent once it holds this much, or once this long passed.
const CHUNK_BYTES: usize = 64 * 1024;
const CHUNK_WAIT: std::time::Duration = std::time::Duration::from_millis(40);
/// The very first rows go out as soon as there are this many.
const FIRST_ROWS: usize = 100;

/// A [`ResultSink`] that turns results into NDJSON lines for the browser:
/// `{"result":{"columns":[…]}}`, `{"types":[…]}`, `{"rows":[[…],…]}`,
/// `{"end":{"rows":N}}`, `{"affected":N}`; the session adds `{"error":…}`
/// and `{"done":…}`.
pub struct StreamSink {
    tx: std::sync::mpsc::SyncSender<Chunk>,
    buf: Vec<u8>,
    /// Rows waiting in `buf` (inside an open `{"rows":[` line).
    pending: usize,
    sent_rows: u64,
    last_flush: std::time::Instant,
    /// The browser went away: stop producing.
    pub closed: bool,
    /// Rows of this run, for history.
    pub results: usize,
}

impl StreamSink {
    pub fn new(tx: std::sync::mpsc::SyncSender<Chunk>) -> Self {
        StreamSink {
            tx,
            buf: Vec::with_capacity(CHUNK_BYTES + 4096),
            pending: 0,
            sent_rows: 0,
            last_flush: std::time::Instant::now(),
            closed: false,
            results: 0,
        }
    }

    fn close_rows(&mut self) {
        if self.pending > 0 {
            self.buf.extend_from_slice(b"]}\n");
            self.sent_rows += self.pending as u64;
            self.pending = 0;
        }
    }

    /// Sends what is buffered; blocks while the browser is behind (that is
    /// the back-pressure that reaches the database server).
    pub fn flush(&mut self) -> std::io::Result<()> {
        self.close_rows();
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK_BYTES + 4096));
        self.last_flush = std::time::Instant::now();
        self.tx.send(chunk).map_err(|_| {
            self.closed = true;
            std::io::Error::new(
                std::io::ErrorKind::BrokenPipe,
                "the browser closed the result",
            )
        })
    }

    /// One JSON line.
    pub fn line(&mut self, v: &serde_json::Value) -> std::io::Result<()> {
        self.close_rows();
        serde_json::to_writer(&mut self.buf, v).map_err(std::io::Error::other)?;
        self.buf.push(b'\n');
        Ok(())
    }
}

/// A value as the grid gets it: text, or `\x…` hex when not UTF-8 (as the
/// JSON export writes it).
fn write_value(buf: &mut Vec<u8>, v: Option<&[u8]>) {
    match v {
        None => buf.extend_from_slice(b"null"),
        // The JSON writer's own string rule (hex for bytes that are not UTF-8).
        Some(b) => {
            let _ = rdsql_output::typed::write_string(buf, b);
        }
    }
}

impl ResultSink for StreamSink {
    fn begin_result(&mut self, columns: &[String]) -> std::io::Result<()> {
        self.results += 1;
        self.sent_rows = 0;
        self.line(&serde_json::json!({ "result": { "columns": columns } }))
    }
    fn column_types(&mut self, types: &[String]) -> std::io::Result<()> {
        self.line(&serde_json::json!({ "types": types }))
    }
    fn row(&mut self, values: &[Option<&[u8]>]) -> std::io::Result<()> {
        if self.pending == 0 {
            self.buf.extend_from_slice(b"{\"rows\":[");
        } else {
            self.buf.push(b',');
        }
        self.buf.push(b'[');
        for (i, v) in values.iter().enumerate() {
            if i > 0 {
                self.buf.push(b',');
            }
            write_value(&mut self.buf, *v);
        }
        self.buf.push(b']');
        self.pending += 1;
        let first = self.sent_rows == 0 && self.pending >= FIRST_ROWS;
        if first
            || self.buf.len() >= CHUNK_BYTES
            || (self.pending.is_multiple_of(64) && self.last_flush.elapsed() >= CHUNK_WAIT)
        {
            self.flush()?;
        }
        Ok(())
    }
    fn end_result(&mut self, rows: u64) -> std::io::Result<()> {
        self.line(&serde_json::json!({ "end": { "rows": rows } }))?;
        self.flush()
    }
    fn command_complete(&mut self, rows: u64) -> std::io::Result<()> {
        self.line(&serde_json::json!({ "affected": rows }))
    }
}

enum Command {
    Query(String, std::sync::mpsc::SyncSender<Chunk>),
    Close,
}

/// A session the browser can send statements to.
pub struct SessionHandle {
    tx: mpsc::UnboundedSender<Command>,
    thread: Option<std::thread::JoinHandle<()>>,
    running: Running,
    spec: ConnectionSpec,
    provider: std::sync::Arc<dyn rdsql_db::PasswordProvider>,
    /// Where this connection's statements are kept.
    pub history: Option<crate::history::History>,
}

/// What cancels the statement running now, if one is.
type Running = std::sync::Arc<std::sync::Mutex<Option<CancelHandle>>>;

/// Facts about a new session.
#[derive(Debug, Serialize, Clone)]
pub struct Opened {
    pub label: String,
    pub engine: String,
    pub tls: Option<String>,
    pub server_version: Option<String>,
    pub connect_ms: f64,
}

/// Why opening failed.
pub enum OpenError {
    /// SSO needs a browser sign-in first (the dialog offers it).
    SignIn(Failure),
    /// Anything else, with the form field it concerns when one does.
    Other(Failure, Option<&'static str>),
}

/// The dialog field a connect error concerns, so it shows beside it.
/// `mfa_given`: the form's MFA Code was filled, so a credentials failure
/// is most likely that code.
pub fn field_for(
    e: &rdsql_connect::Error,
    spec: &ConnectionSpec,
    mfa_given: bool,
) -> Option<&'static str> {
    use rdsql_connect::Error as E;
    use rdsql_db::{Auth, ConnectFailure as F};
    let method = match spec {
        ConnectionSpec::Server(s) => Some(&s.auth),
        _ => None,
    };
    match e {
        E::MfaCodeNeeded { .. } => Some("mfa_code"),
        E::Token { .. } | E::Credentials { .. } if mfa_given => Some("mfa_code"),
        E::Connect { error, .. } => match &error.failure {
            F::Refused | F::TimedOut(_) | F::Resolve(_) => Some("host"),
            F::Tls(_) => Some("sslmode"),
            F::AuthRejected { .. } | F::PasswordRequired => match method {
                Some(Auth::Password { .. }) | None => Some("password"),
                Some(Auth::IamKeys { .. }) => Some("aws_access_key_id"),
                Some(Auth::IamProfile { .. }) => Some("aws_profile"),
                Some(Auth::Sso { .. }) => Some("sso_role_name"),
            },
            F::Server { .. } => Some("dbname"),
            F::Password(_) => Some("auth"),
            _ => None,
        },
        E::Token { .. } | E::Credentials { .. } => Some("aws_region"),
        E::SignIn { .. } => Some("sso_start_url"),
        _ => None,
    }
}

pub(crate) fn env(k: &str) -> Option<String> {
    std::env::var(k).ok()
}

/// The dialog as the connect library's person: no prompts (the page has
/// fields instead), the MFA Code field's value for an MFA role, and SSO
/// sign-in through the page's own flow (docs/ui.md).
pub struct FormInteraction {
    mfa: std::sync::Mutex<Option<Secret>>,
}

impl FormInteraction {
    pub fn new(mfa: Option<Secret>) -> Self {
        FormInteraction {
            mfa: std::sync::Mutex::new(mfa),
        }
    }
}

impl Interaction for FormInteraction {
    fn can_prompt(&self) -> bool {
        false
    }
    fn secret(&self, prompt: &str) -> Result<Secret, rdsql_connect::Error> {
        NoInteraction.secret(prompt)
    }
    fn mfa_code(&self, _prompt: &str) -> Option<Result<Secret, rdsql_connect::Error>> {
        self.mfa.lock().ok().and_then(|mut m| m.take()).map(Ok)
    }
    fn sso_sign_in<'a>(
        &'a self,
        session: &'a rdsql_aws::sso::SsoSession,
        why: &'a str,
    ) -> BoxFuture<'a, Result<(), rdsql_connect::Error>> {
        NoInteraction.sso_sign_in(session, why)
    }
}

pub fn label(spec: &ConnectionSpec) -> String {
    match spec {
        ConnectionSpec::Server(s) => format!(
            "{}@{}/{}",
            s.user,
            s.host_port(),
            s.dbname.as_deref().unwrap_or("")
        ),
        ConnectionSpec::Sqlite { path } => format!("sqlite:{path}"),
    }
}

/// Sends a statement-level cancel and waits for it (at most 10 s): used
/// by the Cancel button and when the browser abandons a result.
async fn send_cancel(handle: &CancelHandle) {
    let r = tokio::time::timeout(std::time::Duration::from_secs(10), handle.cancel()).await;
    if !matches!(r, Ok(Ok(()))) {
        tracing::warn!("the cancel request did not go through");
    }
}

/// Opens `spec` on a session thread; with `probe`, runs `select 1` and
/// closes it again (the dialog's Test button). Statements run are kept in
/// `history` when given.
pub async fn open(
    spec: ConnectionSpec,
    probe: bool,
    history: Option<crate::history::History>,
    mfa: Option<Secret>,
) -> Result<(Opened, Option<SessionHandle>), OpenError> {
    let (ready_tx, ready_rx) = oneshot::channel();
    let (tx, mut rx) = mpsc::unbounded_channel::<Command>();
    let running: Running = Default::default();
    let running_in = running.clone();
    let spec_out = spec.clone();
    let history_out = history.clone();
    let thread = std::thread::spawn(move || {
        let rt = match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(rt) => rt,
            Err(e) => {
                let _ = ready_tx.send(Err(OpenError::Other(
                    Failure::local(format!("cannot start a session: {e}"), vec![]),
                    None,
                )));
                return;
            }
        };
        rt.block_on(async move {
            let started = std::time::Instant::now();
            let mfa_given = mfa.is_some();
            let ui = FormInteraction::new(mfa);
            let mut session = match Session::open(spec.clone(), &ui, &env).await {
                Ok(s) => s,
                Err(e @ rdsql_connect::Error::SignIn { .. }) => {
                    let _ = ready_tx.send(Err(OpenError::SignIn(Failure::from(e))));
                    return;
                }
                Err(e) => {
                    let field = field_for(&e, &spec, mfa_given);
                    let _ = ready_tx.send(Err(OpenError::Other(Failure::from(e), field)));
                    return;
                }
            };
            let connect_ms = started.elapsed().as_secs_f64() * 1000.0;
            if probe {
                let (tx, _rx) = std::sync::mpsc::sync_channel(16);
                if let Err(e) = session
                    .run_statement("select 1", &mut StreamSink::new(tx))
                    .await
                {
                    let _ = ready_tx.send(Err(OpenError::Other(Failure::query(e), None)));
                    session.close().await;
                    return;
                }
            }
            session.set_describe(true);
            let info = session.info();
            let opened = Opened {
                label: label(&spec),
                engine: spec.engine().name().to_string(),
                tls: info.tls,
                server_version: info.server_version,
                connect_ms,
            };
            if ready_tx
                .send(Ok((opened, session.provider().clone())))
                .is_err()
                || probe
            {
                session.close().await;
                return;
            }
            while let Some(cmd) = rx.recv().await {
                match cmd {
                    Command::Query(sql, tx) => {
                        run_query(&mut session, &sql, tx, &running_in, history.as_ref()).await
                    }
                    Command::Close => break,
                }
            }
            session.close().await;
        });
    });
    let (opened, provider) = ready_rx.await.unwrap_or_else(|_| {
        Err(OpenError::Other(
            Failure::local("the session ended before it opened", vec![]),
            None,
        ))
    })?;
    let handle = (!probe).then_some(SessionHandle {
        tx,
        thread: Some(thread),
        running,
        spec: spec_out,
        provider,
        history: history_out,
    });
    Ok((opened, handle))
}

/// Runs `sql` on `session`, streaming the results into `tx` (NDJSON, see
/// [`StreamSink`]). A session the server dropped is reconnected first —
/// and the statement not run when the lost session held a transaction or
/// session state, with the shell's words (docs/sessions.md).
async fn run_query(
    session: &mut Session,
    sql: &str,
    tx: std::sync::mpsc::SyncSender<Chunk>,
    running: &Running,
    history: Option<&crate::history::History>,
) {
    let started = std::time::Instant::now();
    let mut sink = StreamSink::new(tx);
    let reconnected = match session.ensure_connected().await {
        Ok(Ready::Alive) => false,
        Ok(Ready::Reconnected) => true,
        Err(not_run) => {
            let f = match not_run {
                NotRun::Reconnect(e) => Failure::from(*e),
                lost @ NotRun::Lost(_) => Failure {
                    exit_code: rdsql_connect::report::EXIT_CONNECT,
                    ..Failure::local(
                        format!(
                            "The connection was lost; reconnected to {}.",
                            label(session.spec())
                        ),
                        lost.lines(),
                    )
                },
            };
            let _ = sink.line(&serde_json::json!({ "error": f, "txn": session.txn() }));
            let _ = sink.flush();
            return;
        }
    };
    let handle = session.cancel_handle();
    if let Ok(mut r) = running.lock() {
        *r = handle.clone();
    }
    let mut failed = None;
    for stmt in session.statements(sql) {
        let one = std::time::Instant::now();
        let result = session.run_statement(stmt, &mut sink).await;
        if let Some(h) = history {
            h.record(stmt, result.is_ok(), one.elapsed());
        }
        if let Err(e) = result {
            if sink.closed {
                // The browser let go of the result: stop the server
                // producing it before the next statement runs.
                if let Some(h) = &handle {
                    send_cancel(h).await;
                }
            } else {
                failed = Some(Failure::query(e));
            }
            break;
        }
    }
    if let Ok(mut r) = running.lock() {
        *r = None;
    }
    if sink.closed {
        return;
    }
    let txn = session.txn();
    if let Some(f) = failed {
        let _ = sink.line(&serde_json::json!({ "error": f, "txn": txn }));
    }
    let _ = sink.line(&serde_json::json!({ "done": {
        "elapsed_ms": started.elapsed().as_secs_f64() * 1000.0,
        "reconnected": reconnected,
        "txn": txn,
    }}));
    let _ = sink.flush();
}

/// A cheap handle to send statements to a session.
#[derive(Clone)]
pub struct SessionClient(mpsc::UnboundedSender<Command>);

impl SessionHandle {
    /// A client for this session (held without holding the session map).
    pub fn client(&self) -> SessionClient {
        SessionClient(self.tx.clone())
    }

    /// What it takes to open another connection like this one (export
    /// runs on a connection of its own).
    pub fn connection(
        &self,
    ) -> (
        ConnectionSpec,
        std::sync::Arc<dyn rdsql_db::PasswordProvider>,
    ) {
        (self.spec.clone(), self.provider.clone())
    }

    /// Asks the server to cancel the running statement (PostgreSQL cancel
    /// request, MySQL `KILL QUERY` to the same server), on a thread of its
    /// own; false when nothing runs.
    pub fn cancel(&self) -> bool {
        let Some(handle) = self.running.lock().ok().and_then(|r| r.clone()) else {
            return false;
        };
        tokio::spawn(async move { send_cancel(&handle).await });
        true
    }
}

impl SessionClient {
    /// Runs `sql` (one or more statements) on the session; the results
    /// arrive on the returned receiver as NDJSON chunks, at the pace the
    /// browser reads them.
    pub fn query(&self, sql: String) -> Result<std::sync::mpsc::Receiver<Chunk>, Failure> {
        let (tx, rx) = std::sync::mpsc::sync_channel(CHUNKS_IN_FLIGHT);
        self.0
            .send(Command::Query(sql, tx))
            .map_err(|_| Failure::local("the session is closed", vec![]))?;
        Ok(rx)
    }
}

impl SessionHandle {
    /// Closes the session and waits (at most a few seconds: a statement may
    /// still run) for its thread.
    pub fn close(mut self) {
        let _ = self.tx.send(Command::Close);
        if let Some(t) = self.thread.take() {
            for _ in 0..50 {
                if t.is_finished() {
                    let _ = t.join();
                    return;
                }
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
        }
    }
}

/// Closes every open session (server shutdown).
pub fn close_all(state: &State) {
    let all: Vec<SessionHandle> = match state.sessions.lock() {
        Ok(mut m) => m.drain().map(|(_, h)| h).collect(),
        Err(_) => return,
    };
    for h in all {
        h.close();
    }
}
