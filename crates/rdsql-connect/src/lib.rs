//! The connect library: from "connect to this" — a saved connection's
//! name or a URL, plus field values from flags or a form — to an open
//! session with fresh credentials. The CLI, the shell, and later the web UI
//! and the proxy all call it, so every surface resolves, authenticates and
//! verifies TLS the same way (docs/connection-model.md).
//!
//! Parse → resolve → open: [`resolve::resolve`] layers flags over the URL
//! or saved connection over the environment into a
//! [`rdsql_db::ConnectionSpec`]; [`open::open`] builds the password provider
//! the spec's [`rdsql_db::Auth`] calls for (a static password, or IAM tokens
//! from keys, a profile or SSO) and connects.

// Errors are on the cold path and carry what the user needs.
#![allow(clippy::result_large_err)]

pub mod auth;
pub mod browser;
pub mod check;
pub mod error;
pub mod form;
pub mod iam;
pub mod open;
pub mod report;
pub mod resolve;
pub mod saved;
pub mod session;
pub mod ssh;

pub use error::Error;
pub use open::{Interaction, NoInteraction, open, open_with_cache};
pub use rdsql_aws::TokenCache;
pub use resolve::{Request, resolve};
pub use session::{CancelHandle, NotRun, Ready, Session};
