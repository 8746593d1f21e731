//! One module per subcommand.

pub mod aws;
pub mod query;
pub mod sso;
pub mod token;
