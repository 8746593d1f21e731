//! One module per subcommand.

pub mod aws;
pub mod conn;
pub mod query;
pub mod sso;
pub mod token;
