//! Bulk transfer between a local file and a table: PostgreSQL's COPY
//! protocol both ways, MySQL's `LOAD DATA LOCAL INFILE` inwards. Used by the
//! shell's `\copy` (docs/shell.md, "\copy").

use super::Connection;
use crate::error::QueryError;
use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use std::io::{Read, Write};

/// Chunk size for streaming a file: large enough for throughput, small
/// enough that memory stays flat on any file size.
const CHUNK: usize = 256 * 1024;

impl Connection {
    /// PostgreSQL `COPY … FROM STDIN`: streams `input` to the server and
    /// returns the number of rows it stored. An error reading `input`
    /// aborts the COPY, so nothing is half-loaded.
    pub async fn copy_in(&mut self, sql: &str, input: &mut dyn Read) -> Result<u64, QueryError> {
        let Connection::Postgres(c) = self else {
            return Err(not_postgres());
        };
        let sink = c
            .client()
            .copy_in::<_, Bytes>(sql)
            .await
            .map_err(super::postgres::query_error)?;
        futures_util::pin_mut!(sink);
        let mut buf = vec![0u8; CHUNK];
        loop {
            let n = match input.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                // Dropping the sink without finish() sends CopyFail: the
                // server rolls the COPY back.
                Err(e) => return Err(QueryError::Output(e)),
            };
            sink.send(Bytes::copy_from_slice(&buf[..n]))
                .await
                .map_err(super::postgres::query_error)?;
        }
        sink.as_mut()
            .finish()
            .await
            .map_err(super::postgres::query_error)
    }

    /// PostgreSQL `COPY … TO STDOUT`: streams the server's data into `out`
    /// and returns the number of CopyData messages — the server sends one
    /// per row, and one for a header line.
    pub async fn copy_out(&mut self, sql: &str, out: &mut dyn Write) -> Result<u64, QueryError> {
        let Connection::Postgres(c) = self else {
            return Err(not_postgres());
        };
        let stream = c
            .client()
            .copy_out(sql)
            .await
            .map_err(super::postgres::query_error)?;
        futures_util::pin_mut!(stream);
        let mut messages = 0u64;
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(super::postgres::query_error)?;
            out.write_all(&chunk)?;
            messages += 1;
        }
        out.flush()?;
        Ok(messages)
    }

    /// MySQL/MariaDB `LOAD DATA LOCAL INFILE …`: answers the server's
    /// request for a local file with `path` and nothing else, for this one
    /// statement. Without this call rdsql refuses every such request, so a
    /// server can never read a file the user did not name.
    pub async fn load_data_local(
        &mut self,
        sql: &str,
        path: std::path::PathBuf,
    ) -> Result<u64, QueryError> {
        let Connection::Mysql(c) = self else {
            return Err(QueryError::Server {
                code: "rdsql".into(),
                message: "LOAD DATA LOCAL is for MySQL and MariaDB".into(),
                detail: None,
                hint: None,
            });
        };
        c.load_data_local(sql, path).await
    }
}

fn not_postgres() -> QueryError {
    QueryError::Server {
        code: "rdsql".into(),
        message: "the COPY protocol is PostgreSQL's".into(),
        detail: None,
        hint: None,
    }
}

/// Reads a file in chunks as a stream of `Bytes` (for the MySQL driver's
/// LOCAL INFILE handler, which wants an owned `'static` stream).
pub(crate) fn file_chunks(
    file: std::fs::File,
) -> impl futures_util::Stream<Item = std::io::Result<Bytes>> + Send + 'static {
    futures_util::stream::unfold(Some(file), |state| async move {
        let mut file = state?;
        let mut buf = vec![0u8; CHUNK];
        loop {
            match file.read(&mut buf) {
                Ok(0) => return None,
                Ok(n) => {
                    buf.truncate(n);
                    return Some((Ok(Bytes::from(buf)), Some(file)));
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Some((Err(e), None)),
            }
        }
    })
}
