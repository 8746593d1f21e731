//! PostgreSQL over `tokio-postgres`. Statements go through the simple query
//! protocol, so every value arrives in the server's own text form.

use super::{SessionInfo, find_io, io_failure, target};
use crate::error::{ConnectError, ConnectFailure, QueryError, TlsFailure};
use crate::kinds::SslMode;
use crate::password::PasswordProvider;
use crate::sink::ResultSink;
use crate::spec::ServerSpec;
use crate::tls;
use futures_util::StreamExt;
use tokio_postgres::SimpleQueryMessage;

/// An open PostgreSQL session.
pub struct PgConnection {
    client: tokio_postgres::Client,
    task: tokio::task::JoinHandle<()>,
    server_version: Option<String>,
    tls_requested: bool,
    /// Describe result columns before running (one more round trip).
    describe: bool,
}

impl PgConnection {
    /// Connects as `spec` says, asking `password` once.
    pub async fn connect(
        spec: &ServerSpec,
        password: &dyn PasswordProvider,
    ) -> Result<Self, ConnectError> {
        let fail = |failure| ConnectError {
            target: target(spec),
            failure,
        };
        let secret = password
            .password()
            .await
            .map_err(|e| fail(ConnectFailure::Password(e)))?;
        let tls_config = match tls::client_config(spec.sslmode, &spec.roots) {
            Ok(Some(c)) => c,
            // `disable` never negotiates TLS; any config will do.
            Ok(None) => tls::client_config(SslMode::Require, &spec.roots)
                .ok()
                .flatten()
                .ok_or_else(|| fail(ConnectFailure::Other("TLS setup failed".into())))?,
            Err(e) => return Err(fail(ConnectFailure::Tls(TlsFailure::Other(e.to_string())))),
        };

        // Through a tunnel, TCP goes to its local end; TLS and IAM keep
        // the real host (spec.tls_server_name()).
        let (dial_host, dial_port) = spec.dial().await.map_err(fail)?;
        let mut cfg = tokio_postgres::Config::new();
        cfg.host(&dial_host)
            .port(dial_port)
            .user(&spec.user)
            .application_name("rdsql")
            .ssl_mode(match spec.sslmode {
                SslMode::Disable => tokio_postgres::config::SslMode::Disable,
                SslMode::Prefer => tokio_postgres::config::SslMode::Prefer,
                _ => tokio_postgres::config::SslMode::Require,
            });
        // No password is no password, not an empty one: if the server asks,
        // the driver stops before answering, so the server records no
        // failed login (as psql). docs/connection-model.md, "Passwords".
        if !secret.expose().is_empty() {
            cfg.password(secret.expose());
        }
        if let Some(db) = &spec.dbname {
            cfg.dbname(db);
        }
        if let Some(t) = spec.connect_timeout {
            cfg.connect_timeout(t);
        }
        let tls = tls::NamedTls::new(tls_config, spec.tls_server_name());
        let (client, connection) = cfg
            .connect(tls)
            .await
            .map_err(|e| fail(classify_connect(&e, spec.tls_server_name())))?;
        drop(secret);
        let mut connection = connection;
        let task = tokio::spawn(async move {
            // Drive the connection and show server notices (RAISE NOTICE,
            // warnings) on stderr, as psql does.
            let mut messages = futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
            while let Some(m) = messages.next().await {
                match m {
                    Ok(tokio_postgres::AsyncMessage::Notice(n)) => {
                        eprintln!("{}:  {}", n.severity(), n.message());
                    }
                    Ok(_) => {}
                    Err(e) => {
                        tracing::debug!("postgres connection ended: {e}");
                        break;
                    }
                }
            }
        });
        let server_version = client
            .simple_query("SHOW server_version")
            .await
            .ok()
            .and_then(|msgs| {
                msgs.into_iter().find_map(|m| match m {
                    SimpleQueryMessage::Row(r) => r.get(0).map(str::to_string),
                    _ => None,
                })
            });
        Ok(PgConnection {
            client,
            task,
            server_version,
            tls_requested: spec.sslmode != SslMode::Disable,
            describe: false,
        })
    }

    /// Whether [`Self::run`] reports column types: the simple protocol
    /// does not carry them, so a query is described first (docs/ui.md).
    pub fn set_describe(&mut self, on: bool) {
        self.describe = on;
    }

