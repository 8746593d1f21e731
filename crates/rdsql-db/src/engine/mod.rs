//! One module per engine behind a common [`Connection`].

mod copy;
pub mod mysql;
pub mod postgres;
pub mod sqlite;

use crate::error::{ConnectError, ConnectFailure, QueryError, Target};
use crate::kinds::{Engine, Protocol};
use crate::password::PasswordProvider;
use crate::sink::ResultSink;
use crate::spec::{ConnectionSpec, ServerSpec};
use crate::split::split_statements;

/// Facts about an open connection, for `\conninfo`-style reports.
#[derive(Debug, Clone, Default)]
pub struct SessionInfo {
    /// e.g. "TLSv1.3 TLS13_AES_256_GCM_SHA384", or None when unencrypted.
    pub tls: Option<String>,
    pub server_version: Option<String>,
}

/// An open connection to one of the engines.
pub enum Connection {
    Postgres(postgres::PgConnection),
    Mysql(mysql::MyConnection),
    Sqlite(sqlite::SqliteConnection),
}

impl Connection {
    /// Opens a connection. For servers, `password` is asked once for this
    /// physical connection; after an authentication failure, if the provider
    /// says a fresh secret may help, one more attempt is made.
    pub async fn connect(
        spec: &ConnectionSpec,
        password: &dyn PasswordProvider,
    ) -> Result<Connection, ConnectError> {
        match spec {
            ConnectionSpec::Sqlite { path } => {
                sqlite::SqliteConnection::open(path).map(Connection::Sqlite)
            }
            ConnectionSpec::Server(s) => {
                // Credentials are fetched outside the connect timeout.
                let prepare = || async {
                    password.prepare().await.map_err(|e| ConnectError {
                        target: target(s),
                        failure: ConnectFailure::Password(e),
                    })
                };
                prepare().await?;
                match Self::connect_server(s, password).await {
                    Err(ConnectError {
                        failure: ConnectFailure::AuthRejected { .. },
                        ..
                    }) if password.invalidate() => {
                        tracing::info!("authentication failed; retrying once with a fresh token");
                        prepare().await?;
                        Self::connect_server(s, password).await
                    }
                    other => other,
                }
            }
        }
    }

    async fn connect_server(
        s: &ServerSpec,
        password: &dyn PasswordProvider,
    ) -> Result<Connection, ConnectError> {
        let fut = async {
            match s.engine.protocol() {
                Protocol::Postgres => postgres::PgConnection::connect(s, password)
                    .await
                    .map(Connection::Postgres),
                Protocol::Mysql => mysql::MyConnection::connect(s, password)
                    .await
                    .map(Connection::Mysql),
                // A server spec never has the SQLite engine (resolve).
                Protocol::Sqlite => Err(ConnectError {
                    target: target(s),
                    failure: ConnectFailure::Io("SQLite is a file, not a server".into()),
                }),
            }
        };
        match s.connect_timeout {
            Some(t) => tokio::time::timeout(t, fut).await.unwrap_or_else(|_| {
                Err(ConnectError {
                    target: target(s),
                    failure: ConnectFailure::TimedOut(t),
                })
            }),
            None => fut.await,
        }
    }

    /// The engine of this connection.
    pub fn engine(&self) -> Engine {
        match self {
            Connection::Postgres(_) => Engine::Postgres,
            Connection::Mysql(c) => c.engine(),
            Connection::Sqlite(_) => Engine::Sqlite,
        }
    }

    /// Runs the statements in `sql` one after another, streaming results
    /// into `sink`; stops at the first failing statement.
    pub async fn run(&mut self, sql: &str, sink: &mut dyn ResultSink) -> Result<(), QueryError> {
        match self {
            // SQLite parses statement boundaries itself (triggers contain ';').
            Connection::Sqlite(c) => c.run(sql, sink),
            Connection::Postgres(c) => {
                for stmt in split_statements(sql, Engine::Postgres) {
                    c.run(stmt, sink).await?;
                }
                Ok(())
            }
            Connection::Mysql(c) => {
                for stmt in split_statements(sql, c.engine()) {
                    c.run(stmt, sink).await?;
                }
                Ok(())
            }
        }
    }

    /// Runs one statement as it is (not split again): a statement from a
    /// [`crate::split::StatementReader`], whose `;` inside a trigger body
    /// under a MySQL `DELIMITER` must reach the server untouched.
    pub async fn run_statement(
        &mut self,
        stmt: &str,
        sink: &mut dyn ResultSink,
    ) -> Result<(), QueryError> {
        match self {
            Connection::Sqlite(c) => c.run(stmt, sink),
            Connection::Postgres(c) => c.run(stmt, sink).await,
            Connection::Mysql(c) => c.run(stmt, sink).await,
        }
    }

    /// TLS and server facts.
    pub fn session_info(&self) -> SessionInfo {
        match self {
            Connection::Postgres(c) => c.session_info(),
            Connection::Mysql(c) => c.session_info(),
            Connection::Sqlite(c) => c.session_info(),
        }
    }
}

