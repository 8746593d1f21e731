//! Raw connection options as they arrive from a URL, flags, a saved
//! connection or the environment, before they are resolved into a
//! [`crate::ConnectionSpec`].
//!
//! Every connection field is defined once, in the `fields!` table below:
//! its name (URL parameter and saved-connection key), flag, help text and
//! value type. The struct, the layering, the by-name setter and getter and
//! the [`FIELDS`] table that the CLI, saved connections and URL writer read
//! are all generated from it (docs/connection-model.md).

use crate::Secret;
use crate::kinds::{AuthMethod, Engine, SslMode};
use std::path::PathBuf;

/// How a field's value is written and checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// Free text.
    Text,
    /// A whole number (ports, seconds).
    Number,
    /// One of a fixed set of words.
    Choice(&'static [&'static str]),
    /// On or off: a flag without a value; `true`/`false` in URLs and files.
    Switch,
}

/// The description of one connection field.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    /// `snake_case`: the URL query parameter and the saved-connection key.
    pub name: &'static str,
    /// The long flag, without `--`.
    pub flag: &'static str,
    /// psql's short flag, when there is one.
    pub short: Option<char>,
    /// One line for `--help` and the UI's form.
    pub help: &'static str,
    /// The placeholder shown in help.
    pub value_name: &'static str,
    pub kind: FieldKind,
    /// Environment variables that fill the field when nothing else does
    /// (PostgreSQL's libpq variables apply to PostgreSQL only).
    pub env: &'static [&'static str],
}

fn parse_text(v: &str) -> Result<String, String> {
    Ok(v.to_string())
}
/// Parses a TCP port, 1–65535.
pub fn parse_port(p: &str) -> Result<u16, String> {
    match p.parse::<u32>() {
        Ok(n) if (1..=65535).contains(&n) => Ok(n as u16),
        _ => Err("the port must be a number from 1 to 65535".into()),
    }
}
fn parse_seconds(v: &str) -> Result<u64, String> {
    v.parse()
        .map_err(|_| "must be a whole number of seconds".to_string())
}
fn parse_bool(v: &str) -> Result<bool, String> {
    match v.to_ascii_lowercase().as_str() {
        "true" | "yes" | "on" | "1" => Ok(true),
        "false" | "no" | "off" | "0" => Ok(false),
        _ => Err("must be true or false".into()),
    }
}
fn show_bool(b: &bool) -> String {
    b.to_string()
}
fn parse_path(v: &str) -> Result<PathBuf, String> {
    Ok(PathBuf::from(v))
}
#[allow(clippy::ptr_arg)] // every show function takes &FieldType
fn show_path(p: &PathBuf) -> String {
    p.display().to_string()
}

