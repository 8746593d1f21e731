//! The streaming row model: engines push results into a [`ResultSink`] as
//! they arrive, so memory stays flat however many rows come back.

use std::io;

/// Receives the results of statements, in order.
pub trait ResultSink: Send {
    /// A result set starts; `columns` are its column names.
    fn begin_result(&mut self, columns: &[String]) -> io::Result<()>;
    /// The column types of the result set just begun, when the engine
    /// knows them (the UI shows them; the writers ignore them).
    fn column_types(&mut self, _types: &[String]) -> io::Result<()> {
        Ok(())
    }
    /// One row: each value in the server's text form, `None` for NULL.
    fn row(&mut self, values: &[Option<&[u8]>]) -> io::Result<()>;
    /// The current result set ended after `rows` rows.
    fn end_result(&mut self, rows: u64) -> io::Result<()>;
    /// A statement without a result set finished, affecting `rows` rows.
    fn command_complete(&mut self, rows: u64) -> io::Result<()>;
}
