//! What can go wrong between "connect to this" and an open session. Each
//! variant carries what a user needs to act; the binary renders them.

use rdsql_db::{AuthMethod, ConnectError, ProviderError, SpecError};

/// Resolving or opening a connection failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The connection could not be described (URL, variables, combination).
    #[error(transparent)]
    Spec(#[from] SpecError),
    /// A flag (or form field) had a bad value.
    #[error("bad value for --{flag}: {reason}")]
    Flag { flag: String, reason: String },
    /// The saved connections could not be read, or one is malformed.
    #[error("{message}")]
    Saved { message: String, hints: Vec<String> },
    /// Something the method needs is missing (an access key ID, an SSO
    /// account…): fixed by the user before anything touches the network.
    #[error("{message}")]
    Setup { message: String, hints: Vec<String> },
    /// The AWS credentials could not be obtained in time or at all.
    #[error("{message}")]
    Credentials { message: String, hints: Vec<String> },
    /// The profile's role demands an MFA code and nobody could give one
    /// (no terminal, no code in the form, nothing cached).
    #[error("{message}")]
    MfaCodeNeeded { message: String, hints: Vec<String> },
    /// An IAM token could not be made (region, credentials, profile).
    #[error(
        "cannot make an IAM auth token ({method}) for user {user:?} at {host}:{port}: {}",
        error.message
    )]
    Token {
        method: AuthMethod,
        user: String,
        host: String,
        port: u16,
        error: ProviderError,
    },
    /// IAM Identity Center sign-in failed or was refused.
    #[error("{message}")]
    SignIn { message: String, hints: Vec<String> },
    /// The server could not be reached or refused us. `tried` says where
    /// the password came from (never the password).
    #[error("{error}")]
    Connect {
        error: ConnectError,
        tried: Option<String>,
    },
    /// The user stopped it (Ctrl-C at a prompt or sign-in).
    #[error("{0}")]
    Cancelled(String),
}

impl Error {
    /// A setup error with hints.
    pub fn setup(message: impl Into<String>, hints: Vec<String>) -> Error {
        Error::Setup {
            message: message.into(),
            hints,
        }
    }

    /// The hints that go with the message (for the variants that carry
    /// their own; connect failures are explained by the renderer).
    pub fn hints(&self) -> &[String] {
        match self {
            Error::Saved { hints, .. }
            | Error::Setup { hints, .. }
            | Error::Credentials { hints, .. }
            | Error::MfaCodeNeeded { hints, .. }
            | Error::SignIn { hints, .. } => hints,
            Error::Token { error, .. } => &error.hints,
            _ => &[],
        }
    }
}
