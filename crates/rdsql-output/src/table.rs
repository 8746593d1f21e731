//! Aligned columns exactly as psql prints them (docs/output.md): centred
//! headers, numeric types right-aligned, NULL as an empty cell, multi-line
//! values with psql's `+` continuation, tabs to 8-column stops, control
//! characters as `\r` / `\xNN`, `(N rows)` footer. The first rows (a
//! bounded window) are buffered to size the columns; the rest stream with
//! those widths. In the shell, rows are fitted to the terminal and `\x`
//! prints one block per row.

use crate::{Status, affected_text};
use rdsql_db::ResultSink;
use std::io::{self, Write};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// Rows buffered to size columns before streaming starts.
const WINDOW: usize = 1000;

/// Table settings (psql's `\pset`): the shell's `\x` and width, and the
/// `rdsql query` flags `-x -t -A -F -R --null`.
#[derive(Debug, Clone)]
pub struct TableOptions {
    /// One "column | value" block per row (psql's `\x`, `-x`).
    pub expanded: bool,
    /// Fit rows into this many columns, truncating long values with `…`.
    pub max_width: Option<usize>,
    /// `\x auto`: expanded when the aligned table would be wider than `max_width`.
    pub expanded_auto: bool,
    /// How NULL is shown (psql's `\pset null`; empty by default).
    pub null: String,
    /// Rows only: no header, no footer (`-t`).
    pub tuples_only: bool,
    /// Unaligned: fields joined by `field_sep`, records by `record_sep` (`-A`).
    pub unaligned: bool,
    pub field_sep: String,
    pub record_sep: String,
}

impl Default for TableOptions {
    fn default() -> Self {
        TableOptions {
            expanded: false,
            max_width: None,
            expanded_auto: false,
            null: String::new(),
            tuples_only: false,
            unaligned: false,
            field_sep: "|".into(),
            record_sep: "\n".into(),
        }
    }
}

pub struct TableWriter<'a> {
    out: Box<dyn Write + Send + 'a>,
    status: Status,
    opts: TableOptions,
    rows_seen: u64,
    columns: Vec<String>,
    widths: Vec<usize>,
    /// Right-aligned (numeric) columns, by type.
    right: Vec<bool>,
    /// The widest value (expanded mode).
    value_w: usize,
    window: Vec<Vec<Option<String>>>,
    /// Header printed and widths fixed.
    streaming: bool,
}

