//! Result writers, one per output format, each a [`ResultSink`] that
//! writes rows as they arrive.

mod csv;
mod json;
pub mod pager;
mod table;
mod tsv;

pub use table::TableOptions;

use crate::cli::Format;
use rdsql_db::ResultSink;
use std::io::Write;

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
    out: Box<dyn Write + 'a>,
    status: Status,
) -> Box<dyn ResultSink + 'a> {
    sink_with(format, out, status, TableOptions::default())
}

/// As [`sink`], with table settings (the shell's `\x` and width).
pub fn sink_with<'a>(
    format: Format,
    out: Box<dyn Write + 'a>,
    status: Status,
    table: TableOptions,
) -> Box<dyn ResultSink + 'a> {
    match format {
        Format::Table => Box::new(table::TableWriter::with_options(out, status, table)),
        Format::Csv => Box::new(csv::CsvWriter::new(out, status)),
        Format::Tsv => Box::new(tsv::TsvWriter::new(out, status)),
        Format::Json => Box::new(json::JsonWriter::new(out, status, false)),
        Format::Ndjson => Box::new(json::JsonWriter::new(out, status, true)),
    }
}
