//! Errors rendered for people: the connect library's `Failure` (a headline,
//! "likely causes" lines, an exit code), shared with the web UI.

pub use rdsql_connect::report::*;
