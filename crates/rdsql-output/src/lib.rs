//! Result writers, one per output format, each a [`ResultSink`] that
//! writes rows as they arrive. The CLI, the shell and the UI's export all
//! write through these, so the same statement gives the same bytes
//! everywhere (docs/ui.md, "Export").

mod csv;
mod json;
mod markup;
mod table;
mod tsv;
pub mod typed;
mod unaligned;

pub use table::TableOptions;

use rdsql_db::ResultSink;
use std::io::Write;

/// Output formats of result sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum Format {
    /// Aligned columns, like psql.
    Table,
    /// RFC 4180, header row, NULL as an empty field (as `psql --csv`).
    Csv,
    /// Tab-separated, header row, `\t \n \r \\` escaped, NULL as `\N`.
    Tsv,
    /// One JSON array of objects per result set.
    Json,
    /// One JSON object per row and line.
    Ndjson,
    /// GitHub-flavoured Markdown tables.
    Markdown,
    /// HTML tables, as `psql -H`.
    Html,
}

impl Format {
    /// The name `--format` takes.
    pub fn name(self) -> &'static str {
        match self {
            Format::Table => "table",
            Format::Csv => "csv",
            Format::Tsv => "tsv",
            Format::Json => "json",
            Format::Ndjson => "ndjson",
            Format::Markdown => "markdown",
            Format::Html => "html",
        }
    }

    /// The format named `s`, as `--format` spells it.
    pub fn parse(s: &str) -> Option<Format> {
        [
            Format::Table,
            Format::Csv,
            Format::Tsv,
            Format::Json,
            Format::Ndjson,
            Format::Markdown,
            Format::Html,
        ]
        .into_iter()
        .find(|f| f.name().eq_ignore_ascii_case(s))
    }

    /// Whether the writer uses column types (JSON keeps them, tables align
    /// numbers right), so the
    /// engine should report them (PostgreSQL: one describe round trip).
    pub fn needs_types(self) -> bool {
        matches!(
            self,
            Format::Json | Format::Ndjson | Format::Table | Format::Markdown | Format::Html
        )
    }

    /// The media type of a download in this format.
    pub fn media_type(self) -> &'static str {
        match self {
            Format::Table => "text/plain; charset=utf-8",
            Format::Csv => "text/csv; charset=utf-8",
            Format::Tsv => "text/tab-separated-values; charset=utf-8",
            Format::Json => "application/json",
            Format::Ndjson => "application/x-ndjson",
            Format::Markdown => "text/markdown; charset=utf-8",
            Format::Html => "text/html; charset=utf-8",
        }
    }
}

/// Where status lines ("3 rows affected") go.
pub struct Status {
    pub quiet: bool,
}

impl Status {
    /// Row count of a statement without a result set, on stderr (machine
    /// formats keep stdout for data).
    pub fn affected(&self, rows: u64) {
        if !self.quiet {
            eprintln!("{}", affected_text(rows));
        }
    }
}

/// "1 row affected" / "N rows affected".
pub fn affected_text(rows: u64) -> String {
    format!("{rows} row{} affected", if rows == 1 { "" } else { "s" })
}

/// A writer for `format` over `out`.
pub fn sink<'a>(
    format: Format,
    out: Box<dyn Write + Send + 'a>,
    status: Status,
) -> Box<dyn ResultSink + 'a> {
    sink_with(format, out, status, TableOptions::default())
}

/// As [`sink`], with table settings (the shell's `\x` and width).
pub fn sink_with<'a>(
    format: Format,
    out: Box<dyn Write + Send + 'a>,
    status: Status,
    table: TableOptions,
) -> Box<dyn ResultSink + 'a> {
    match format {
        Format::Table if table.unaligned => {
            Box::new(unaligned::UnalignedWriter::new(out, status, table))
        }
        Format::Table => Box::new(table::TableWriter::with_options(out, status, table)),
        Format::Markdown => Box::new(markup::MarkupWriter::new(
            out,
            status,
            markup::Markup::Markdown,
            table.null,
        )),
        Format::Html => Box::new(markup::MarkupWriter::new(
            out,
            status,
            markup::Markup::Html,
            table.null,
        )),
        Format::Csv => Box::new(csv::CsvWriter::new(out, status)),
        Format::Tsv => Box::new(tsv::TsvWriter::new(out, status)),
        Format::Json => Box::new(json::JsonWriter::new(out, status, false)),
        Format::Ndjson => Box::new(json::JsonWriter::new(out, status, true)),
    }
}
