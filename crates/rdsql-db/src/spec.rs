//! The resolved, consistent description of one connection.

use crate::Secret;
use crate::error::SpecError;
use crate::kinds::{AuthMethod, Engine, SslMode};
use crate::options::{ConnectOptions, FIELDS};
use std::path::PathBuf;
use std::time::Duration;

/// How a connection authenticates, with each method's own settings, so
/// that a combination no method has cannot be written down
/// (docs/connection-model.md, "Authentication").
#[derive(Debug, Clone, PartialEq)]
pub enum Auth {
    /// A password: given, or `None` to prompt (or fail) when the server
    /// asks for one.
    Password { password: Option<Secret> },
    /// IAM token signed with an access key (secret from a saved store, the
    /// environment or a prompt).
    IamKeys {
        access_key_id: Option<String>,
        secret_access_key: Option<Secret>,
        /// Given with the key (a form); else `AWS_SESSION_TOKEN`.
        session_token: Option<Secret>,
        region: Option<String>,
    },
    /// IAM token signed with a profile's credentials (or the default chain).
    IamProfile {
        profile: Option<String>,
        region: Option<String>,
    },
    /// IAM token signed with IAM Identity Center role credentials.
    Sso {
        sign_in: SsoSignIn,
        account_id: Option<String>,
        role_name: Option<String>,
        region: Option<String>,
    },
}

impl std::fmt::Display for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.method().name())
    }
}

/// Which Identity Center sign-in an SSO connection uses.
#[derive(Debug, Clone, PartialEq)]
pub enum SsoSignIn {
    /// An SSO profile (`None`: `AWS_PROFILE`).
    Profile(Option<String>),
    /// A start URL and its region, without a profile.
    Custom { start_url: String, region: String },
}

impl Auth {
    /// The `--auth` method.
    pub fn method(&self) -> AuthMethod {
        match self {
            Auth::Password { .. } => AuthMethod::Password,
            Auth::IamKeys { .. } => AuthMethod::IamKeys,
            Auth::IamProfile { .. } => AuthMethod::IamProfile,
            Auth::Sso { .. } => AuthMethod::Sso,
        }
    }

    /// See [`AuthMethod::password_is_token`].
    pub fn password_is_token(&self) -> bool {
        self.method().password_is_token()
    }

    /// See [`AuthMethod::needs_aws_credentials`].
    pub fn needs_aws_credentials(&self) -> bool {
        self.method().needs_aws_credentials()
    }

    /// The signing region asked for, if any.
    pub fn region(&self) -> Option<&str> {
        match self {
            Auth::Password { .. } => None,
            Auth::IamKeys { region, .. }
            | Auth::IamProfile { region, .. }
            | Auth::Sso { region, .. } => region.as_deref(),
        }
    }
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
    /// Which CAs count, for messages.
    pub fn describe(&self) -> String {
        match self {
            TrustRoots::Bundled => "the bundled Amazon RDS CA bundle".into(),
            TrustRoots::File(p) => format!("the CAs of {}", p.display()),
            TrustRoots::System => "the system's trust store".into(),
        }
    }

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
    /// Whether the connection named its user (flag, URL, saved field or
    /// PGUSER) rather than falling back to the OS user.
    pub user_given: bool,
    pub dbname: Option<String>,
    pub auth: Auth,
    pub sslmode: SslMode,
    pub roots: TrustRoots,
    pub connect_timeout: Option<Duration>,
    /// The real endpoint behind a tunnel (`--iam-host`): IAM tokens are
    /// signed for it and the certificate is checked against it.
    pub iam_host: Option<String>,
    /// The real endpoint's port behind a tunnel (`--iam-port`).
    pub iam_port: Option<u16>,
    /// The local port `rdsql proxy` serves this connection on, if fixed.
    pub proxy_port: Option<u16>,
    /// Reach the server through this SSH bastion (`--ssh`).
    pub ssh: Option<SshTarget>,
    /// The open (or openable) tunnel for `ssh`, attached by the connect
    /// library; engines dial its local end (docs/ssh.md).
    pub tunnel: Option<TunnelHandle>,
}

/// `--ssh [user@]host[:port]`, `--ssh-key`, `--ssh-accept-new`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SshTarget {
    pub user: Option<String>,
    pub host: String,
    pub port: u16,
    pub key: Option<PathBuf>,
    /// Add an unknown host key to known_hosts (OpenSSH's accept-new).
    pub accept_new: bool,
}