impl<'a> TableWriter<'a> {
    pub fn with_options(
        out: Box<dyn Write + Send + 'a>,
        status: Status,
        opts: TableOptions,
    ) -> Self {
        TableWriter {
            out,
            status,
            opts,
            rows_seen: 0,
            columns: vec![],
            widths: vec![],
            right: vec![],
            value_w: 0,
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
        let null = self.opts.null.clone();
        for row in &self.window {
            for (w, v) in self.widths.iter_mut().zip(row) {
                let cw = cell_width(v.as_deref().unwrap_or(&null));
                *w = (*w).max(cw);
                self.value_w = self.value_w.max(cw);
            }
        }
        if self.opts.expanded {
            for row in std::mem::take(&mut self.window) {
                self.expanded_row(&row)?;
            }
            self.streaming = true;
            return Ok(());
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
        let fit = self.opts.max_width.is_some();
        if !self.opts.tuples_only {
            write_header(&mut self.out, &self.widths, &self.columns, fit)?;
            let sep: Vec<String> = self.widths.iter().map(|w| "-".repeat(w + 2)).collect();
            writeln!(self.out, "{}", sep.join("+"))?;
        }
        for row in std::mem::take(&mut self.window) {
            write_line(
                &mut self.out,
                &self.widths,
                &self.right,
                &row,
                fit,
                &self.opts.null,
            )?;
        }
        self.streaming = true;
        Ok(())
    }

    /// One record as psql's `\x` prints it: `-[ RECORD n ]` dashed to the
    /// widest `name | value` line, names padded, multi-line values with `+`.
    fn expanded_row(&mut self, row: &[Option<String>]) -> io::Result<()> {
        self.rows_seen += 1;
        let name_w = self
            .columns
            .iter()
            .map(|c| cell_width(c))
            .max()
            .unwrap_or(0);
        let mut value_w = self.value_w;
        if let Some(m) = self.opts.max_width {
            value_w = value_w.min(m.saturating_sub(name_w + 3).max(8));
        }
        let fit = self.opts.max_width.is_some();
        if self.opts.tuples_only {
            if self.rows_seen > 1 {
                writeln!(
                    self.out,
                    "{}+{}",
                    "-".repeat(name_w + 1),
                    "-".repeat(value_w + 1)
                )?;
            }
        } else {
            let mut head = format!("-[ RECORD {} ]", self.rows_seen);
            let total = name_w + 3 + value_w;
            if head.width() < total {
                head.push_str(&"-".repeat(total - head.width()));
            }
            writeln!(self.out, "{head}")?;
        }
        for (c, v) in self.columns.iter().zip(row) {
            let v = v.as_deref().unwrap_or(&self.opts.null);
            let lines: Vec<&str> = v.split('\n').collect();
            for (k, line) in lines.iter().enumerate() {
                let name = if k == 0 { c.as_str() } else { "" };
                let line = cut(line, value_w, fit);
                let mut text = format!("{name}{} | {line}", " ".repeat(name_w - name.width()));
                if k + 1 < lines.len() {
                    text.push_str(&" ".repeat(value_w.saturating_sub(line.width())));
                    text.push('+');
                }
                writeln!(self.out, "{text}")?;
            }
        }
        Ok(())
    }
}

/// Renders a value as psql does: lossy UTF-8; newlines kept (the cell
/// gets several lines), tabs expanded to 8-column stops within the cell,
/// `\r` shown as `\r` and other control characters as `\xNN`.
fn display(v: &[u8]) -> String {
    let s = String::from_utf8_lossy(v);
    if !s.chars().any(|c| c.is_control()) {
        return s.into_owned();
    }
    let mut out = String::with_capacity(s.len() + 8);
    let mut col = 0;
    for c in s.chars() {
        match c {
            '\n' => {
                out.push('\n');
                col = 0;
                continue;
            }
            '\t' => {
                let n = 8 - col % 8;
                out.push_str(&" ".repeat(n));
                col += n;
                continue;
            }
            '\r' => {
                out.push_str("\\r");
                col += 2;
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02X}", c as u32));
                col += 4;
            }
            c => {
                out.push(c);
                col += c.width().unwrap_or(0);
            }
        }
    }
    out
}

/// The widest line of a cell.
fn cell_width(v: &str) -> usize {
    v.split('\n').map(|l| l.width()).max().unwrap_or(0)
}

/// On a terminal (`fit`), `v` cut to `w` columns; in a pipe, all of it — a
/// value wider than its column (after the sizing window) widens its own
/// line rather than losing data.
fn cut(v: &str, w: usize, fit: bool) -> String {
    if fit { truncate(v, w) } else { v.to_string() }
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

/// Header lines: each name centred (extra space on the right), `+` after
/// a name that continues on the next line; trailing spaces kept, as psql.
fn write_header(
    out: &mut dyn Write,
    widths: &[usize],
    names: &[String],
    fit: bool,
) -> io::Result<()> {
    let cells: Vec<Vec<&str>> = names.iter().map(|n| n.split('\n').collect()).collect();
    let height = cells.iter().map(Vec::len).max().unwrap_or(1);
    for k in 0..height {
        let mut line = String::new();
        for (j, (w, c)) in widths.iter().zip(&cells).enumerate() {
            if j > 0 {
                line.push('|');
            }
            let t = cut(c.get(k).copied().unwrap_or(""), *w, fit);
            let free = w.saturating_sub(t.width());
            line.push(' ');
            line.push_str(&" ".repeat(free / 2));
            line.push_str(&t);
            line.push_str(&" ".repeat(free - free / 2));
            line.push(if c.len() > k + 1 { '+' } else { ' ' });
        }
        writeln!(out, "{line}")?;
    }
    Ok(())
}

/// One row: as many lines as its tallest cell. Cells are padded to the
/// column's width (right-aligned for numbers), a continuing cell ends in
/// `+`; the last column carries no trailing padding.
fn write_line(
    out: &mut dyn Write,
    widths: &[usize],
    right: &[bool],
    row: &[Option<String>],
    fit: bool,
    null: &str,
) -> io::Result<()> {
    let cells: Vec<Vec<&str>> = row
        .iter()
        .map(|v| v.as_deref().unwrap_or(null).split('\n').collect())
        .collect();
    let height = cells.iter().map(Vec::len).max().unwrap_or(1);
    let last = row.len().saturating_sub(1);
    let mut line = String::new();
    for k in 0..height {
        line.clear();
        for (j, (w, c)) in widths.iter().zip(&cells).enumerate() {
            if j > 0 {
                line.push('|');
            }
            line.push(' ');
            let text = c.get(k).map(|t| cut(t, *w, fit));
            let continues = c.len() > k + 1;
            let pad = w.saturating_sub(text.as_deref().map(|t| t.width()).unwrap_or(0));
            let right = right.get(j).copied().unwrap_or(false);
            if j == last && !continues {
                // psql pads a right-aligned last cell (even an empty one)
                // on its own lines, and nothing below them.
                if let Some(t) = text.as_deref() {
                    if right {
                        line.push_str(&" ".repeat(pad));
                    }
                    line.push_str(t);
                }
                continue;
            }
            if right {
                line.push_str(&" ".repeat(pad));
                line.push_str(text.as_deref().unwrap_or(""));
            } else {
                line.push_str(text.as_deref().unwrap_or(""));
                line.push_str(&" ".repeat(pad));
            }
            line.push(if continues { '+' } else { ' ' });
        }
        writeln!(out, "{line}")?;
    }
    Ok(())
}

/// Whether psql right-aligns a column of this type (and the same types of
/// MySQL/MariaDB and SQLite).
pub(crate) fn right_aligned(t: &str) -> bool {
    let base = t
        .split(['(', ' '])
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    matches!(
        base.as_str(),
        "int2"
            | "int4"
            | "int8"
            | "float4"
            | "float8"
            | "numeric"
            | "oid"
            | "xid"
            | "xid8"
            | "cid"
            | "money"
            | "smallint"
            | "integer"
            | "bigint"
            | "int"
            | "tinyint"
            | "mediumint"
            | "decimal"
            | "float"
            | "double"
            | "real"
            | "year"
    )
}

impl ResultSink for TableWriter<'_> {
    fn begin_result(&mut self, columns: &[String]) -> io::Result<()> {
        self.columns = columns.iter().map(|c| display(c.as_bytes())).collect();
        self.widths = self.columns.iter().map(|c| cell_width(c)).collect();
        self.right = vec![false; columns.len()];
        self.value_w = 0;
        self.window.clear();
        self.streaming = false;
        self.rows_seen = 0;
        if self.opts.expanded_auto {
            self.opts.expanded = false;
        }
        Ok(())
    }
    fn column_types(&mut self, types: &[String]) -> io::Result<()> {
        self.right = types.iter().map(|t| right_aligned(t)).collect();
        Ok(())
    }
    fn row(&mut self, values: &[Option<&[u8]>]) -> io::Result<()> {
        let row: Vec<Option<String>> = values.iter().map(|v| v.map(display)).collect();
        if self.streaming {
            if self.opts.expanded {
                return self.expanded_row(&row);
            }
            let fit = self.opts.max_width.is_some();
            return write_line(
                &mut self.out,
                &self.widths,
                &self.right,
                &row,
                fit,
                &self.opts.null,
            );
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
        if self.opts.expanded {
            if rows == 0 && !self.opts.tuples_only {
                writeln!(self.out, "(0 rows)")?;
            }
            writeln!(self.out)?;
            return self.out.flush();
        }
        if !self.opts.tuples_only {
            writeln!(self.out, "({rows} row{})", if rows == 1 { "" } else { "s" })?;
        }
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

#[cfg(test)]
mod stream_tests {
    use super::*;

    #[test]
    fn a_wide_value_after_the_window_is_kept_whole_in_a_pipe() {
        let mut buf = Vec::new();
        {
            let mut w = TableWriter::with_options(
                Box::new(&mut buf),
                Status { quiet: true },
                TableOptions::default(),
            );
            w.begin_result(&["v".into()]).unwrap();
            for _ in 0..WINDOW {
                w.row(&[Some(b"x")]).unwrap();
            }
            w.row(&[Some(b"a much wider value")]).unwrap();
            w.end_result(WINDOW as u64 + 1).unwrap();
        }
        let text = String::from_utf8(buf).unwrap();
        assert!(
            text.contains(" a much wider value\n"),
            "{}",
            &text[text.len() - 80..]
        );
    }
}
