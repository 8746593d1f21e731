//! A [`Session`]: an open connection with what it was opened with (spec,
//! password provider) and what the client knows of its state (transaction,
//! session settings). `rdsql query`, the shell and the UI all run SQL
//! through it, so they split statements, cancel and reconnect by one rule
//! (docs/sessions.md).

use crate::{Error, Interaction};
use rdsql_db::txn::{Txn, leading_words};
use rdsql_db::{Connection, ConnectionSpec, Engine, PasswordProvider, QueryError, ResultSink};
use std::sync::Arc;

/// An open session and the state a reconnect would lose.
pub struct Session {
    spec: ConnectionSpec,
    provider: Arc<dyn PasswordProvider>,
    conn: Option<Connection>,
    txn: Txn,
    /// Session state a reconnect would lose (SET, USE, \c, temporary
    /// tables…), in the user's words.
    state: Vec<String>,
    describe: bool,
}

/// Cancels the statement running on a session, from anywhere: the
/// engine's cancel key with the spec and password provider it needs.
#[derive(Clone)]
pub struct CancelHandle {
    canceller: rdsql_db::engine::Canceller,
    spec: ConnectionSpec,
    provider: Arc<dyn PasswordProvider>,
}

impl CancelHandle {
    /// Sends the cancel (PostgreSQL cancel request, MySQL `KILL QUERY` to
    /// the same server address).
    pub async fn cancel(&self) -> Result<(), String> {
        self.canceller
            .cancel(&self.spec, self.provider.as_ref())
            .await
    }
}

/// How the session stands before a statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ready {
    /// The connection was alive.
    Alive,
    /// It was gone and a new one replaced it; nothing was lost.
    Reconnected,
}

/// Why a statement was not run.
#[derive(Debug)]
pub enum NotRun {
    /// The connection was gone and a new one replaced it, but the old one
    /// held a transaction or session state the new one lacks: running the
    /// statement there could do something else than meant.
    Lost(Vec<String>),
    /// The connection was gone and could not be opened again.
    Reconnect(Box<Error>),
}

/// The words every surface uses for a statement not run after a reconnect.
pub const NOT_RUN: &str =
    "The statement was not run: check the data, then run what you still want.";

impl NotRun {
    /// The lines that explain it (the shell prints them; the UI shows them
    /// as the error's causes), after "The connection was lost; reconnected
    /// to …".
    pub fn lines(&self) -> Vec<String> {
        match self {
            NotRun::Lost(lost) => {
                let mut l = lost.clone();
                l.push(NOT_RUN.to_string());
                l
            }
            NotRun::Reconnect(_) => vec![],
        }
    }
}

impl Session {
    /// Resolves nothing: opens `spec` with the password provider its
    /// method calls for, asking `ui` where a person is needed.
    pub async fn open(
        spec: ConnectionSpec,
        ui: &dyn Interaction,
        env: &(dyn Fn(&str) -> Option<String> + Sync),
    ) -> Result<Session, Error> {
        let (conn, provider) = crate::open(&spec, ui, env).await?;
        Ok(Session::new(spec, conn, provider))
    }

    /// A session over a connection opened already.
    pub fn new(
        spec: ConnectionSpec,
        conn: Connection,
        provider: Arc<dyn PasswordProvider>,
    ) -> Session {
        Session {
            spec,
            provider,
            conn: Some(conn),
            txn: Txn::Idle,
            state: vec![],
            describe: false,
        }
    }

    pub fn spec(&self) -> &ConnectionSpec {
        &self.spec
    }

    pub fn engine(&self) -> Engine {
        self.spec.engine()
    }

    /// The password provider that worked (it describes where the password
    /// came from, and when its token was made).
    pub fn provider(&self) -> &Arc<dyn PasswordProvider> {
        &self.provider
    }

    /// Where the transaction stands, as far as the statements run tell.
    pub fn txn(&self) -> Txn {
        self.txn
    }

    /// Session state a reconnect would lose, in the user's words.
    pub fn state(&self) -> &[String] {
        &self.state
    }

    /// The open connection (for COPY and other engine-specific work; call
    /// [`Session::track`] after). None after the connection was lost.
    pub fn connection(&mut self) -> Option<&mut Connection> {
        self.conn.as_mut()
    }

    /// TLS and server facts of the open connection.
    pub fn info(&self) -> rdsql_db::engine::SessionInfo {
        self.conn
            .as_ref()
            .map(Connection::session_info)
            .unwrap_or_default()
    }

    /// Makes results report column types (see
    /// [`Connection::set_describe`]); kept across reconnects.
    pub fn set_describe(&mut self, on: bool) {
        self.describe = on;
        if let Some(c) = &mut self.conn {
            c.set_describe(on);
        }
    }

