//! Aligned columns in psql's style. The first rows (a bounded window) are
//! buffered to size the columns; the rest stream with those widths.

use super::{Status, affected_text};
use rdsql_db::ResultSink;
use std::io::{self, Write};
use unicode_width::UnicodeWidthStr;

/// Rows buffered to size columns before streaming starts.
const WINDOW: usize = 1000;
/// How NULL is shown, distinct from an empty string.
const NULL: &str = "<null>";

pub struct TableWriter<'a> {
    out: Box<dyn Write + 'a>,
    status: Status,
    columns: Vec<String>,
    widths: Vec<usize>,
    window: Vec<Vec<Option<String>>>,
    /// Header printed and widths fixed.
    streaming: bool,
}

impl<'a> TableWriter<'a> {
    pub fn new(out: Box<dyn Write + 'a>, status: Status) -> Self {
        TableWriter {
            out,
            status,
            columns: vec![],
            widths: vec![],
            window: vec![],
            streaming: false,
        }
    }

    fn flush_window(&mut self) -> io::Result<()> {
        for row in &self.window {
            for (w, v) in self.widths.iter_mut().zip(row) {
                *w = (*w).max(v.as_deref().unwrap_or(NULL).width());
            }
        }
        let header: Vec<Option<String>> = self.columns.iter().cloned().map(Some).collect();
        write_line(&mut self.out, &self.widths, &header)?;
        let sep: Vec<String> = self.widths.iter().map(|w| "-".repeat(w + 2)).collect();
        writeln!(self.out, "{}", sep.join("+"))?;
        for row in std::mem::take(&mut self.window) {
            write_line(&mut self.out, &self.widths, &row)?;
        }
        self.streaming = true;
        Ok(())
    }
}

/// Renders a value for a terminal: lossy UTF-8, control characters escaped
/// so a value can never break the layout.
fn display(v: &[u8]) -> String {
    let s = String::from_utf8_lossy(v);
    if !s.chars().any(|c| c.is_control()) {
        return s.into_owned();
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

fn write_line(out: &mut dyn Write, widths: &[usize], row: &[Option<String>]) -> io::Result<()> {
    let mut line = String::new();
    let last = row.len().saturating_sub(1);
    for (i, (w, v)) in widths.iter().zip(row).enumerate() {
        let v = v.as_deref().unwrap_or(NULL);
        if i > 0 {
            line.push('|');
        }
        line.push(' ');
        line.push_str(v);
        if i < last {
            line.push_str(&" ".repeat(w.saturating_sub(v.width()) + 1));
        }
    }
    writeln!(out, "{line}")
}

impl ResultSink for TableWriter<'_> {
    fn begin_result(&mut self, columns: &[String]) -> io::Result<()> {
        self.columns = columns.iter().map(|c| display(c.as_bytes())).collect();
        self.widths = self.columns.iter().map(|c| c.width()).collect();
        self.window.clear();
        self.streaming = false;
        Ok(())
    }
    fn row(&mut self, values: &[Option<&[u8]>]) -> io::Result<()> {
        let row: Vec<Option<String>> = values.iter().map(|v| v.map(display)).collect();
        if self.streaming {
            return write_line(&mut self.out, &self.widths, &row);
        }
        self.window.push(row);
        if self.window.len() >= WINDOW {
            self.flush_window()?;
        }
        Ok(())
    }
    fn end_result(&mut self, rows: u64) -> io::Result<()> {
        if !self.streaming {
            self.flush_window()?;
        }
        writeln!(self.out, "({rows} row{})", if rows == 1 { "" } else { "s" })?;
        writeln!(self.out)?;
        self.out.flush()
    }
    fn command_complete(&mut self, rows: u64) -> io::Result<()> {
        if !self.status.quiet {
            writeln!(self.out, "{}", affected_text(rows))?;
        }
        self.out.flush()
    }
}
