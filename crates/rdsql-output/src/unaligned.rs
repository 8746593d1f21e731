//! psql's unaligned format (`-A`, with `-F`, `-R`, `-t`): header, rows
//! and the `(N rows)` footer joined by the record separator, fields by the
//! field separator, values as the server sent them; a final newline.

use crate::{Status, TableOptions, affected_text};
use rdsql_db::ResultSink;
use std::io::{self, Write};

pub struct UnalignedWriter<'a> {
    out: Box<dyn Write + Send + 'a>,
    status: Status,
    opts: TableOptions,
    /// Something was written for this result (a separator goes first).
    started: bool,
}

impl<'a> UnalignedWriter<'a> {
    pub fn new(out: Box<dyn Write + Send + 'a>, status: Status, opts: TableOptions) -> Self {
        UnalignedWriter {
            out,
            status,
            opts,
            started: false,
        }
    }

    fn record(&mut self, fields: &[&[u8]]) -> io::Result<()> {
        if self.started {
            self.out.write_all(self.opts.record_sep.as_bytes())?;
        }
        for (i, f) in fields.iter().enumerate() {
            if i > 0 {
                self.out.write_all(self.opts.field_sep.as_bytes())?;
            }
            self.out.write_all(f)?;
        }
        self.started = true;
        Ok(())
    }
}

impl ResultSink for UnalignedWriter<'_> {
    fn begin_result(&mut self, columns: &[String]) -> io::Result<()> {
        self.started = false;
        if !self.opts.tuples_only {
            let names: Vec<&[u8]> = columns.iter().map(|c| c.as_bytes()).collect();
            self.record(&names)?;
        }
        Ok(())
    }
    fn row(&mut self, values: &[Option<&[u8]>]) -> io::Result<()> {
        let null = self.opts.null.clone();
        let fields: Vec<&[u8]> = values
            .iter()
            .map(|v| v.unwrap_or(null.as_bytes()))
            .collect();
        self.record(&fields)
    }
    fn end_result(&mut self, rows: u64) -> io::Result<()> {
        if !self.opts.tuples_only {
            let footer = format!("({rows} row{})", if rows == 1 { "" } else { "s" });
            self.record(&[footer.as_bytes()])?;
        }
        if self.started {
            self.out.write_all(b"\n")?;
        }
        self.out.flush()
    }
    fn command_complete(&mut self, rows: u64) -> io::Result<()> {
        if !self.status.quiet {
            writeln!(self.out, "{}", affected_text(rows))?;
        }
        self.out.flush()
    }
}
