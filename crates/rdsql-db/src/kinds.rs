//! The small vocabularies every other module shares: engines, TLS modes
//! and authentication methods (a leaf module: it imports nothing of ours).

use std::fmt;
use std::str::FromStr;

/// A database engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Engine {
    Postgres,
    Mysql,
    Mariadb,
    Sqlite,
}

impl Engine {
    /// The engine's usual TCP port (0 for SQLite, which has none).
    pub fn default_port(self) -> u16 {
        match self {
            Engine::Postgres => 5432,
            Engine::Mysql | Engine::Mariadb => 3306,
            Engine::Sqlite => 0,
        }
    }

    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Engine::Postgres => "postgres",
            Engine::Mysql => "mysql",
            Engine::Mariadb => "mariadb",
            Engine::Sqlite => "sqlite",
        }
    }

    /// The wire protocol (and driver) the engine is reached with: where a
    /// surface chooses by protocol it matches on this, exhaustively, so a
    /// new engine fails to compile until each place decides.
    pub fn protocol(self) -> Protocol {
        match self {
            Engine::Postgres => Protocol::Postgres,
            Engine::Mysql | Engine::Mariadb => Protocol::Mysql,
            Engine::Sqlite => Protocol::Sqlite,
        }
    }

    /// MySQL and MariaDB share a protocol and a driver.
    pub fn is_mysql_family(self) -> bool {
        self.protocol() == Protocol::Mysql
    }
}

/// A wire protocol: what the engines, the proxy and the catalog choose by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Protocol {
    /// The PostgreSQL frontend/backend protocol (tokio-postgres).
    Postgres,
    /// The MySQL client/server protocol, MariaDB included (mysql_async).
    Mysql,
    /// An in-process SQLite file (rusqlite).
    Sqlite,
}

impl fmt::Display for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Engine {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "postgres" | "postgresql" | "pg" => Ok(Engine::Postgres),
            "mysql" => Ok(Engine::Mysql),
            "mariadb" => Ok(Engine::Mariadb),
            "sqlite" | "sqlite3" => Ok(Engine::Sqlite),
            _ => Err(format!(
                "unknown engine {s:?}; use postgres, mysql, mariadb or sqlite"
            )),
        }
    }
}

/// TLS modes, named as libpq names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    /// Never use TLS.
    Disable,
    /// Try TLS without verifying; fall back to plain if the server has none.
    Prefer,
    /// TLS required; the certificate is not checked.
    Require,
    /// TLS required; the chain must lead to a trusted CA (host name not checked).
    VerifyCa,
    /// TLS required; chain and host name checked.
    VerifyFull,
}

impl SslMode {
    /// The libpq name.
    pub fn name(self) -> &'static str {
        match self {
            SslMode::Disable => "disable",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyCa => "verify-ca",
            SslMode::VerifyFull => "verify-full",
        }
    }
}

impl fmt::Display for SslMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for SslMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        // MySQL's --ssl-mode spellings are accepted too.
        match s.to_ascii_lowercase().replace('_', "-").as_str() {
            "disable" | "disabled" => Ok(SslMode::Disable),
            "allow" | "prefer" | "preferred" => Ok(SslMode::Prefer),
            "require" | "required" => Ok(SslMode::Require),
            "verify-ca" => Ok(SslMode::VerifyCa),
            "verify-full" | "verify-identity" => Ok(SslMode::VerifyFull),
            _ => Err(format!(
                "unknown sslmode {s:?}; use disable, prefer, require, verify-ca or verify-full"
            )),
        }
    }
}

/// How the database password is obtained (docs/connection-model.md, "Authentication").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    Password,
    IamKeys,
    IamProfile,
    Sso,
}

impl AuthMethod {
    /// The `--auth` name.
    pub fn name(self) -> &'static str {
        match self {
            AuthMethod::Password => "password",
            AuthMethod::IamKeys => "iam-keys",
            AuthMethod::IamProfile => "iam-profile",
            AuthMethod::Sso => "sso",
        }
    }

    /// True for the methods that need AWS credentials (to sign a token,
    /// or to read the password from AWS).
    pub fn needs_aws_credentials(self) -> bool {
        match self {
            AuthMethod::Password => false,
            AuthMethod::IamKeys | AuthMethod::IamProfile | AuthMethod::Sso => true,
        }
    }

    /// True for the methods whose password is an IAM auth token: short
    /// lived, signed per connection, sent only over verified TLS, and sent
    /// in clear text inside it (MySQL's cleartext plugin).
    pub fn password_is_token(self) -> bool {
        match self {
            AuthMethod::Password => false,
            AuthMethod::IamKeys | AuthMethod::IamProfile | AuthMethod::Sso => true,
        }
    }

    /// The secret a saved connection keeps for this method, if any.
    pub fn secret_kind(self) -> Option<SecretField> {
        match self {
            AuthMethod::Password => Some(SecretField::Password),
            AuthMethod::IamKeys => Some(SecretField::AwsSecretAccessKey),
            AuthMethod::IamProfile | AuthMethod::Sso => None,
        }
    }
}

/// Which secret a saved connection keeps (in the keyring or secrets.toml).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretField {
    Password,
    AwsSecretAccessKey,
}

impl fmt::Display for AuthMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for AuthMethod {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "password" => Ok(AuthMethod::Password),
            "iam-keys" | "iam_keys" => Ok(AuthMethod::IamKeys),
            "iam-profile" | "iam_profile" => Ok(AuthMethod::IamProfile),
            "sso" => Ok(AuthMethod::Sso),
            _ => Err(format!(
                "unknown auth method {s:?}; use password, iam-keys, iam-profile or sso"
            )),
        }
    }
}
