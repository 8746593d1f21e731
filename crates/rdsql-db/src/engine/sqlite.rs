//! SQLite through `rusqlite` (bundled): the embedded engine that needs no
//! server.

use super::SessionInfo;
use crate::error::{ConnectError, ConnectFailure, QueryError, Target};
use crate::kinds::{AuthMethod, Engine, SslMode};
use crate::sink::ResultSink;
use rusqlite::fallible_iterator::FallibleIterator;
use rusqlite::types::ValueRef;

/// An open SQLite database.
pub struct SqliteConnection {
    conn: rusqlite::Connection,
}

impl SqliteConnection {
    /// Opens (or creates) the database file, or an in-memory database.
    pub fn open(path: &str) -> Result<Self, ConnectError> {
        let conn = if path == ":memory:" {
            rusqlite::Connection::open_in_memory()
        } else {
            rusqlite::Connection::open(path)
        };
        conn.map(|conn| SqliteConnection { conn })
            .map_err(|e| ConnectError {
                target: Target {
                    engine: Engine::Sqlite,
                    host_port: path.to_string(),
                    user: String::new(),
                    dbname: Some(path.to_string()),
                    auth: AuthMethod::Password,
                    sslmode: SslMode::Disable,
                },
                failure: ConnectFailure::Sqlite(e.to_string()),
            })
    }

    /// Runs every statement of `sql` in order.
    pub fn run(&mut self, sql: &str, sink: &mut dyn ResultSink) -> Result<(), QueryError> {
        let mut batch = rusqlite::Batch::new(&self.conn, sql);
        while let Some(mut stmt) = batch.next().map_err(query_error)? {
            let ncols = stmt.column_count();
            if ncols == 0 {
                stmt.raw_execute().map_err(query_error)?;
                sink.command_complete(self.conn.changes())?;
                continue;
            }
            let names: Vec<String> = stmt
                .column_names()
                .into_iter()
                .map(str::to_string)
                .collect();
            // Declared types, as the table's DDL spells them ("" for an
            // expression).
            let types: Vec<String> = stmt
                .columns()
                .iter()
                .map(|c| c.decl_type().unwrap_or("").to_lowercase())
                .collect();
            sink.begin_result(&names)?;
            // An expression has no declared type: the first row's storage
            // class stands in for it.
            let mut pending_types = if types.iter().any(String::is_empty) {
                Some(types)
            } else {
                sink.column_types(&types)?;
                None
            };
            let mut rows = stmt.raw_query();
            let mut n = 0u64;
            let mut text: Vec<Option<Vec<u8>>> = vec![None; ncols];
            while let Some(row) = rows.next().map_err(query_error)? {
                if let Some(mut t) = pending_types.take() {
                    for (i, slot) in t.iter_mut().enumerate() {
                        if slot.is_empty() {
                            *slot = match row.get_ref(i).map_err(query_error)? {
                                ValueRef::Integer(_) => "integer",
                                ValueRef::Real(_) => "real",
                                ValueRef::Blob(_) => "blob",
                                _ => "",
                            }
                            .to_string();
                        }
                    }
                    sink.column_types(&t)?;
                }
                let mut values: Vec<Option<&[u8]>> = Vec::with_capacity(ncols);
                // Numbers need formatting into owned buffers first.
                for (i, slot) in text.iter_mut().enumerate() {
                    *slot = match row.get_ref(i).map_err(query_error)? {
                        ValueRef::Integer(v) => Some(v.to_string().into_bytes()),
                        ValueRef::Real(v) => Some(format_real(v).into_bytes()),
                        _ => None,
                    };
                }
                for (i, slot) in text.iter().enumerate() {
                    values.push(match row.get_ref(i).map_err(query_error)? {
                        ValueRef::Null => None,
                        ValueRef::Text(t) | ValueRef::Blob(t) => Some(t),
                        ValueRef::Integer(_) | ValueRef::Real(_) => slot.as_deref(),
                    });
                }
                sink.row(&values)?;
                n += 1;
            }
            sink.end_result(n)?;
        }
        Ok(())
    }

    /// Facts about the session.
    pub fn session_info(&self) -> SessionInfo {
        SessionInfo {
            tls: None,
            server_version: Some(rusqlite::version().to_string()),
        }
    }
}

/// Reals print as SQLite's CLI prints them: integral values keep a `.0`.
fn format_real(v: f64) -> String {
    if v.is_finite() && v == v.trunc() && v.abs() < 1e15 {
        format!("{v:.1}")
    } else {
        format!("{v}")
    }
}

fn query_error(e: rusqlite::Error) -> QueryError {
    match e {
        rusqlite::Error::SqliteFailure(f, msg) => QueryError::Server {
            code: format!("SQLITE {}", f.extended_code),
            message: msg.unwrap_or_else(|| f.to_string()),
            detail: None,
            hint: None,
        },
        other => QueryError::Server {
            code: "SQLITE".into(),
            message: other.to_string(),
            detail: None,
            hint: None,
        },
    }
}