impl SshTarget {
    /// Parses `[user@]host[:port]` (`[v6]:port` for IPv6 literals).
    pub fn parse(s: &str, key: Option<PathBuf>, accept_new: bool) -> Result<SshTarget, String> {
        let s = s.trim();
        let (user, rest) = match s.rsplit_once('@') {
            Some((u, r)) if !u.is_empty() => (Some(u.to_string()), r),
            Some(_) => return Err(format!("--ssh {s:?}: the user before @ is empty")),
            None => (None, s),
        };
        let (host, port) = if let Some(r) = rest.strip_prefix('[') {
            let (h, tail) = r
                .split_once(']')
                .ok_or_else(|| format!("--ssh {s:?}: unclosed ["))?;
            let port = match tail.strip_prefix(':') {
                Some(p) => Some(p),
                None if tail.is_empty() => None,
                None => return Err(format!("--ssh {s:?}: expected :PORT after ]")),
            };
            (h.to_string(), port)
        } else {
            match rest.rsplit_once(':') {
                Some((h, p)) if !h.contains(':') => (h.to_string(), Some(p)),
                _ => (rest.to_string(), None),
            }
        };
        if host.is_empty() {
            return Err(format!(
                "--ssh {s:?}: no host; the form is [user@]host[:port]"
            ));
        }
        let port = match port {
            Some(p) => crate::options::parse_port(p).map_err(|e| format!("--ssh {s:?}: {e}"))?,
            None => 22,
        };
        Ok(SshTarget {
            user,
            host,
            port,
            key,
            accept_new,
        })
    }
}

/// A way to the server that is not a direct TCP connection: the engines
/// connect to its local address (`127.0.0.1:N`) and keep the real host for
/// TLS names and IAM tokens. Implemented by the connect library's SSH
/// tunnel; the engines know nothing of SSH.
pub trait Tunnel: Send + Sync + std::fmt::Debug {
    /// The local address forwarding to the server, opening the tunnel (or
    /// reopening a dropped one) first.
    fn local_addr(
        &self,
    ) -> crate::password::BoxFuture<'_, Result<std::net::SocketAddr, TunnelError>>;
}

/// Why a tunnel could not be opened; `kind` is what callers branch on
/// (the hints differ), `message` what the user reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TunnelError {
    pub kind: TunnelErrorKind,
    pub message: String,
}

/// What kind of tunnel failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TunnelErrorKind {
    /// The bastion presented a host key that is unknown or changed.
    HostKey,
    /// Anything else: address, key file, authentication, forwarding.
    Other,
}

impl std::fmt::Display for TunnelError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<String> for TunnelError {
    fn from(message: String) -> Self {
        TunnelError {
            kind: TunnelErrorKind::Other,
            message,
        }
    }
}

impl From<&str> for TunnelError {
    fn from(message: &str) -> Self {
        message.to_string().into()
    }
}

/// A shared [`Tunnel`]; equal when it is the same tunnel.
#[derive(Clone, Debug)]
pub struct TunnelHandle(pub std::sync::Arc<dyn Tunnel>);

impl PartialEq for TunnelHandle {
    fn eq(&self, other: &Self) -> bool {
        std::sync::Arc::ptr_eq(&self.0, &other.0)
    }
}

impl ServerSpec {
    /// Where to open the TCP connection: the tunnel's local end when there
    /// is one, else host and port.
    pub async fn dial(&self) -> Result<(String, u16), crate::ConnectFailure> {
        match &self.tunnel {
            Some(t) => {
                t.0.local_addr()
                    .await
                    .map(|a| (a.ip().to_string(), a.port()))
                    .map_err(crate::ConnectFailure::Tunnel)
            }
            None => Ok((self.host.clone(), self.port)),
        }
    }

