//! One module per subcommand.

pub mod query;
