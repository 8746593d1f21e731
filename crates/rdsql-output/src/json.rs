//! JSON (one array of objects per result set) and NDJSON (one object per
//! line). Values keep their type where the engine reports it (see
//! [`crate::typed`]): numbers, booleans, nested JSON, arrays; text otherwise;
//! NULL is `null`. Repeated column names get unique keys (`a`, `a_2`).

use crate::Status;
use rdsql_db::ResultSink;
use std::io::{self, Write};

pub struct JsonWriter<'a> {
    out: Box<dyn Write + Send + 'a>,
    status: Status,
    lines: bool,
    /// Column names, pre-encoded as JSON keys with their colon.
    keys: Vec<Vec<u8>>,
    /// How each column's values are written (text until types arrive).
    kinds: Vec<crate::typed::Kind>,
    rows: u64,
}

impl<'a> JsonWriter<'a> {
    pub fn new(out: Box<dyn Write + Send + 'a>, status: Status, lines: bool) -> Self {
        JsonWriter {
            out,
            status,
            lines,
            keys: vec![],
            kinds: vec![],
            rows: 0,
        }
    }
}

impl ResultSink for JsonWriter<'_> {
    fn begin_result(&mut self, columns: &[String]) -> io::Result<()> {
        self.kinds = vec![crate::typed::Kind::Text; columns.len()];
        self.keys = crate::typed::unique_names(columns)
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
    fn column_types(&mut self, types: &[String]) -> io::Result<()> {
        self.kinds = types.iter().map(|t| crate::typed::kind(t)).collect();
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
                Some(v) => crate::typed::write_value(
                    &mut self.out,
                    self.kinds
                        .get(i)
                        .copied()
                        .unwrap_or(crate::typed::Kind::Text),
                    v,
                )?,
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