    /// The statements of `sql`, split once here for every surface: SQLite
    /// parses its own boundaries (a trigger body holds `;`), so its text
    /// goes whole.
    pub fn statements<'a>(&self, sql: &'a str) -> Vec<&'a str> {
        statements(sql, self.engine())
    }

    /// A handle that cancels the statement running now (None when the
    /// engine cannot cancel, or nothing is connected).
    pub fn cancel_handle(&self) -> Option<CancelHandle> {
        let canceller = self.conn.as_ref()?.canceller();
        if matches!(canceller, rdsql_db::engine::Canceller::None) {
            return None;
        }
        Some(CancelHandle {
            canceller,
            spec: self.spec.clone(),
            provider: self.provider.clone(),
        })
    }

    /// Makes sure a live connection is there before a statement: when the
    /// server dropped it, reconnects once — a new physical connection, so
    /// a fresh IAM token — to the database the session was last in. The
    /// statement may run after [`Ready::Reconnected`]; never after
    /// [`NotRun::Lost`] (docs/sessions.md).
    pub async fn ensure_connected(&mut self) -> Result<Ready, NotRun> {
        if let Some(c) = self.conn.as_mut() {
            // Let the driver notice a closed socket before asking it.
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            if c.alive().await {
                return Ok(Ready::Alive);
            }
        }
        self.conn = None;
        self.provider.invalidate();
        let conn = Connection::connect(&self.spec, self.provider.as_ref())
            .await
            .map_err(|error| {
                NotRun::Reconnect(Box::new(Error::Connect {
                    error,
                    tried: Some(self.provider.describe()),
                }))
            })?;
        self.conn = Some(conn);
        self.set_describe(self.describe);
        let mut lost = vec![];
        match self.txn {
            Txn::Idle => {}
            Txn::Open => lost.push("the open transaction was rolled back by the server".into()),
            Txn::Failed => lost.push("the failed transaction was rolled back by the server".into()),
        }
        if !self.state.is_empty() {
            lost.push(format!("session state is gone: {}", self.state.join(", ")));
        }
        self.txn = Txn::Idle;
        self.state.clear();
        if lost.is_empty() {
            Ok(Ready::Reconnected)
        } else {
            Err(NotRun::Lost(lost))
        }
    }

    /// Runs one statement as it is, streaming into `sink`, and follows what
    /// it did to the transaction and the session. A lost connection is
    /// dropped (the next [`Session::ensure_connected`] reconnects); the
    /// statement is never run again.
    pub async fn run_statement(
        &mut self,
        stmt: &str,
        sink: &mut dyn ResultSink,
    ) -> Result<(), QueryError> {
        let Some(conn) = self.conn.as_mut() else {
            return Err(QueryError::ConnectionLost(
                "not connected (the next statement reconnects)".into(),
            ));
        };
        let result = conn.run_statement(stmt, sink).await;
        match &result {
            Ok(()) => self.track(stmt, true),
            Err(QueryError::ConnectionLost(_)) => {
                self.conn = None;
                // Whatever it was, it may have changed the session.
                self.track(stmt, true);
            }
            Err(_) => self.track(stmt, false),
        }
        result
    }

    /// Notes that the connection is gone (a caller working on
    /// [`Session::connection`] saw it).
    pub fn connection_lost(&mut self) {
        self.conn = None;
    }

    /// Follows BEGIN/COMMIT/ROLLBACK and session-state statements in
    /// `sql` (it may hold several: SQLite) that ran (`ok`) or failed.
    pub fn track(&mut self, sql: &str, ok: bool) {
        let engine = self.engine();
        for stmt in rdsql_db::split::split_statements(sql, engine) {
            self.txn = self.txn.after(stmt, engine, ok);
            if ok {
                self.track_state(stmt);
            }
        }
    }

    /// Notes statements whose effect lives in the session only, and
    /// follows `USE` so a reconnect lands in the same database.
    fn track_state(&mut self, stmt: &str) {
        let engine = self.engine();
        let words = leading_words(stmt, engine, 4);
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
                Some(format!("USE {db}"))
            }
            ("create", "temp" | "temporary") | ("create", "global" | "local")
                if words.iter().any(|x| x.starts_with("temp")) =>
            {
                Some("temporary tables".to_string())
            }
            ("prepare", _) => Some("prepared statements".to_string()),
            ("listen", _) => Some("LISTEN".to_string()),
            ("lock", _) if engine.is_mysql_family() => Some("table locks".to_string()),
            _ => None,
        };
        if let Some(n) = note
            && !self.state.contains(&n)
        {
            self.state.push(n);
        }
    }

    /// Opens a new session on database `db` of the same server with the
    /// same credentials (`\c DB`) and replaces this one with it; what the
    /// old session held is gone, and a reconnect returns to `db`.
    pub async fn switch_database(&mut self, db: &str) -> Result<(), Error> {
        let ConnectionSpec::Server(s) = &self.spec else {
            return Err(Error::setup(
                "SQLite has one database per file",
                vec!["start rdsql shell sqlite:OTHER.db".into()],
            ));
        };
        let mut s = s.clone();
        s.dbname = Some(db.to_string());
        let spec = ConnectionSpec::Server(s);
        let conn = Connection::connect(&spec, self.provider.as_ref())
            .await
            .map_err(|error| Error::Connect {
                error,
                tried: Some(self.provider.describe()),
            })?;
        if let Some(old) = self.conn.replace(conn) {
            old.close().await;
        }
        self.spec = spec;
        self.set_describe(self.describe);
        self.txn = Txn::Idle;
        self.state = vec![format!("\\c {db}")];
        Ok(())
    }

    /// Closes politely.
    pub async fn close(mut self) {
        if let Some(c) = self.conn.take() {
            c.close().await;
        }
    }
}

/// The statements of `sql` for `engine` (see [`Session::statements`]).
pub fn statements(sql: &str, engine: Engine) -> Vec<&str> {
    match engine {
        Engine::Sqlite => vec![sql],
        Engine::Postgres | Engine::Mysql | Engine::Mariadb => {
            rdsql_db::split::split_statements(sql, engine)
        }
    }
}
