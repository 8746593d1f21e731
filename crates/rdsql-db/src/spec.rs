//! The resolved, consistent description of one connection.

use crate::Secret;
use crate::error::SpecError;
use crate::options::ConnectOptions;
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

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

    /// MySQL and MariaDB share a protocol and a driver.
    pub fn is_mysql_family(self) -> bool {
        matches!(self, Engine::Mysql | Engine::Mariadb)
    }
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

/// How the database password is obtained (RDS spec §1).
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

    /// True for the methods whose password is an IAM auth token.
    pub fn uses_token(self) -> bool {
        !matches!(self, AuthMethod::Password)
    }
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

/// AWS settings of an IAM or SSO connection, unresolved (the AWS crate
/// resolves regions and credentials).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AwsSettings {
    pub region: Option<String>,
    pub profile: Option<String>,
    pub access_key_id: Option<String>,
    pub sso_start_url: Option<String>,
    pub sso_region: Option<String>,
    pub sso_account_id: Option<String>,
    pub sso_role_name: Option<String>,
    /// Host the IAM token is signed for, when it differs from `host` (tunnels).
    pub iam_host: Option<String>,
    pub iam_port: Option<u16>,
    /// A saved secret access key for `iam-keys`.
    pub secret_access_key: Option<Secret>,
}

/// Where TLS trust comes from (docs/tls.md, "Trust").
#[derive(Debug, Clone, PartialEq)]
pub enum TrustRoots {
    /// The bundled Amazon RDS CA bundle; plus the public web roots, for
    /// `verify-full` only.
    Bundled,
    /// Only the CA certificates in this PEM file.
    File(PathBuf),
    /// The operating system's store (`--sslrootcert system`, as libpq 16).
    System,
}

impl TrustRoots {
    /// `--sslrootcert` / `PGSSLROOTCERT`: a file, or the word `system`.
    pub fn from_sslrootcert(value: PathBuf) -> TrustRoots {
        if value.as_os_str() == "system" {
            TrustRoots::System
        } else {
            TrustRoots::File(value)
        }
    }
}

/// True for Amazon RDS endpoints (instances, Aurora cluster and reader
/// endpoints, RDS Proxy), whose certificates chain to the bundled RDS CAs.
pub fn is_rds_host(host: &str) -> bool {
    let h = host.trim_end_matches('.').to_ascii_lowercase();
    h.ends_with(".rds.amazonaws.com") || h.ends_with(".rds.amazonaws.com.cn")
}

/// A network server connection, complete and consistent.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerSpec {
    pub engine: Engine,
    pub host: String,
    pub port: u16,
    pub user: String,
    pub dbname: Option<String>,
    pub auth: AuthMethod,
    pub sslmode: SslMode,
    pub roots: TrustRoots,
    pub connect_timeout: Option<Duration>,
    /// The password for `--auth password`, when one was given; `None` means
    /// the caller should prompt or fail.
    pub password: Option<Secret>,
    pub aws: AwsSettings,
}

impl ServerSpec {
    /// The name the server certificate must be valid for: `--iam-host`
    /// (the real endpoint behind a tunnel) when given, else the host.
    pub fn tls_server_name(&self) -> &str {
        self.aws.iam_host.as_deref().unwrap_or(&self.host)
    }

