//! One module per subcommand.

pub mod aws;
mod complete;
pub mod conn;
pub mod integrate;
pub mod proxy;
pub mod query;
pub mod shell;
pub mod sso;
pub mod token;
pub mod ui;
