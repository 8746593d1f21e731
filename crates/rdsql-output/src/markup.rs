//! `--format markdown` (GitHub tables: pipes escaped, newlines as `<br>`,
//! numbers right-aligned by type) and `--format html` (as `psql -H`).

use crate::{Status, affected_text};
use rdsql_db::ResultSink;
use std::io::{self, Write};

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Markup {
    Markdown,
    Html,
}

pub struct MarkupWriter<'a> {
    out: Box<dyn Write + Send + 'a>,
    status: Status,
    kind: Markup,
    null: String,
    columns: Vec<String>,
    right: Vec<bool>,
    /// The header waits for the column types (they come after the names).
    header_done: bool,
}

impl<'a> MarkupWriter<'a> {
    pub fn new(
        out: Box<dyn Write + Send + 'a>,
        status: Status,
        kind: Markup,
        null: String,
    ) -> Self {
        MarkupWriter {
            out,
            status,
            kind,
            null,
            columns: vec![],
            right: vec![],
            header_done: false,
        }
    }

    fn header(&mut self) -> io::Result<()> {
        if self.header_done {
            return Ok(());
        }
        self.header_done = true;
        match self.kind {
            Markup::Markdown => {
                let names: Vec<String> = self.columns.iter().map(|c| md(c)).collect();
                writeln!(self.out, "| {} |", names.join(" | "))?;
                let rule: Vec<&str> = (0..self.columns.len())
                    .map(|i| {
                        if self.right.get(i) == Some(&true) {
                            "---:"
                        } else {
                            "---"
                        }
                    })
                    .collect();
                writeln!(self.out, "|{}|", rule.join("|"))
            }
            Markup::Html => {
                writeln!(self.out, "<table border=\"1\">\n  <tr>")?;
                for c in &self.columns {
                    writeln!(self.out, "    <th align=\"center\">{}</th>", html(c))?;
                }
                writeln!(self.out, "  </tr>")
            }
        }
    }
}

fn md(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace("\r\n", "<br>")
        .replace('\n', "<br>")
}

fn html(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\n' => out.push_str("<br />\n"),
            c => out.push(c),
        }
    }
    out
}

impl ResultSink for MarkupWriter<'_> {
    fn begin_result(&mut self, columns: &[String]) -> io::Result<()> {
        self.columns = columns.to_vec();
        self.right = vec![false; columns.len()];
        self.header_done = false;
        Ok(())
    }
    fn column_types(&mut self, types: &[String]) -> io::Result<()> {
        self.right = types
            .iter()
            .map(|t| crate::table::right_aligned(t))
            .collect();
        Ok(())
    }
    fn row(&mut self, values: &[Option<&[u8]>]) -> io::Result<()> {
        self.header()?;
        let text: Vec<String> = values
            .iter()
            .map(|v| match v {
                Some(b) => String::from_utf8_lossy(b).into_owned(),
                None => self.null.clone(),
            })
            .collect();
        match self.kind {
            Markup::Markdown => {
                let cells: Vec<String> = text.iter().map(|t| md(t)).collect();
                writeln!(self.out, "| {} |", cells.join(" | "))
            }
            Markup::Html => {
                writeln!(self.out, "  <tr valign=\"top\">")?;
                for (i, t) in text.iter().enumerate() {
                    let align = if self.right.get(i) == Some(&true) {
                        "right"
                    } else {
                        "left"
                    };
                    let body = if t.is_empty() {
                        "&nbsp; ".to_string()
                    } else {
                        html(t)
                    };
                    writeln!(self.out, "    <td align=\"{align}\">{body}</td>")?;
                }
                writeln!(self.out, "  </tr>")
            }
        }
    }
    fn end_result(&mut self, rows: u64) -> io::Result<()> {
        self.header()?;
        let footer = format!("({rows} row{})", if rows == 1 { "" } else { "s" });
        match self.kind {
            Markup::Markdown => writeln!(self.out, "\n{footer}\n")?,
            Markup::Html => writeln!(self.out, "</table>\n<p>{footer}<br />\n</p>")?,
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