macro_rules! fields {
    ($(
        $(#[doc = $doc:literal])*
        $field:ident: $ty:ty = {
            flag: $flag:literal, short: $short:expr, value: $value_name:literal,
            kind: $kind:expr, env: [$($env:literal),*],
            parse: $parse:expr, show: $show:expr,
        }
    ),* $(,)?) => {
        /// Every connection setting, each optional. Several sources (flags,
        /// URL, saved connection, environment) are layered with
        /// [`ConnectOptions::or`].
        #[derive(Debug, Clone, Default, PartialEq)]
        pub struct ConnectOptions {
            $( $(#[doc = $doc])* pub $field: Option<$ty>, )*
            /// From the URL's user information, a prompt or a saved
            /// connection's secret store — never a flag or URL parameter.
            pub password: Option<Secret>,
            /// From a saved connection's secret store or a form, never a
            /// flag or URL parameter.
            pub aws_secret_access_key: Option<Secret>,
            /// A temporary key's session token, from a form (the CLI reads
            /// `AWS_SESSION_TOKEN`); never saved.
            pub aws_session_token: Option<Secret>,
        }

        /// The connection fields, in help order.
        pub const FIELDS: &[Field] = &[
            $( Field {
                name: stringify!($field),
                flag: $flag,
                short: $short,
                help: concat!($($doc),*),
                value_name: $value_name,
                kind: $kind,
                env: &[$($env),*],
            }, )*
        ];

        impl ConnectOptions {
            /// Fills every unset field of `self` from `other`.
            pub fn or(self, other: ConnectOptions) -> ConnectOptions {
                ConnectOptions {
                    $( $field: self.$field.or(other.$field), )*
                    password: self.password.or(other.password),
                    aws_secret_access_key: self.aws_secret_access_key.or(other.aws_secret_access_key),
                    aws_session_token: self.aws_session_token.or(other.aws_session_token),
                }
            }

            /// Sets one field by its `snake_case` name. The error explains
            /// what is wrong with the value or the name.
            pub fn set(&mut self, key: &str, value: &str) -> Result<(), String> {
                match key {
                    $( stringify!($field) => {
                        let parse: fn(&str) -> Result<$ty, String> = $parse;
                        self.$field = Some(parse(value)?);
                    } )*
                    other => {
                        return Err(format!(
                            "unknown parameter {other:?}; known: {}",
                            URL_PARAMETERS.join(", ")
                        ));
                    }
                }
                Ok(())
            }

            /// One field's value in the form [`ConnectOptions::set`] reads.
            pub fn get(&self, key: &str) -> Option<String> {
                match key {
                    $( stringify!($field) => {
                        let show: fn(&$ty) -> String = $show;
                        self.$field.as_ref().map(show)
                    } )*
                    _ => None,
                }
            }
        }
    };
}

fields! {
    /// postgres, mysql, mariadb or sqlite (inferred from the URL scheme).
    engine: Engine = {
        flag: "engine", short: None, value: "ENGINE",
        kind: FieldKind::Choice(&["postgres", "mysql", "mariadb", "sqlite"]), env: [],
        parse: |v| v.parse(), show: |e| e.name().to_string(),
    },
    /// Server host name or IP address.
    host: String = {
        flag: "host", short: Some('h'), value: "HOST",
        kind: FieldKind::Text, env: ["PGHOST"],
        parse: parse_text, show: String::clone,
    },
    /// Server port (PostgreSQL 5432, MySQL/MariaDB 3306 by default).
    port: u16 = {
        flag: "port", short: Some('p'), value: "PORT",
        kind: FieldKind::Number, env: ["PGPORT"],
        parse: parse_port, show: u16::to_string,
    },
    /// Database user.
    user: String = {
        flag: "user", short: Some('U'), value: "USER",
        kind: FieldKind::Text, env: ["PGUSER"],
        parse: parse_text, show: String::clone,
    },
    /// Database name (the file path for SQLite).
    dbname: String = {
        flag: "dbname", short: Some('d'), value: "DBNAME",
        kind: FieldKind::Text, env: ["PGDATABASE"],
        parse: parse_text, show: String::clone,
    },
    /// password, iam-keys, iam-profile or sso.
    auth: AuthMethod = {
        flag: "auth", short: None, value: "METHOD",
        kind: FieldKind::Choice(&["password", "iam-keys", "iam-profile", "sso"]), env: [],
        parse: |v| v.parse(), show: |a| a.name().to_string(),
    },
    /// disable, prefer, require, verify-ca or verify-full.
    sslmode: SslMode = {
        flag: "sslmode", short: None, value: "MODE",
        kind: FieldKind::Choice(&["disable", "prefer", "require", "verify-ca", "verify-full"]),
        env: ["PGSSLMODE"],
        parse: |v| v.parse(), show: |m| m.name().to_string(),
    },
    /// Trust only the CA certificates in this PEM file, or `system` for the OS store.
    sslrootcert: PathBuf = {
        flag: "sslrootcert", short: None, value: "FILE|system",
        kind: FieldKind::Text, env: ["PGSSLROOTCERT"],
        parse: parse_path, show: show_path,
    },
    /// Seconds to wait for the connection (0 = forever; default 10).
    connect_timeout: u64 = {
        flag: "connect-timeout", short: None, value: "SECONDS",
        kind: FieldKind::Number, env: ["PGCONNECT_TIMEOUT"],
        parse: parse_seconds, show: u64::to_string,
    },
    /// AWS region used to sign IAM tokens.
    aws_region: String = {
        flag: "aws-region", short: None, value: "REGION",
        kind: FieldKind::Text, env: [],
        parse: parse_text, show: String::clone,
    },
    /// AWS profile for iam-profile and sso.
    aws_profile: String = {
        flag: "aws-profile", short: None, value: "PROFILE",
        kind: FieldKind::Text, env: [],
        parse: parse_text, show: String::clone,
    },
    /// Access key ID for iam-keys (the secret never comes from an argument).
    aws_access_key_id: String = {
        flag: "aws-access-key-id", short: None, value: "ID",
        kind: FieldKind::Text, env: [],
        parse: parse_text, show: String::clone,
    },
    /// IAM Identity Center start URL (custom SSO).
    sso_start_url: String = {
        flag: "sso-start-url", short: None, value: "URL",
        kind: FieldKind::Text, env: [],
        parse: parse_text, show: String::clone,
    },
    /// IAM Identity Center region (custom SSO).
    sso_region: String = {
        flag: "sso-region", short: None, value: "REGION",
        kind: FieldKind::Text, env: [],
        parse: parse_text, show: String::clone,
    },
    /// AWS account ID for SSO role credentials.
    sso_account_id: String = {
        flag: "sso-account-id", short: None, value: "ID",
        kind: FieldKind::Text, env: [],
        parse: parse_text, show: String::clone,
    },
    /// IAM role name for SSO role credentials.
    sso_role_name: String = {
        flag: "sso-role-name", short: None, value: "NAME",
        kind: FieldKind::Text, env: [],
        parse: parse_text, show: String::clone,
    },
    /// The real endpoint behind a tunnel: IAM tokens are signed for it and the certificate is checked against it.
    iam_host: String = {
        flag: "iam-host", short: None, value: "HOST",
        kind: FieldKind::Text, env: [],
        parse: parse_text, show: String::clone,
    },
    /// The real endpoint's port behind a tunnel (for IAM token signing).
    iam_port: u16 = {
        flag: "iam-port", short: None, value: "PORT",
        kind: FieldKind::Number, env: [],
        parse: parse_port, show: u16::to_string,
    },
    /// The local port `rdsql proxy` serves this connection on (instead of the next in turn).
    proxy_port: u16 = {
        flag: "proxy-port", short: None, value: "PORT",
        kind: FieldKind::Number, env: [],
        parse: parse_port, show: u16::to_string,
    },
    /// Reach the database through this SSH bastion: [user@]host[:port] (host keys from ~/.ssh/known_hosts).
    ssh: String = {
        flag: "ssh", short: None, value: "[USER@]HOST[:PORT]",
        kind: FieldKind::Text, env: [],
        parse: parse_text, show: String::clone,
    },
    /// The SSH private key (else the SSH agent, else ~/.ssh/id_ed25519, id_ecdsa, id_rsa).
    ssh_key: PathBuf = {
        flag: "ssh-key", short: None, value: "FILE",
        kind: FieldKind::Text, env: [],
        parse: parse_path, show: show_path,
    },
    /// Add the bastion's host key to ~/.ssh/known_hosts when it is not known yet (never when it changed).
    ssh_accept_new: bool = {
        flag: "ssh-accept-new", short: None, value: "",
        kind: FieldKind::Switch, env: [],
        parse: parse_bool, show: show_bool,
    },
}

/// The names accepted as URL query parameters (and saved-connection keys).
pub const URL_PARAMETERS: &[&str] = &{
    let mut names = [""; FIELDS.len()];
    let mut i = 0;
    while i < FIELDS.len() {
        names[i] = FIELDS[i].name;
        i += 1;
    }
    names
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_round_trips_by_name() {
        for f in FIELDS {
            let sample = match f.kind {
                FieldKind::Text => "some value/é".to_string(),
                FieldKind::Number => "42".to_string(),
                FieldKind::Choice(c) => c[c.len() - 1].to_string(),
                FieldKind::Switch => "true".to_string(),
            };
            let mut o = ConnectOptions::default();
            o.set(f.name, &sample).unwrap();
            assert_eq!(
                o.get(f.name).as_deref(),
                Some(sample.as_str()),
                "{}",
                f.name
            );
            // Layering keeps the first source's value.
            let merged = o.clone().or(ConnectOptions::default());
            assert_eq!(merged.get(f.name), o.get(f.name));
            assert_eq!(
                f.flag,
                f.name.replace('_', "-"),
                "flags are the names in kebab case"
            );
        }
        assert_eq!(URL_PARAMETERS.len(), FIELDS.len());
        assert!(ConnectOptions::default().set("password", "x").is_err());
    }
}
