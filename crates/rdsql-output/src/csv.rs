//! CSV exactly as `psql --csv` prints it.

use crate::Status;
use rdsql_db::ResultSink;
use std::io::{self, Write};

pub struct CsvWriter<'a> {
    out: Box<dyn Write + Send + 'a>,
    status: Status,
}

impl<'a> CsvWriter<'a> {
    pub fn new(out: Box<dyn Write + Send + 'a>, status: Status) -> Self {
        CsvWriter { out, status }
    }
}

/// psql quotes a field holding the separator, a quote, CR or LF, or one
/// that is exactly `\.` (COPY's end marker); NULL and '' both print empty.
pub fn write_field(out: &mut dyn Write, v: &[u8]) -> io::Result<()> {
    let needs = v.iter().any(|&c| matches!(c, b',' | b'"' | b'\r' | b'\n')) || v == b"\\.";
    if !needs {
        return out.write_all(v);
    }
    out.write_all(b"\"")?;
    for part in v.split(|&c| c == b'"').enumerate() {
        if part.0 > 0 {
            out.write_all(b"\"\"")?;
        }
        out.write_all(part.1)?;
    }
    out.write_all(b"\"")
}

impl ResultSink for CsvWriter<'_> {
    fn begin_result(&mut self, columns: &[String]) -> io::Result<()> {
        for (i, c) in columns.iter().enumerate() {
            if i > 0 {
                self.out.write_all(b",")?;
            }
            write_field(&mut self.out, c.as_bytes())?;
        }
        self.out.write_all(b"\n")
    }
    fn row(&mut self, values: &[Option<&[u8]>]) -> io::Result<()> {
        for (i, v) in values.iter().enumerate() {
            if i > 0 {
                self.out.write_all(b",")?;
            }
            write_field(&mut self.out, v.unwrap_or_default())?;
        }
        self.out.write_all(b"\n")
    }
    fn end_result(&mut self, _rows: u64) -> io::Result<()> {
        self.out.flush()
    }
    fn command_complete(&mut self, rows: u64) -> io::Result<()> {
        self.out.flush()?;
        self.status.affected(rows);
        Ok(())
    }
}
