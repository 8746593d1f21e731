//! Result writers live in `rdsql-output` (shared with the UI's export);
//! the pager is the terminal's own.

pub mod pager;

pub use rdsql_output::{Status, TableOptions, sink, sink_with};