    /// Column type names of a query, by preparing it; only for statements
    /// that return rows (a failed prepare inside a transaction block would
    /// abort it, and these would fail the same way when run).
    async fn describe(&self, sql: &str) -> Option<Vec<String>> {
        let first = crate::txn::leading_words(sql, crate::Engine::Postgres, 1);
        if !matches!(
            first.first().map(String::as_str),
            Some("select" | "with" | "table" | "values")
        ) {
            return None;
        }
        let stmt = self.client.prepare(sql).await.ok()?;
        Some(
            stmt.columns()
                .iter()
                .map(|c| c.type_().name().to_string())
                .collect(),
        )
    }

    /// Runs one statement (or a `;`-separated batch the server splits).
    pub async fn run(&mut self, sql: &str, sink: &mut dyn ResultSink) -> Result<(), QueryError> {
        let types = if self.describe {
            self.describe(sql).await
        } else {
            None
        };
        let stream = self
            .client
            .simple_query_raw(sql)
            .await
            .map_err(query_error)?;
        futures_util::pin_mut!(stream);
        let mut in_result = false;
        let mut rows = 0u64;
        while let Some(msg) = stream.next().await {
            match msg.map_err(query_error)? {
                SimpleQueryMessage::RowDescription(cols) => {
                    let names: Vec<String> = cols.iter().map(|c| c.name().to_string()).collect();
                    sink.begin_result(&names)?;
                    if let Some(t) = types.as_ref().filter(|t| t.len() == names.len()) {
                        sink.column_types(t)?;
                    }
                    in_result = true;
                    rows = 0;
                }
                SimpleQueryMessage::Row(row) => {
                    let values: Vec<Option<&[u8]>> = (0..row.len())
                        .map(|i| row.get(i).map(str::as_bytes))
                        .collect();
                    sink.row(&values)?;
                    rows += 1;
                }
                SimpleQueryMessage::CommandComplete(n) => {
                    if in_result {
                        sink.end_result(rows)?;
                        in_result = false;
                    } else {
                        sink.command_complete(n)?;
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Facts about the session.
    pub fn session_info(&self) -> SessionInfo {
        SessionInfo {
            tls: self.tls_requested.then(|| "requested".to_string()),
            server_version: self.server_version.clone(),
        }
    }

    /// A cancel token for Ctrl-C handling.
    pub fn client(&self) -> &tokio_postgres::Client {
        &self.client
    }
}

impl Drop for PgConnection {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn classify_connect(e: &tokio_postgres::Error, host: &str) -> ConnectFailure {
    if let Some(db) = e.as_db_error() {
        let code = db.code().code().to_string();
        let message = db.message().to_string();
        // 28P01 invalid_password, 28000 invalid_authorization_specification.
        return if code.starts_with("28") {
            ConnectFailure::AuthRejected { code, message }
        } else {
            ConnectFailure::Server { code, message }
        };
    }
    if let Some(t) = tls::classify(e, host) {
        return ConnectFailure::Tls(t);
    }
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = cur {
        if s.to_string() == "password missing" {
            return ConnectFailure::PasswordRequired;
        }
        cur = s.source();
    }
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = cur {
        if s.to_string() == "server does not support TLS" {
            return ConnectFailure::Tls(TlsFailure::ServerHasNoTls);
        }
        cur = s.source();
    }
    if let Some(io) = find_io(e) {
        let msg = io.to_string();
        if msg.contains("lookup") || msg.contains("resolve") {
            return ConnectFailure::Resolve(msg);
        }
        return io_failure(io);
    }
    ConnectFailure::Other(e.to_string())
}

pub(crate) fn query_error(e: tokio_postgres::Error) -> QueryError {
    if let Some(db) = e.as_db_error() {
        // FATAL ends the session (shutdown, terminated backend): the
        // connection is gone, not just the statement.
        if matches!(db.severity(), "FATAL" | "PANIC") {
            return QueryError::ConnectionLost(format!("{} [{}]", db.message(), db.code().code()));
        }
        return QueryError::Server {
            code: db.code().code().to_string(),
            message: db.message().to_string(),
            detail: db.detail().map(str::to_string),
            hint: db.hint().map(str::to_string),
        };
    }
    QueryError::ConnectionLost(e.to_string())
}