    /// `host:port`, with IPv6 literals bracketed.
    pub fn host_port(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

/// A resolved connection.
#[allow(clippy::large_enum_variant)] // one per process; boxing buys nothing
#[derive(Debug, Clone, PartialEq)]
pub enum ConnectionSpec {
    Server(ServerSpec),
    /// A SQLite database file, or `:memory:`.
    Sqlite {
        path: String,
    },
}

impl ConnectionSpec {
    /// The engine this spec connects to.
    pub fn engine(&self) -> Engine {
        match self {
            ConnectionSpec::Server(s) => s.engine,
            ConnectionSpec::Sqlite { .. } => Engine::Sqlite,
        }
    }

    /// Resolves layered options against the environment (`env` looks up a
    /// variable). Precedence: `opts` (flags, then URL, already layered by
    /// the caller) → environment → engine defaults.
    pub fn resolve(
        opts: ConnectOptions,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<ConnectionSpec, SpecError> {
        let pg_env_set = ["PGHOST", "PGPORT", "PGUSER", "PGDATABASE"]
            .iter()
            .any(|v| env(v).is_some());
        let engine = match opts.engine {
            Some(e) => e,
            None if pg_env_set => Engine::Postgres,
            None => return Err(SpecError::NoEngine),
        };
        let auth = opts.auth.unwrap_or(AuthMethod::Password);

        if engine == Engine::Sqlite {
            if auth != AuthMethod::Password {
                return Err(SpecError::Inconsistent(format!(
                    "--auth {auth} does not apply to SQLite, which has no server"
                )));
            }
            let path = opts.dbname.ok_or_else(|| {
                SpecError::Inconsistent(
                    "SQLite needs a database file: use sqlite:path/to/file.db, sqlite::memory: or --dbname FILE"
                        .into(),
                )
            })?;
            return Ok(ConnectionSpec::Sqlite { path });
        }

        let is_pg = engine == Engine::Postgres;
        let pg = |name: &str| if is_pg { env(name) } else { None };
        let nonempty = |v: Option<String>| v.filter(|s| !s.is_empty());

        let host = opts
            .host
            .or_else(|| nonempty(pg("PGHOST")))
            .unwrap_or_else(|| "localhost".to_string());
        if host.starts_with('/') {
            return Err(SpecError::Inconsistent(format!(
                "host {host:?} is a Unix socket directory; rdsql connects over TCP only (use -h localhost)"
            )));
        }
        let port = match opts.port {
            Some(p) => p,
            None => match nonempty(pg("PGPORT")) {
                Some(p) => crate::url::parse_port(&p).map_err(|why| SpecError::BadEnv {
                    var: "PGPORT".into(),
                    value: p.clone(),
                    reason: why.into(),
                })?,
                None => engine.default_port(),
            },
        };
        let user = opts
            .user
            .or_else(|| nonempty(pg("PGUSER")))
            .or_else(|| nonempty(env("USER")))
            .or_else(|| nonempty(env("LOGNAME")))
            .ok_or(SpecError::NoUser)?;
        let dbname = opts.dbname.or_else(|| nonempty(pg("PGDATABASE")));
        let sslmode_env = match nonempty(pg("PGSSLMODE")) {
            Some(v) => Some(v.parse::<SslMode>().map_err(|reason| SpecError::BadEnv {
                var: "PGSSLMODE".into(),
                value: v.clone(),
                reason,
            })?),
            None => None,
        };
        let roots = match opts
            .sslrootcert
            .or_else(|| nonempty(pg("PGSSLROOTCERT")).map(PathBuf::from))
        {
            Some(p) => TrustRoots::from_sslrootcert(p),
            None => TrustRoots::Bundled,
        };
        let tls_name = opts.iam_host.as_deref().unwrap_or(&host);
        let sslmode = tls_mode(
            opts.sslmode.or(sslmode_env),
            auth,
            is_rds_host(tls_name),
            &roots,
        )?;
        let connect_timeout = match opts.connect_timeout {
            Some(s) => Some(s),
            None => match nonempty(pg("PGCONNECT_TIMEOUT")) {
                Some(v) => Some(v.parse::<u64>().map_err(|_| SpecError::BadEnv {
                    var: "PGCONNECT_TIMEOUT".into(),
                    value: v.clone(),
                    reason: "must be a whole number of seconds".into(),
                })?),
                None => None,
            },
        }
        .unwrap_or(10);
        let connect_timeout = (connect_timeout > 0).then(|| Duration::from_secs(connect_timeout));

        let password = if auth.uses_token() {
            None
        } else {
            let engine_var = if is_pg { "PGPASSWORD" } else { "MYSQL_PWD" };
            opts.password
                .or_else(|| env("RDSQL_PASSWORD").map(Secret::new))
                .or_else(|| env(engine_var).map(Secret::new))
        };

        Ok(ConnectionSpec::Server(ServerSpec {
            engine,
            host,
            port,
            user,
            dbname,
            auth,
            sslmode,
            roots,
            connect_timeout,
            password,
            aws: AwsSettings {
                region: opts.aws_region,
                profile: opts.aws_profile,
                access_key_id: opts.aws_access_key_id,
                sso_start_url: opts.sso_start_url,
                sso_region: opts.sso_region,
                sso_account_id: opts.sso_account_id,
                sso_role_name: opts.sso_role_name,
                iam_host: opts.iam_host,
                iam_port: opts.iam_port,
                secret_access_key: opts.aws_secret_access_key,
            },
        }))
    }
}

/// The TLS mode, as libpq decides it (docs/tls.md, "Modes"): IAM/SSO
/// tokens and RDS endpoints default to `verify-full`; a token never goes
/// over `disable`/`prefer`; `require` with a CA file means `verify-ca`;
/// `sslrootcert=system` demands `verify-full`.
fn tls_mode(
    requested: Option<SslMode>,
    auth: AuthMethod,
    rds_host: bool,
    roots: &TrustRoots,
) -> Result<SslMode, SpecError> {
    let mode = match requested {
        Some(m) => m,
        None if auth.uses_token() || rds_host || *roots == TrustRoots::System => {
            SslMode::VerifyFull
        }
        None => SslMode::Prefer,
    };
    if auth.uses_token() && matches!(mode, SslMode::Disable | SslMode::Prefer) {
        return Err(SpecError::InsecureTlsForToken {
            auth,
            sslmode: mode,
        });
    }
    match (mode, roots) {
        (SslMode::VerifyFull, TrustRoots::System) => Ok(mode),
        (_, TrustRoots::System) => Err(SpecError::Inconsistent(format!(
            "sslrootcert=system needs sslmode verify-full (got {mode}), as in libpq: the public CAs of the system store only mean something with the host-name check"
        ))),
        (SslMode::Require, TrustRoots::File(_)) => Ok(SslMode::VerifyCa),
        _ => Ok(mode),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::url::parse_url;
    use std::collections::HashMap;

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let m: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| m.get(k).cloned()
    }

    fn server(s: ConnectionSpec) -> ServerSpec {
        match s {
            ConnectionSpec::Server(s) => s,
            other => panic!("not a server: {other:?}"),
        }
    }

    #[test]
    fn defaults_per_engine() {
        let env = env_of(&[("USER", "alice")]);
        let s = server(ConnectionSpec::resolve(parse_url("postgres://").unwrap(), &env).unwrap());
        assert_eq!(
            (s.host.as_str(), s.port, s.user.as_str()),
            ("localhost", 5432, "alice")
        );
        assert_eq!(s.sslmode, SslMode::Prefer);
        assert_eq!(s.connect_timeout, Some(Duration::from_secs(10)));
        let s = server(ConnectionSpec::resolve(parse_url("mysql://").unwrap(), &env).unwrap());
        assert_eq!(s.port, 3306);
    }

    #[test]
    fn libpq_environment_applies_to_postgres_only() {
        let env = env_of(&[
            ("PGHOST", "pg.example"),
            ("PGPORT", "6000"),
            ("PGUSER", "pguser"),
            ("PGDATABASE", "pgdb"),
            ("PGPASSWORD", "pgpw"),
            ("PGSSLMODE", "verify-ca"),
            ("MYSQL_PWD", "mypw"),
            ("USER", "os"),
        ]);
        let s = server(ConnectionSpec::resolve(ConnectOptions::default(), &env).unwrap());
        assert_eq!(s.engine, Engine::Postgres);
        assert_eq!(s.host_port(), "pg.example:6000");
        assert_eq!(
            (s.user.as_str(), s.dbname.as_deref()),
            ("pguser", Some("pgdb"))
        );
        assert_eq!(s.password.unwrap().expose(), "pgpw");
        assert_eq!(s.sslmode, SslMode::VerifyCa);
        let s = server(ConnectionSpec::resolve(parse_url("mysql://h").unwrap(), &env).unwrap());
        assert_eq!(
            (s.host.as_str(), s.port, s.user.as_str()),
            ("h", 3306, "os")
        );
        assert_eq!(s.password.unwrap().expose(), "mypw");
    }

    #[test]
    fn rdsql_password_wins_over_engine_variable_but_not_url() {
        let env = env_of(&[("RDSQL_PASSWORD", "r"), ("PGPASSWORD", "p"), ("USER", "u")]);
        let s = server(ConnectionSpec::resolve(parse_url("postgres://h").unwrap(), &env).unwrap());
        assert_eq!(s.password.unwrap().expose(), "r");
        let s =
            server(ConnectionSpec::resolve(parse_url("postgres://u:x@h").unwrap(), &env).unwrap());
        assert_eq!(s.password.unwrap().expose(), "x");
    }

    #[test]
    fn flags_override_url() {
        let env = env_of(&[("USER", "u")]);
        let flags = ConnectOptions {
            port: Some(7000),
            ..Default::default()
        };
        let opts = flags.or(parse_url("postgres://h:6000/db").unwrap());
        let s = server(ConnectionSpec::resolve(opts, &env).unwrap());
        assert_eq!(s.port, 7000);
    }

    #[test]
    fn token_auth_forces_verified_tls() {
        let env = env_of(&[("USER", "u")]);
        let s = server(
            ConnectionSpec::resolve(parse_url("postgres://h?auth=iam-keys").unwrap(), &env)
                .unwrap(),
        );
        assert_eq!(s.sslmode, SslMode::VerifyFull);
        for bad in ["disable", "prefer"] {
            let url = format!("mysql://h?auth=iam-profile&sslmode={bad}");
            let e = ConnectionSpec::resolve(parse_url(&url).unwrap(), &env).unwrap_err();
            assert!(matches!(e, SpecError::InsecureTlsForToken { .. }), "{e}");
        }
        let s = server(
            ConnectionSpec::resolve(
                parse_url("mysql://h?auth=sso&sslmode=require").unwrap(),
                &env,
            )
            .unwrap(),
        );
        assert_eq!(s.sslmode, SslMode::Require);
    }

    #[test]
    fn rds_hosts_default_to_verify_full_for_passwords_too() {
        let env = env_of(&[("USER", "u")]);
        for host in [
            "db.abc123.eu-west-1.rds.amazonaws.com",
            "c.cluster-ro-abc.us-east-1.rds.amazonaws.com.",
            "p.proxy-abc.cn-north-1.rds.amazonaws.com.cn",
            "DB.ABC.US-EAST-1.RDS.AMAZONAWS.COM",
        ] {
            let s = server(
                ConnectionSpec::resolve(parse_url(&format!("mysql://{host}")).unwrap(), &env)
                    .unwrap(),
            );
            assert_eq!(s.sslmode, SslMode::VerifyFull, "{host}");
        }
        for host in [
            "db.example.com",
            "rds.amazonaws.com.evil.example",
            "x.amazonaws.com",
        ] {
            let s = server(
                ConnectionSpec::resolve(parse_url(&format!("mysql://{host}")).unwrap(), &env)
                    .unwrap(),
            );
            assert_eq!(s.sslmode, SslMode::Prefer, "{host}");
        }
        // The tunnel case: the certificate is checked against --iam-host.
        let s = server(
            ConnectionSpec::resolve(
                parse_url("postgres://localhost:6000?iam_host=db.x.eu-west-1.rds.amazonaws.com")
                    .unwrap(),
                &env,
            )
            .unwrap(),
        );
        assert_eq!(s.sslmode, SslMode::VerifyFull);
        assert_eq!(s.tls_server_name(), "db.x.eu-west-1.rds.amazonaws.com");
        // An explicit choice still wins for passwords.
        let s = server(
            ConnectionSpec::resolve(
                parse_url("postgres://db.x.eu-west-1.rds.amazonaws.com?sslmode=require").unwrap(),
                &env,
            )
            .unwrap(),
        );
        assert_eq!(s.sslmode, SslMode::Require);
    }

    #[test]
    fn root_files_and_the_system_store_as_libpq() {
        let env = env_of(&[("USER", "u")]);
        let s = server(
            ConnectionSpec::resolve(
                parse_url("postgres://h?sslmode=require&sslrootcert=ca.pem").unwrap(),
                &env,
            )
            .unwrap(),
        );
        assert_eq!(s.sslmode, SslMode::VerifyCa);
        let s = server(
            ConnectionSpec::resolve(parse_url("postgres://h?sslrootcert=system").unwrap(), &env)
                .unwrap(),
        );
        assert_eq!(
            (s.sslmode, s.roots),
            (SslMode::VerifyFull, TrustRoots::System)
        );
        let e = ConnectionSpec::resolve(
            parse_url("postgres://h?sslrootcert=system&sslmode=verify-ca").unwrap(),
            &env,
        )
        .unwrap_err();
        assert!(e.to_string().contains("verify-full"), "{e}");
    }

    #[test]
    fn no_engine_is_an_error() {
        let e = ConnectionSpec::resolve(ConnectOptions::default(), &env_of(&[])).unwrap_err();
        assert!(matches!(e, SpecError::NoEngine));
    }

    #[test]
    fn bad_env_is_named() {
        let env = env_of(&[("PGPORT", "lots"), ("USER", "u")]);
        let e = ConnectionSpec::resolve(parse_url("postgres://h").unwrap(), &env).unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("PGPORT") && msg.contains("lots"), "{msg}");
    }

    #[test]
    fn sqlite_needs_a_path() {
        let s =
            ConnectionSpec::resolve(parse_url("sqlite::memory:").unwrap(), &env_of(&[])).unwrap();
        assert_eq!(
            s,
            ConnectionSpec::Sqlite {
                path: ":memory:".into()
            }
        );
    }
}
