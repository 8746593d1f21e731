//! Tab-separated values in PostgreSQL COPY text form: `\\ \t \n \r`
//! escaped, NULL as `\N`, so every value round-trips.

use crate::Status;
use rdsql_db::ResultSink;
use std::io::{self, Write};

pub struct TsvWriter<'a> {
    out: Box<dyn Write + Send + 'a>,
    status: Status,
}

impl<'a> TsvWriter<'a> {
    pub fn new(out: Box<dyn Write + Send + 'a>, status: Status) -> Self {
        TsvWriter { out, status }
    }
}

fn write_escaped(out: &mut dyn Write, v: &[u8]) -> io::Result<()> {
    let mut start = 0;
    for (i, &c) in v.iter().enumerate() {
        let esc: &[u8] = match c {
            b'\\' => b"\\\\",
            b'\t' => b"\\t",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            _ => continue,
        };
        out.write_all(&v[start..i])?;
        out.write_all(esc)?;
        start = i + 1;
    }
    out.write_all(&v[start..])
}

impl ResultSink for TsvWriter<'_> {
    fn begin_result(&mut self, columns: &[String]) -> io::Result<()> {
        for (i, c) in columns.iter().enumerate() {
            if i > 0 {
                self.out.write_all(b"\t")?;
            }
            write_escaped(&mut self.out, c.as_bytes())?;
        }
        self.out.write_all(b"\n")
    }
    fn row(&mut self, values: &[Option<&[u8]>]) -> io::Result<()> {
        for (i, v) in values.iter().enumerate() {
            if i > 0 {
                self.out.write_all(b"\t")?;
            }
            match v {
                Some(v) => write_escaped(&mut self.out, v)?,
                None => self.out.write_all(b"\\N")?,
            }
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
