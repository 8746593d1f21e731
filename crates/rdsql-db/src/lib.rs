//! Connection specs, TLS and the database engines of rdsql.
//!
//! Parse → resolve → connect: a URL and flags become [`ConnectOptions`],
//! which [`ConnectionSpec::resolve`] turns into a complete spec, which
//! [`Connection::connect`] opens. Rows stream into a [`ResultSink`].

// Errors are on the cold path and carry what the user needs; boxing them
// would only add noise.
#![allow(clippy::result_large_err)]

pub mod catalog;
pub mod engine;
pub mod error;
pub mod kinds;
pub mod options;
pub mod password;
pub mod probe;
pub mod sensitive;
pub mod sink;
pub mod spec;
pub mod split;
pub mod tls;
pub mod txn;
pub mod url;

pub use engine::{Canceller, Connection, SessionInfo};
pub use error::{
    ConnectError, ConnectFailure, ProviderError, QueryError, SpecError, Target, TlsFailure,
};
pub use kinds::{AuthMethod, Engine, Protocol, SecretField, SslMode};
pub use options::ConnectOptions;
pub use password::{PasswordProvider, StaticPassword};
pub use rdsql_secret::Secret;
pub use sink::ResultSink;
pub use spec::{Auth, ConnectionSpec, ServerSpec, SsoSignIn, TrustRoots};
