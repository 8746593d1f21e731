//! Open database sessions of the UI. Each lives on a thread of its own
//! with its own small runtime (engines are not all `Sync`), and takes
//! commands through a channel; the web handlers only await replies.

use crate::State;
use rdsql_connect::NoInteraction;
use rdsql_connect::report::Failure;
use rdsql_db::{ConnectionSpec, Engine, ResultSink};
use serde::Serialize;
use tokio::sync::{mpsc, oneshot};

/// Rows kept per result set in this first view (the streaming grid comes
/// with the workspace); the rest are counted.
pub const ROW_CAP: usize = 1000;

/// One result set as the browser gets it.
#[derive(Debug, Serialize)]
pub struct ResultSet {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Option<String>>>,
    /// All rows the server sent (more than `rows` when capped).
    pub row_count: u64,
    pub truncated: bool,
}

/// What a run of statements produced.
#[derive(Debug, Serialize, Default)]
pub struct Output {
    pub results: Vec<ResultSet>,
    /// Rows affected by statements without a result set.
    pub affected: Vec<u64>,
    pub elapsed_ms: f64,
    /// The server had dropped the session; it was opened again first.
    pub reconnected: bool,
    /// The transaction state afterwards (followed from the statements).
    pub txn: rdsql_db::txn::Txn,
}

impl ResultSink for Output {
    fn begin_result(&mut self, columns: &[String]) -> std::io::Result<()> {
        self.results.push(ResultSet {
            columns: columns.to_vec(),
            rows: vec![],
            row_count: 0,
            truncated: false,
        });
        Ok(())
    }
    fn row(&mut self, values: &[Option<&[u8]>]) -> std::io::Result<()> {
        if let Some(r) = self.results.last_mut() {
            r.row_count += 1;
            if r.rows.len() < ROW_CAP {
                r.rows.push(
                    values
                        .iter()
                        .map(|v| v.map(|b| String::from_utf8_lossy(b).into_owned()))
                        .collect(),
                );
            } else {
                r.truncated = true;
            }
        }
        Ok(())
    }
    fn end_result(&mut self, _: u64) -> std::io::Result<()> {
        Ok(())
    }
    fn command_complete(&mut self, rows: u64) -> std::io::Result<()> {
        self.affected.push(rows);
        Ok(())
    }
}

/// A failed run: the error and the transaction state it left.
pub type QueryFailure = (Failure, rdsql_db::txn::Txn);

enum Command {
    Query(String, oneshot::Sender<Result<Output, QueryFailure>>),
    Close,
}

/// A session the browser can send statements to.
pub struct SessionHandle {
    tx: mpsc::UnboundedSender<Command>,
    thread: Option<std::thread::JoinHandle<()>>,
    running: Running,
}

/// What it takes to cancel the statement running now, if one is.
type Running = std::sync::Arc<
    std::sync::Mutex<
        Option<(
            rdsql_db::engine::Canceller,
            ConnectionSpec,
            std::sync::Arc<dyn rdsql_db::PasswordProvider>,
        )>,
    >,
