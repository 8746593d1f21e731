//! Aligned columns in psql's style. The first rows (a bounded window) are
//! buffered to size the columns; the rest stream with those widths. In the
//! shell, rows are fitted to the terminal and `\x` prints one block per row.

use crate::{Status, affected_text};
use rdsql_db::ResultSink;
use std::io::{self, Write};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// Rows buffered to size columns before streaming starts.
const WINDOW: usize = 1000;
/// How NULL is shown, distinct from an empty string.
const NULL: &str = "<null>";

/// Shell settings for tables.
#[derive(Debug, Clone, Copy, Default)]
pub struct TableOptions {
    /// One "column | value" block per row (psql's `\x`).
    pub expanded: bool,
    /// Fit rows into this many columns, truncating long values with `…`.
    pub max_width: Option<usize>,
    /// `\x auto`: expanded when the aligned table would be wider than `max_width`.
    pub expanded_auto: bool,
}

pub struct TableWriter<'a> {
    out: Box<dyn Write + 'a>,
    status: Status,
    opts: TableOptions,
    rows_seen: u64,
    columns: Vec<String>,
    widths: Vec<usize>,
    window: Vec<Vec<Option<String>>>,
    /// Header printed and widths fixed.
    streaming: bool,
}

impl<'a> TableWriter<'a> {
    pub fn with_options(out: Box<dyn Write + 'a>, status: Status, opts: TableOptions) -> Self {
        TableWriter {
            out,
            status,
            opts,
            rows_seen: 0,
            columns: vec![],
            widths: vec![],
            window: vec![],
            streaming: false,
        }
    }

    /// Shrinks the widest columns until a line fits `max_width`.
    fn fit(&mut self) {
        let Some(max) = self.opts.max_width else {
            return;
        };
        let n = self.widths.len();
        while self.widths.iter().sum::<usize>() + 3 * n > max {
            let Some((i, w)) = self
                .widths
                .iter()
                .copied()
                .enumerate()
                .max_by_key(|(_, w)| *w)
            else {
                break;
            };
            if w <= 8 {
                break;
            }
            self.widths[i] = w - 1;
        }
    }

    fn flush_window(&mut self) -> io::Result<()> {
        for row in &self.window {
            for (w, v) in self.widths.iter_mut().zip(row) {
                *w = (*w).max(v.as_deref().unwrap_or(NULL).width());
            }
        }
        if self.opts.expanded_auto
            && let Some(max) = self.opts.max_width
            && self.widths.iter().sum::<usize>() + 3 * self.widths.len() > max
        {
            self.opts.expanded = true;
            for row in std::mem::take(&mut self.window) {
                self.expanded_row(&row)?;
            }
            self.streaming = true;
            return Ok(());
        }
        self.fit();
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

    fn expanded_row(&mut self, row: &[Option<String>]) -> io::Result<()> {
        self.rows_seen += 1;
        let name_w = self.columns.iter().map(|c| c.width()).max().unwrap_or(0);
        let mut head = format!("-[ RECORD {} ]", self.rows_seen);
        let line_w = self.opts.max_width.unwrap_or(40).min(80);
        if head.width() < line_w {
            head.push_str(&"-".repeat(line_w - head.width()));
        }
        writeln!(self.out, "{head}")?;
        let value_w = self
            .opts
            .max_width
            .map(|m| m.saturating_sub(name_w + 3).max(8));
        for (c, v) in self.columns.iter().zip(row) {
            let v = v.as_deref().unwrap_or(NULL);
            let v = match value_w {
                Some(w) => truncate(v, w),
                None => v.to_string(),
            };
            writeln!(self.out, "{c}{} | {v}", " ".repeat(name_w - c.width()))?;
        }
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

/// Cuts `v` to `w` display columns, marking the cut with `…`.
fn truncate(v: &str, w: usize) -> String {
    if v.width() <= w {
        return v.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in v.chars() {
        let cw = c.width().unwrap_or(0);
        if used + cw + 1 > w {
            break;
        }
        out.push(c);
        used += cw;
    }
    out.push('…');
    out
}

fn write_line(out: &mut dyn Write, widths: &[usize], row: &[Option<String>]) -> io::Result<()> {
    let mut line = String::new();
    let last = row.len().saturating_sub(1);
    for (i, (w, v)) in widths.iter().zip(row).enumerate() {
        let v = truncate(v.as_deref().unwrap_or(NULL), *w);
        if i > 0 {
            line.push('|');
        }
        line.push(' ');
        line.push_str(&v);
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
        self.rows_seen = 0;
        if self.opts.expanded_auto {
            self.opts.expanded = false;
        }
        Ok(())
    }
    fn row(&mut self, values: &[Option<&[u8]>]) -> io::Result<()> {
        let row: Vec<Option<String>> = values.iter().map(|v| v.map(display)).collect();
        if self.opts.expanded && (self.streaming || !self.opts.expanded_auto) {
            return self.expanded_row(&row);
        }
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
        if self.opts.expanded_auto && !self.streaming {
            self.flush_window()?;
        }
        if self.opts.expanded {
            if rows == 0 {
                writeln!(self.out, "(0 rows)")?;
            }
            writeln!(self.out)?;
            return self.out.flush();
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_is_width_aware() {
        assert_eq!(truncate("hello", 10), "hello");
        assert_eq!(truncate("hello world", 6), "hello…");
        assert_eq!(truncate("日本語テキスト", 7), "日本語…");
    }
}