    /// The name the server certificate must be valid for: `--iam-host`
    /// (the real endpoint behind a tunnel) when given, else the host.
    pub fn tls_server_name(&self) -> &str {
        self.iam_host.as_deref().unwrap_or(&self.host)
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

impl ConnectOptions {
    /// Fills what the flags, URL and saved connection left open from the
    /// environment, field by field as the field table says (libpq's
    /// variables apply to PostgreSQL only).
    pub fn with_env(
        mut self,
        engine: Engine,
        env: &(dyn Fn(&str) -> Option<String> + Sync),
    ) -> Result<ConnectOptions, SpecError> {
        if engine != Engine::Postgres {
            return Ok(self);
        }
        for f in FIELDS {
            if self.get(f.name).is_some() {
                continue;
            }
            if let Some((var, value)) = f
                .env
                .iter()
                .find_map(|v| env(v).filter(|s| !s.is_empty()).map(|s| (*v, s)))
            {
                self.set(f.name, &value)
                    .map_err(|reason| SpecError::BadEnv {
                        var: var.into(),
                        value: value.clone(),
                        reason,
                    })?;
            }
        }
        Ok(self)
    }
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
    ///
    /// This is the checking half of `rdsql_connect::resolve`, which every
    /// surface calls (it also attaches tunnels): call that one instead
    /// (docs/architecture.md).
    pub fn resolve(
        opts: ConnectOptions,
        env: &(dyn Fn(&str) -> Option<String> + Sync),
    ) -> Result<ConnectionSpec, SpecError> {
        let pg_env_set = ["PGHOST", "PGPORT", "PGUSER", "PGDATABASE"]
            .iter()
            .any(|v| env(v).is_some_and(|s| !s.is_empty()));
        let engine = match opts.engine {
            Some(e) => e,
            None if pg_env_set => Engine::Postgres,
            None => return Err(SpecError::NoEngine),
        };
        let method = opts.auth.unwrap_or(AuthMethod::Password);

        if engine == Engine::Sqlite {
            if method != AuthMethod::Password {
                return Err(SpecError::Inconsistent(format!(
                    "--auth {method} does not apply to SQLite, which has no server"
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

        let opts = opts.with_env(engine, env)?;
        let nonempty = |v: Option<String>| v.filter(|s| !s.is_empty());

        let host = opts.host.unwrap_or_else(|| "localhost".to_string());
        if host.starts_with('/') {
            return Err(SpecError::Inconsistent(format!(
                "host {host:?} is a Unix socket directory; rdsql connects over TCP only (use -h localhost)"
            )));
        }
        let port = opts.port.unwrap_or_else(|| engine.default_port());
        let user_given = opts.user.is_some();
        let user = opts
            .user
            .or_else(|| nonempty(env("USER")))
            .or_else(|| nonempty(env("LOGNAME")))
            .ok_or(SpecError::NoUser)?;
        let roots = match opts.sslrootcert {
            Some(p) => TrustRoots::from_sslrootcert(p),
            None => TrustRoots::Bundled,
        };
        let tls_name = opts.iam_host.as_deref().unwrap_or(&host);
        let sslmode = tls_mode(opts.sslmode, method, is_rds_host(tls_name), &roots)?;
        let connect_timeout = opts.connect_timeout.unwrap_or(10);
        let connect_timeout = (connect_timeout > 0).then(|| Duration::from_secs(connect_timeout));

        // Each method takes its own fields; another method's field is an
        // error, not silently ignored.
        let foreign = |name: &str, owner: &str| {
            SpecError::Inconsistent(format!(
                "{name} applies to --auth {owner}, not to --auth {method}"
            ))
        };
        if method != AuthMethod::IamKeys && opts.aws_access_key_id.is_some() {
            return Err(foreign("--aws-access-key-id", "iam-keys"));
        }
        if !matches!(method, AuthMethod::IamProfile | AuthMethod::Sso) && opts.aws_profile.is_some()
        {
            return Err(foreign("--aws-profile", "iam-profile or sso"));
        }
        if method != AuthMethod::Sso {
            for (set, name) in [
                (opts.sso_start_url.is_some(), "--sso-start-url"),
                (opts.sso_region.is_some(), "--sso-region"),
                (opts.sso_account_id.is_some(), "--sso-account-id"),
                (opts.sso_role_name.is_some(), "--sso-role-name"),
            ] {
                if set {
                    return Err(foreign(name, "sso"));
                }
            }
        }
        if method == AuthMethod::Password && opts.aws_region.is_some() {
            return Err(foreign("--aws-region", "iam-keys, iam-profile or sso"));
        }
        if method.password_is_token() && opts.password.is_some() {
            return Err(SpecError::Inconsistent(format!(
                "a password does not apply to --auth {method}: the IAM token is the password"
            )));
        }
        let region = opts.aws_region;
        let auth = match method {
            AuthMethod::Password => {
                let engine_var = if engine == Engine::Postgres {
                    "PGPASSWORD"
                } else {
                    "MYSQL_PWD"
                };
                Auth::Password {
                    password: opts
                        .password
                        .or_else(|| nonempty(env("RDSQL_PASSWORD")).map(Secret::new))
                        .or_else(|| nonempty(env(engine_var)).map(Secret::new)),
                }
            }
            AuthMethod::IamKeys => Auth::IamKeys {
                access_key_id: opts.aws_access_key_id,
                secret_access_key: opts.aws_secret_access_key,
                session_token: opts.aws_session_token,
                region,
            },
            AuthMethod::IamProfile => Auth::IamProfile {
                profile: opts.aws_profile,
                region,
            },
            AuthMethod::Sso => Auth::Sso {
                sign_in: match (opts.sso_start_url, opts.sso_region) {
                    (Some(start_url), Some(region)) => SsoSignIn::Custom { start_url, region },
                    (None, None) => SsoSignIn::Profile(opts.aws_profile),
                    _ => {
                        return Err(SpecError::Inconsistent(
                            "custom SSO needs both --sso-start-url and --sso-region (or name an SSO profile with --aws-profile)".into(),
                        ));
                    }
                },
                account_id: opts.sso_account_id,
                role_name: opts.sso_role_name,
                region,
            },
        };

        Ok(ConnectionSpec::Server(ServerSpec {
            engine,
            host,
            port,
            user,
            dbname: opts.dbname,
            auth,
            sslmode,
            roots,
            connect_timeout,
            iam_host: opts.iam_host,
            iam_port: opts.iam_port,
            proxy_port: opts.proxy_port,
            user_given,
            ssh: match opts.ssh {
                Some(s) => Some(
                    SshTarget::parse(&s, opts.ssh_key, opts.ssh_accept_new.unwrap_or(false))
                        .map_err(SpecError::Inconsistent)?,
                ),
                None => None,
            },
            tunnel: None,
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
        None if auth.password_is_token() || rds_host || *roots == TrustRoots::System => {
            SslMode::VerifyFull
        }
        None => SslMode::Prefer,
    };
    if auth.password_is_token() && matches!(mode, SslMode::Disable | SslMode::Prefer) {
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

    fn password(s: &ServerSpec) -> String {
        match &s.auth {
            Auth::Password { password } => password.as_ref().unwrap().expose().to_string(),
            other => panic!("not a password: {other:?}"),
        }
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
        assert_eq!(password(&s), "pgpw");
        assert_eq!(s.sslmode, SslMode::VerifyCa);
        let s = server(ConnectionSpec::resolve(parse_url("mysql://h").unwrap(), &env).unwrap());
        assert_eq!(
            (s.host.as_str(), s.port, s.user.as_str()),
            ("h", 3306, "os")
        );
        assert_eq!(password(&s), "mypw");
    }

    #[test]
    fn rdsql_password_wins_over_engine_variable_but_not_url() {
        let env = env_of(&[("RDSQL_PASSWORD", "r"), ("PGPASSWORD", "p"), ("USER", "u")]);
        let s = server(ConnectionSpec::resolve(parse_url("postgres://h").unwrap(), &env).unwrap());
        assert_eq!(password(&s), "r");
        let s =
            server(ConnectionSpec::resolve(parse_url("postgres://u:x@h").unwrap(), &env).unwrap());
        assert_eq!(password(&s), "x");
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
    fn each_method_takes_its_own_fields() {
        let env = env_of(&[("USER", "u")]);
        let s = server(
            ConnectionSpec::resolve(
                parse_url("postgres://h?auth=sso&sso_start_url=https://x.awsapps.com/start&sso_region=eu-west-1&sso_account_id=1&sso_role_name=r").unwrap(),
                &env,
            )
            .unwrap(),
        );
        assert!(matches!(
            s.auth,
            Auth::Sso {
                sign_in: SsoSignIn::Custom { .. },
                ..
            }
        ));
        for (url, needle) in [
            ("postgres://h?aws_access_key_id=AKIA", "--aws-access-key-id"),
            (
                "postgres://h?auth=iam-profile&aws_access_key_id=AKIA",
                "--aws-access-key-id",
            ),
            ("postgres://h?aws_profile=p", "--aws-profile"),
            ("postgres://h?auth=iam-keys&aws_profile=p", "--aws-profile"),
            (
                "postgres://h?auth=iam-profile&sso_role_name=r",
                "--sso-role-name",
            ),
            ("postgres://h?aws_region=eu-west-1", "--aws-region"),
            (
                "postgres://h?auth=sso&sso_region=eu-west-1",
                "both --sso-start-url and --sso-region",
            ),
            (
                "postgres://u:pw@h?auth=iam-keys",
                "the IAM token is the password",
            ),
        ] {
            let e = ConnectionSpec::resolve(parse_url(url).unwrap(), &env).unwrap_err();
            assert!(e.to_string().contains(needle), "{url}: {e}");
        }
        // A password from the environment is not "given" for IAM: ignored.
        let env = env_of(&[("USER", "u"), ("PGPASSWORD", "p")]);
        assert!(
            ConnectionSpec::resolve(parse_url("postgres://h?auth=iam-keys").unwrap(), &env).is_ok()
        );
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