/// Cancels the statement running on a connection, from outside it.
#[derive(Clone)]
pub enum Canceller {
    /// tokio-postgres keeps the session's resolved address and TLS mode.
    Postgres(tokio_postgres::CancelToken),
    /// The session's id and the server address it reached.
    Mysql(u32, std::net::IpAddr),
    None,
}

impl Connection {
    /// A handle that can cancel this connection's running statement.
    pub fn canceller(&self) -> Canceller {
        match self {
            Connection::Postgres(c) => Canceller::Postgres(c.client().cancel_token()),
            Connection::Mysql(c) => c
                .connection_id()
                .map(|id| Canceller::Mysql(id, c.peer()))
                .unwrap_or(Canceller::None),
            Connection::Sqlite(_) => Canceller::None,
        }
    }

    /// True when the server side is known to be gone (PostgreSQL only;
    /// MySQL finds out at the next statement).
    pub fn is_closed(&self) -> bool {
        match self {
            Connection::Postgres(c) => c.client().is_closed(),
            _ => false,
        }
    }

    /// Checks that the server still answers (MySQL `COM_PING`; PostgreSQL
    /// and SQLite use what the driver already knows).
    pub async fn alive(&mut self) -> bool {
        match self {
            Connection::Postgres(c) => !c.client().is_closed(),
            Connection::Mysql(c) => c.ping().await,
            Connection::Sqlite(_) => true,
        }
    }

    /// Closes politely.
    pub async fn close(self) {
        if let Connection::Mysql(mut m) = self {
            m.close().await;
        }
    }
}

impl Canceller {
    /// PostgreSQL: a cancel request over the session's TLS settings to the
    /// address the session reached; MySQL: `KILL QUERY` on a side
    /// connection to that same address, with the same spec and password
    /// provider.
    pub async fn cancel(
        &self,
        spec: &ConnectionSpec,
        password: &dyn PasswordProvider,
    ) -> Result<(), String> {
        match (self, spec) {
            (Canceller::Postgres(token), ConnectionSpec::Server(s)) => {
                let mode = if s.sslmode == crate::SslMode::Disable {
                    crate::SslMode::Require
                } else {
                    s.sslmode
                };
                let config = crate::tls::client_config(mode, &s.roots)
                    .map_err(|e| e.to_string())?
                    .ok_or("no TLS config")?;
                token
                    .cancel_query(crate::tls::NamedTls::new(config, s.tls_server_name()))
                    .await
                    .map_err(|e| e.to_string())
            }
            (Canceller::Mysql(id, peer), ConnectionSpec::Server(s)) => {
                let mut side = Connection::Mysql(
                    mysql::MyConnection::connect_at(s, password, Some(*peer))
                        .await
                        .map_err(|e| e.to_string())?,
                );
                struct Discard;
                impl ResultSink for Discard {
                    fn begin_result(&mut self, _: &[String]) -> std::io::Result<()> {
                        Ok(())
                    }
                    fn row(&mut self, _: &[Option<&[u8]>]) -> std::io::Result<()> {
                        Ok(())
                    }
                    fn end_result(&mut self, _: u64) -> std::io::Result<()> {
                        Ok(())
                    }
                    fn command_complete(&mut self, _: u64) -> std::io::Result<()> {
                        Ok(())
                    }
                }
                let r = side
                    .run(&format!("KILL QUERY {id}"), &mut Discard)
                    .await
                    .map_err(|e| e.to_string());
                side.close().await;
                r
            }
            _ => Err("this connection cannot cancel statements".into()),
        }
    }
}

/// The message-safe description of a server spec.
pub fn target(s: &ServerSpec) -> Target {
    Target {
        engine: s.engine,
        host_port: s.host_port(),
        user: s.user.clone(),
        dbname: s.dbname.clone(),
        auth: s.auth.method(),
        sslmode: s.sslmode,
    }
}

/// Maps a socket-level error to a connect failure.
pub(crate) fn io_failure(e: &std::io::Error) -> ConnectFailure {
    match e.kind() {
        std::io::ErrorKind::ConnectionRefused => ConnectFailure::Refused,
        std::io::ErrorKind::TimedOut => ConnectFailure::TimedOut(std::time::Duration::ZERO),
        _ => ConnectFailure::Io(e.to_string()),
    }
}

/// Finds an `io::Error` in a source chain.
pub(crate) fn find_io<'a>(
    err: &'a (dyn std::error::Error + 'static),
) -> Option<&'a std::io::Error> {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = cur {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            return Some(io);
        }
        cur = e.source();
    }
    None
}

impl Connection {
    /// Makes results report column types where that costs a round trip
    /// (PostgreSQL describes each query first); the UI wants them, the CLI
    /// does not pay for them.
    pub fn set_describe(&mut self, on: bool) {
        if let Connection::Postgres(c) = self {
            c.set_describe(on);
        }
    }
}
