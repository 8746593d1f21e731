//! JSON (one array of objects per result set) and NDJSON (one object per
//! line). Values are strings in the server's text form, NULL is `null`;
//! bytes that are not UTF-8 become `"\x…"` hex, as PostgreSQL prints bytea.

use crate::Status;
use rdsql_db::ResultSink;
use std::io::{self, Write};

pub struct JsonWriter<'a> {
    out: Box<dyn Write + 'a>,
    status: Status,
    lines: bool,
    /// Column names, pre-encoded as JSON keys with their colon.
    keys: Vec<Vec<u8>>,
    rows: u64,
}

impl<'a> JsonWriter<'a> {
    pub fn new(out: Box<dyn Write + 'a>, status: Status, lines: bool) -> Self {
        JsonWriter {
            out,
            status,
            lines,
            keys: vec![],
            rows: 0,
        }
    }
}

pub fn write_json_string(out: &mut dyn Write, v: &[u8]) -> io::Result<()> {
    match std::str::from_utf8(v) {
        Ok(s) => serde_json::to_writer(&mut *out, s).map_err(io::Error::other),
        Err(_) => {
            out.write_all(b"\"\\\\x")?;
            for b in v {
                write!(out, "{b:02x}")?;
            }
            out.write_all(b"\"")
        }
    }
}

impl ResultSink for JsonWriter<'_> {
    fn begin_result(&mut self, columns: &[String]) -> io::Result<()> {
        self.keys = columns
            .iter()
            .map(|c| {
                let mut k = serde_json::to_vec(c).unwrap_or_default();
                k.push(b':');
                k
            })
            .collect();
        self.rows = 0;
        if !self.lines {
            self.out.write_all(b"[")?;
        }
        Ok(())
    }
    fn row(&mut self, values: &[Option<&[u8]>]) -> io::Result<()> {
        if !self.lines {
            self.out
                .write_all(if self.rows == 0 { b"\n" } else { b",\n" })?;
        }
        self.out.write_all(b"{")?;
        for (i, (k, v)) in self.keys.iter().zip(values).enumerate() {
            if i > 0 {
                self.out.write_all(b",")?;
            }
            self.out.write_all(k)?;
            match v {
                Some(v) => write_json_string(&mut self.out, v)?,
                None => self.out.write_all(b"null")?,
            }
        }
        self.out.write_all(b"}")?;
        if self.lines {
            self.out.write_all(b"\n")?;
        }
        self.rows += 1;
        Ok(())
    }
    fn end_result(&mut self, _rows: u64) -> io::Result<()> {
        if !self.lines {
            self.out
                .write_all(if self.rows == 0 { b"]\n" } else { b"\n]\n" })?;
        }
        self.out.flush()
    }
    fn command_complete(&mut self, rows: u64) -> io::Result<()> {
        self.out.flush()?;
        self.status.affected(rows);
        Ok(())
    }
}
