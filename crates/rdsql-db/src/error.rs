//! Typed errors. Each carries what a user needs to act; the binary renders
//! them as a headline plus likely causes.

use crate::kinds::{AuthMethod, Engine, SslMode};
use std::time::Duration;

/// A connection could not be described: bad URL, flag or variable.
#[derive(Debug, thiserror::Error)]
pub enum SpecError {
    #[error("bad connection URL {url}: {part:?}: {reason}")]
    BadUrl {
        url: String,
        part: String,
        reason: String,
    },
    #[error("bad value {value:?} in environment variable {var}: {reason}")]
    BadEnv {
        var: String,
        value: String,
        reason: String,
    },
    #[error(
        "no database to connect to: give a URL (postgres://…, mysql://…, sqlite:FILE) or --engine"
    )]
    NoEngine,
    #[error("no database user: give one in the URL, with -U/--user, or set USER")]
    NoUser,
    #[error(
        "--auth {auth} sends an IAM token, which never travels without TLS; sslmode={sslmode} is refused (use verify-full, the default, or require/verify-ca)"
    )]
    InsecureTlsForToken { auth: AuthMethod, sslmode: SslMode },
    #[error("{0}")]
    Inconsistent(String),
}

/// Why a TLS handshake failed, in the terms a user can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsFailure {
    /// The server certificate does not chain to a trusted CA.
    UnknownCa,
    /// The chain is trusted but the certificate is not for this host name.
    NameMismatch {
        host: String,
        presented: Vec<String>,
    },
    /// The certificate is expired or not yet valid.
    Expired,
    /// The server does not offer TLS at all.
    ServerHasNoTls,
    /// Anything else rustls reported.
    Other(String),
}

impl std::fmt::Display for TlsFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TlsFailure::UnknownCa => f.write_str(
                "TLS: the server certificate is signed by an unknown CA (not in the trust roots)",
            ),
            TlsFailure::NameMismatch { host, presented } if presented.is_empty() => {
                write!(
                    f,
                    "TLS: the server certificate is not valid for host name {host:?}"
                )
            }
            TlsFailure::NameMismatch { host, presented } => write!(
                f,
                "TLS: the server certificate is not valid for host name {host:?} (it is for {})",
                presented.join(", ")
            ),
            TlsFailure::Expired => {
                f.write_str("TLS: the server certificate is expired or not yet valid")
            }
            TlsFailure::ServerHasNoTls => f.write_str("TLS: the server does not support TLS"),
            TlsFailure::Other(m) => write!(f, "TLS: {m}"),
        }
    }
}

/// A password provider failed (e.g. an IAM token could not be made).
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct ProviderError {
    /// What went wrong, never containing a secret.
    pub message: String,
    /// Likely causes and next steps, one per line.
    pub hints: Vec<String>,
}

/// What was being connected to, for messages. Never holds a secret.
#[derive(Debug, Clone)]
pub struct Target {
    pub engine: Engine,
    pub host_port: String,
    pub user: String,
    pub dbname: Option<String>,
    pub auth: AuthMethod,
    pub sslmode: SslMode,
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} at {} as user {:?} (auth {}, sslmode {})",
            self.engine, self.host_port, self.user, self.auth, self.sslmode
        )
    }
}

/// Why a connection failed.
#[derive(Debug)]
pub enum ConnectFailure {
    Refused,
    TimedOut(Duration),
    /// Host name lookup failed.
    Resolve(String),
    Tls(TlsFailure),
    /// The server rejected the credentials.
    AuthRejected {
        code: String,
        message: String,
    },
    /// The server answered with another error (unknown database, too many connections…).
    Server {
        code: String,
        message: String,
    },
    /// The password/token could not be obtained.
    Password(ProviderError),
    /// The server asks for a password and none was given (nothing was
    /// sent, so the server saw no failed login).
    PasswordRequired,
    /// The connection broke during the handshake.
    Io(String),
    /// SQLite could not open the file.
    Sqlite(String),
    /// The SSH tunnel could not be opened (bastion, key, host key).
    Tunnel(crate::spec::TunnelError),
    Other(String),
}

/// A connection attempt failed.
#[derive(Debug, thiserror::Error)]
#[error("could not connect to {target}: {failure}")]
pub struct ConnectError {
    pub target: Target,
    pub failure: ConnectFailure,
}

impl std::fmt::Display for ConnectFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConnectFailure::Refused => f.write_str("connection refused"),
            ConnectFailure::TimedOut(d) => write!(f, "timed out after {} s", d.as_secs_f32()),
            ConnectFailure::Resolve(m) => write!(f, "could not resolve the host name: {m}"),
            ConnectFailure::Tls(t) => write!(f, "{t}"),
            ConnectFailure::AuthRejected { code, message } => {
                write!(f, "authentication failed: {message} [{code}]")
            }
            ConnectFailure::Server { code, message } => write!(f, "{message} [{code}]"),
            ConnectFailure::Password(p) => write!(f, "{p}"),
            ConnectFailure::PasswordRequired => {
                f.write_str("the server asks for a password and none was given")
            }
            ConnectFailure::Io(m) => write!(f, "{m}"),
            ConnectFailure::Sqlite(m) => write!(f, "{m}"),
            ConnectFailure::Tunnel(m) => write!(f, "SSH tunnel: {m}"),
            ConnectFailure::Other(m) => write!(f, "{m}"),
        }
    }
}

/// A statement failed.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    /// The server rejected the statement.
    #[error("{}", server_headline(.code, .message))]
    Server {
        /// SQLSTATE (PostgreSQL) or error number (MySQL), or SQLite's code name.
        code: String,
        message: String,
        detail: Option<String>,
        hint: Option<String>,
    },
    /// The connection dropped while the statement ran.
    #[error("the connection to the server was lost: {0}")]
    ConnectionLost(String),
    /// Writing results failed (e.g. a closed pipe).
    #[error("could not write output: {0}")]
    Output(#[from] std::io::Error),
}

fn server_headline(code: &str, message: &str) -> String {
    format!("ERROR {code}: {message}")
}