>;

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
fn field_for(e: &rdsql_connect::Error, spec: &ConnectionSpec) -> Option<&'static str> {
    use rdsql_connect::Error as E;
    use rdsql_db::{Auth, ConnectFailure as F};
    let method = match spec {
        ConnectionSpec::Server(s) => Some(&s.auth),
        _ => None,
    };
    match e {
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

fn env(k: &str) -> Option<String> {
    std::env::var(k).ok()
}

fn label(spec: &ConnectionSpec) -> String {
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

/// Opens `spec` on a session thread; with `probe`, runs `select 1` and
/// closes it again (the dialog's Test button).
pub async fn open(
    spec: ConnectionSpec,
    probe: bool,
) -> Result<(Opened, Option<SessionHandle>), OpenError> {
    let (ready_tx, ready_rx) = oneshot::channel();
    let (tx, mut rx) = mpsc::unbounded_channel::<Command>();
    let running: Running = Default::default();
    let running_in = running.clone();
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
            let (mut conn, provider) = match rdsql_connect::open(&spec, &NoInteraction, &env).await
            {
                Ok(c) => c,
                Err(e @ rdsql_connect::Error::SignIn { .. }) => {
                    let _ = ready_tx.send(Err(OpenError::SignIn(Failure::from(e))));
                    return;
                }
                Err(e) => {
                    let field = field_for(&e, &spec);
                    let _ = ready_tx.send(Err(OpenError::Other(Failure::from(e), field)));
                    return;
                }
            };
            let connect_ms = started.elapsed().as_secs_f64() * 1000.0;
            if probe {
                let mut out = Output::default();
                if let Err(e) = conn.run("select 1", &mut out).await {
                    let _ = ready_tx.send(Err(OpenError::Other(Failure::query(e), None)));
                    conn.close().await;
                    return;
                }
            }
            let info = conn.session_info();
            let opened = Opened {
                label: label(&spec),
                engine: spec.engine().name().to_string(),
                tls: info.tls,
                server_version: info.server_version,
                connect_ms,
            };
            if ready_tx.send(Ok(opened)).is_err() || probe {
                conn.close().await;
                return;
            }
            let engine = spec.engine();
            let mut txn = rdsql_db::txn::Txn::Idle;
            while let Some(cmd) = rx.recv().await {
                match cmd {
                    Command::Query(sql, reply) => {
                        let started = std::time::Instant::now();
                        let mut out = Output::default();
                        // A session left open for hours: when the server
                        // dropped it, reconnect first — a new physical
                        // connection, so a fresh IAM token — and say so.
                        if !conn.alive().await {
                            match rdsql_db::Connection::connect(&spec, provider.as_ref()).await {
                                Ok(c) => {
                                    conn = c;
                                    out.reconnected = true;
                                    // The server rolled back what was open.
                                    txn = rdsql_db::txn::Txn::Idle;
                                }
                                Err(e) => {
                                    let _ = reply.send(Err((
                                        Failure::connect(e, Some(provider.describe())),
                                        rdsql_db::txn::Txn::Idle,
                                    )));
                                    continue;
                                }
                            }
                        }
                        let stmts: Vec<&str> = if engine == Engine::Sqlite {
                            vec![sql.as_str()]
                        } else {
                            rdsql_db::split::split_statements(&sql, engine)
                        };
                        let mut failed = None;
                        if let Ok(mut r) = running_in.lock() {
                            *r = Some((conn.canceller(), spec.clone(), provider.clone()));
                        }
                        for stmt in stmts {
                            match conn.run_statement(stmt, &mut out).await {
                                Ok(()) => txn = txn.after(stmt, engine, true),
                                Err(e) => {
                                    txn = txn.after(stmt, engine, false);
                                    failed = Some(Failure::query(e));
                                    break;
                                }
                            }
                        }
                        out.txn = txn;
                        if let Ok(mut r) = running_in.lock() {
                            *r = None;
                        }
                        out.elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
                        let _ = reply.send(match failed {
                            Some(f) => Err((f, txn)),
                            None => Ok(out),
                        });
                    }
                    Command::Close => break,
                }
            }
            conn.close().await;
        });
    });
    let opened = ready_rx.await.unwrap_or_else(|_| {
        Err(OpenError::Other(
            Failure::local("the session ended before it opened", vec![]),
            None,
        ))
    })?;
    let handle = (!probe).then_some(SessionHandle {
        tx,
        thread: Some(thread),
        running,
    });
    Ok((opened, handle))
}

/// A cheap handle to send statements to a session.
#[derive(Clone)]
pub struct SessionClient(mpsc::UnboundedSender<Command>);

impl SessionHandle {
    /// A client for this session (held without holding the session map).
    pub fn client(&self) -> SessionClient {
        SessionClient(self.tx.clone())
    }

    /// Asks the server to cancel the running statement (PostgreSQL cancel
    /// request, MySQL `KILL QUERY` to the same server), on a thread of its
    /// own; false when nothing runs.
    pub fn cancel(&self) -> bool {
        let Some((canceller, spec, provider)) = self.running.lock().ok().and_then(|r| r.clone())
        else {
            return false;
        };
        std::thread::spawn(move || {
            if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                let r = rt.block_on(async {
                    tokio::time::timeout(
                        std::time::Duration::from_secs(10),
                        canceller.cancel(&spec, provider.as_ref()),
                    )
                    .await
                });
                if !matches!(r, Ok(Ok(()))) {
                    tracing::warn!("the cancel request did not go through");
                }
            }
        });
        true
    }
}

impl SessionClient {
    /// Runs `sql` (one or more statements) on the session.
    pub async fn query(&self, sql: String) -> Result<Output, QueryFailure> {
        let (reply, rx) = oneshot::channel();
        let idle = rdsql_db::txn::Txn::Idle;
        self.0
            .send(Command::Query(sql, reply))
            .map_err(|_| (Failure::local("the session is closed", vec![]), idle))?;
        rx.await
            .unwrap_or_else(|_| Err((Failure::local("the session ended", vec![]), idle)))
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
