//! Raw connection options as they arrive from a URL, flags or the
//! environment, before they are resolved into a [`crate::ConnectionSpec`].

use crate::Secret;
use crate::spec::{AuthMethod, Engine, SslMode};
use std::path::PathBuf;

/// Every connection setting, each optional. Several sources (flags, URL,
/// environment) are layered with [`ConnectOptions::or`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ConnectOptions {
    pub engine: Option<Engine>,
    pub host: Option<String>,
    pub port: Option<u16>,
    pub user: Option<String>,
    pub dbname: Option<String>,
    pub password: Option<Secret>,
    pub auth: Option<AuthMethod>,
    pub sslmode: Option<SslMode>,
    pub sslrootcert: Option<PathBuf>,
    /// Seconds; 0 means wait forever.
    pub connect_timeout: Option<u64>,
    pub aws_region: Option<String>,
    pub aws_profile: Option<String>,
    pub aws_access_key_id: Option<String>,
    pub sso_start_url: Option<String>,
    pub sso_region: Option<String>,
    pub sso_account_id: Option<String>,
    pub sso_role_name: Option<String>,
    pub iam_host: Option<String>,
    pub iam_port: Option<u16>,
    /// From a saved connection's secret store only (never a URL or flag).
    pub aws_secret_access_key: Option<Secret>,
}

/// The names accepted as URL query parameters.
pub const URL_PARAMETERS: &[&str] = &[
    "engine",
    "host",
    "port",
    "user",
    "dbname",
    "auth",
    "sslmode",
    "sslrootcert",
    "connect_timeout",
    "aws_region",
    "aws_profile",
    "aws_access_key_id",
    "sso_start_url",
    "sso_region",
    "sso_account_id",
    "sso_role_name",
    "iam_host",
    "iam_port",
];

impl ConnectOptions {
    /// Fills every unset field of `self` from `other`.
    pub fn or(self, other: ConnectOptions) -> ConnectOptions {
        ConnectOptions {
            engine: self.engine.or(other.engine),
            host: self.host.or(other.host),
            port: self.port.or(other.port),
            user: self.user.or(other.user),
            dbname: self.dbname.or(other.dbname),
            password: self.password.or(other.password),
            auth: self.auth.or(other.auth),
            sslmode: self.sslmode.or(other.sslmode),
            sslrootcert: self.sslrootcert.or(other.sslrootcert),
            connect_timeout: self.connect_timeout.or(other.connect_timeout),
            aws_region: self.aws_region.or(other.aws_region),
            aws_profile: self.aws_profile.or(other.aws_profile),
            aws_access_key_id: self.aws_access_key_id.or(other.aws_access_key_id),
            sso_start_url: self.sso_start_url.or(other.sso_start_url),
            sso_region: self.sso_region.or(other.sso_region),
            sso_account_id: self.sso_account_id.or(other.sso_account_id),
            sso_role_name: self.sso_role_name.or(other.sso_role_name),
            iam_host: self.iam_host.or(other.iam_host),
            iam_port: self.iam_port.or(other.iam_port),
            aws_secret_access_key: self.aws_secret_access_key.or(other.aws_secret_access_key),
        }
    }

    /// Sets one option by its `snake_case` name (URL query parameter form).
    /// The error explains what is wrong with the value or name.
    pub fn set(&mut self, key: &str, value: &str) -> Result<(), String> {
        let s = || Some(value.to_string());
        match key {
            "engine" => self.engine = Some(value.parse()?),
            "host" => self.host = s(),
            "port" => self.port = Some(crate::url::parse_port(value)?),
            "user" => self.user = s(),
            "dbname" => self.dbname = s(),
            "auth" => self.auth = Some(value.parse()?),
            "sslmode" => self.sslmode = Some(value.parse()?),
            "sslrootcert" => self.sslrootcert = Some(PathBuf::from(value)),
            "connect_timeout" => {
                self.connect_timeout =
                    Some(value.parse().map_err(|_| {
                        "connect_timeout must be a whole number of seconds".to_string()
                    })?)
            }
            "aws_region" => self.aws_region = s(),
            "aws_profile" => self.aws_profile = s(),
            "aws_access_key_id" => self.aws_access_key_id = s(),
            "sso_start_url" => self.sso_start_url = s(),
            "sso_region" => self.sso_region = s(),
            "sso_account_id" => self.sso_account_id = s(),
            "sso_role_name" => self.sso_role_name = s(),
            "iam_host" => self.iam_host = s(),
            "iam_port" => self.iam_port = Some(crate::url::parse_port(value)?),
            other => {
                return Err(format!(
                    "unknown parameter {other:?}; known: {}",
                    URL_PARAMETERS.join(", ")
                ));
            }
        }
        Ok(())
    }
}
