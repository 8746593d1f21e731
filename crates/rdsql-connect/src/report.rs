//! Errors rendered for people: a headline, then short "likely causes"
//! lines, and the exit codes of the README ("Errors and exit codes").

use rdsql_db::{ConnectError, ConnectFailure, Protocol, QueryError, SpecError, TlsFailure};
use std::fmt::Write;

impl From<crate::Error> for Failure {
    fn from(e: crate::Error) -> Self {
        use crate::Error as E;
        match e {
            E::Spec(e) => Failure::spec(e),
            E::Connect { error, tried } => Failure::connect(error, tried),
            E::Flag { .. } | E::Saved { .. } | E::Setup { .. } | E::Cancelled(_) => {
                let causes = e.hints().to_vec();
                Failure::local(e.to_string(), causes)
            }
            E::Credentials { .. }
            | E::MfaCodeNeeded { .. }
            | E::Token { .. }
            | E::SignIn { .. } => Failure {
                headline: e.to_string(),
                causes: e.hints().to_vec(),
                details: vec![],
                exit_code: EXIT_CONNECT,
            },
        }
    }
}

/// Exit codes, as psql's.
pub const EXIT_LOCAL: i32 = 1;
pub const EXIT_CONNECT: i32 = 2;
pub const EXIT_STATEMENT: i32 = 3;

/// A failure ready to print.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Failure {
    pub headline: String,
    pub causes: Vec<String>,
    pub details: Vec<String>,
    pub exit_code: i32,
}

impl Failure {
    /// A local error (bad flag, missing file): exit 1.
    pub fn local(headline: impl Into<String>, causes: Vec<String>) -> Self {
        Failure {
            headline: headline.into(),
            causes,
            details: vec![],
            exit_code: EXIT_LOCAL,
        }
    }

    /// A connection that could not be described.
    pub fn spec(e: SpecError) -> Self {
        let causes = match &e {
            SpecError::BadUrl { .. } => vec![
                "the URL form is scheme://user:password@host:port/dbname?param=value; percent-encode special characters in the user and password (@ → %40, : → %3A, / → %2F)".into(),
            ],
            SpecError::NoEngine => vec![
                "examples: rdsql query postgres://me@db.example.com/app -c 'select 1'".into(),
                "          rdsql query sqlite::memory: -c 'select 1'".into(),
            ],
            _ => vec![],
        };
        Failure::local(e.to_string(), causes)
    }

    /// A connection failure: exit 2.
    pub fn connect(e: ConnectError, password_source: Option<String>) -> Self {
        let t = &e.target;
        let mut causes = Vec::new();
        let hp = &t.host_port;
        match &e.failure {
            ConnectFailure::Refused => {
                causes.push(format!("nothing listens on {hp}: check the endpoint and the port (PostgreSQL uses 5432, MySQL/MariaDB 3306 by default)"));
                causes.push("the database server is stopped or still starting".into());
                causes.push("for RDS: the security group does not allow your IP, or the instance is not publicly accessible: use a VPN or an SSH tunnel (and --iam-host for IAM tokens)".into());
            }
            ConnectFailure::TimedOut(_) => {
                causes.push(
                    "a firewall or security group silently drops the traffic to this port".into(),
                );
                causes.push("the instance is not publicly accessible: connect through a VPN or an SSH tunnel".into());
                causes.push("the endpoint or port is wrong, or the server is overloaded (raise --connect-timeout)".into());
            }
            ConnectFailure::Resolve(_) => {
                causes.push("the host name is misspelled".into());
                causes.push("the name only resolves inside its VPC or on a VPN".into());
            }
            ConnectFailure::Tls(tls) => match tls {
                TlsFailure::UnknownCa => {
                    causes.push("the server certificate is not signed by a trusted CA: pass the CA with --sslrootcert FILE".into());
                    causes.push("for RDS the Amazon RDS CA bundle is built in; if the instance uses a newer CA, download global-bundle.pem and pass it with --sslrootcert".into());
                    if t.sslmode == rdsql_db::SslMode::VerifyCa {
                        causes.push("verify-ca trusts the Amazon RDS CAs or your --sslrootcert FILE only; publicly trusted certificates count for verify-full (where the host name is checked)".into());
                    }
                    causes.push(
                        "to encrypt without verifying (unsafe): --sslmode require, without --sslrootcert".into(),
                    );
                }
                TlsFailure::NameMismatch { presented, .. } => {
                    match presented.first() {
                        Some(name) => causes.push(format!(
                            "connect with a host name the certificate is for, e.g. -h {}",
                            name.replace('*', "NAME")
                        )),
                        None => {
                            causes.push("connect with the host name the certificate is for".into())
                        }
                    }
                    causes.push("for RDS: the instance, cluster or proxy endpoint, not an IP address or a CNAME of your own".into());
                    causes.push("through an SSH tunnel or port forward: keep -h/-p on the tunnel and give the real endpoint with --iam-host HOST (the certificate is checked against it, and IAM tokens are signed for it)".into());
                }
                TlsFailure::ServerHasNoTls => {
                    causes.push("the server has TLS switched off; with password auth, --sslmode prefer or disable connects without it".into());
                    causes.push("IAM and SSO connections always need TLS".into());
                }
                TlsFailure::Expired => {
                    causes.push(
                        "the server certificate is expired, or this machine's clock is wrong"
                            .into(),
                    );
                }
                TlsFailure::Other(_) => {
                    causes.push("the server's TLS setup is not compatible; try --sslmode require to see if TLS works at all".into());
                }
            },
            ConnectFailure::AuthRejected { .. } if t.auth.password_is_token() => {
                if let Some(src) = &password_source {
                    causes.push(format!("tried: {src}"));
                }
                causes.push("the IAM policy of these credentials lacks rds-db:connect".into());
                causes.push(format!(
                    "the policy's resource ARN does not match: arn:aws:rds-db:REGION:ACCOUNT_ID:dbuser:DBI_RESOURCE_ID/{} (the instance resource ID, not its name)",
                    t.user
                ));
                match t.engine.protocol() {
                    Protocol::Postgres => causes.push(format!("the database user lacks the rds_iam role: GRANT rds_iam TO \"{}\";", t.user)),
                    Protocol::Mysql | Protocol::Sqlite => causes.push(format!(
                        "the database user is not IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS': CREATE USER '{}' IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS';",
                        t.user
                    )),
                }
                causes.push("the token was signed for the wrong region or host (behind a tunnel, give --iam-host/--iam-port of the real endpoint)".into());
                causes.push("the credentials or the token expired, or this machine's clock is off by more than a few minutes".into());
            }
            ConnectFailure::AuthRejected { .. } => {
                if let Some(src) = &password_source {
                    causes.push(format!("the password is wrong ({src})"));
                }
                causes.push(format!(
                    "the user {:?} does not exist, or may not log in from this host",
                    t.user
                ));
                match t.engine.protocol() {
                    Protocol::Postgres => causes.push("pg_hba.conf has no matching line for this user, database and address".into()),
                    Protocol::Mysql | Protocol::Sqlite => causes.push("the account's host part does not match this client address ('user'@'host')".into()),
                }
            }
            ConnectFailure::Server { code, .. } => {
                if code == "3D000" || code.starts_with("1049") {
                    causes.push(
                        "the database does not exist: check -d/--dbname or the URL path".into(),
                    );
                } else if code.starts_with("1524") {
                    causes.push("IAM database authentication is not enabled on this instance: enable it (modify the instance, --enable-iam-database-authentication)".into());
                } else if code == "53300" || code.starts_with("1040") {
                    causes.push("the server has too many connections".into());
                }
            }
            ConnectFailure::Password(p) => causes.extend(p.hints.iter().cloned()),
            ConnectFailure::PasswordRequired => {
                causes.push("give the password in the URL (user:password@host), in RDSQL_PASSWORD or PGPASSWORD, or save it with rdsql conn add".into());
                causes.push("or run on a terminal, where rdsql asks for it (nothing was sent to the server)".into());
            }
            ConnectFailure::Io(_) | ConnectFailure::Other(_) => {
                causes.push("the server closed the connection during the handshake; check that this port speaks the engine you asked for".into());
            }
            ConnectFailure::Sqlite(_) => {
                causes.push("check the path and that its directory exists and is writable".into());
            }
            ConnectFailure::Tunnel(t) => {
                if t.kind == rdsql_db::spec::TunnelErrorKind::HostKey {
                    causes.push("compare the fingerprint with the one the bastion's administrator publishes; if the key really changed, remove the old line from ~/.ssh/known_hosts (ssh-keygen -R HOST)".into());
                } else {
                    causes.push("check --ssh [user@]host[:port]: the bastion's address, port and your user name there".into());
                    causes.push("the key: --ssh-key FILE, else the SSH agent (SSH_AUTH_SOCK), else ~/.ssh/id_ed25519, id_ecdsa, id_rsa — its public half must be in the bastion's authorized_keys".into());
                    causes.push("the bastion must allow TCP forwarding (AllowTcpForwarding) to the database".into());
                }
            }
        }
        Failure {
            headline: e.to_string(),
            causes,
            details: vec![],
            exit_code: EXIT_CONNECT,
        }
    }

    /// A failed statement: exit 3 (2 if the connection was lost).
    pub fn query(e: QueryError) -> Self {
        match e {
            QueryError::Server {
                code,
                message,
                detail,
                hint,
            } => {
                let mut details = vec![];
                if let Some(d) = detail {
                    details.push(format!("DETAIL: {d}"));
                }
                if let Some(h) = hint {
                    details.push(format!("HINT: {h}"));
                }
                Failure {
                    headline: format!("ERROR {code}: {message}"),
                    causes: vec![],
                    details,
                    exit_code: EXIT_STATEMENT,
                }
            }
            QueryError::ConnectionLost(m) => Failure {
                headline: format!("the connection to the server was lost: {m}"),
                causes: vec![
                    "the server restarted, failed over, or closed an idle connection".into(),
                    "the statement may or may not have been applied; check before running it again"
                        .into(),
                ],
                details: vec![],
                exit_code: EXIT_CONNECT,
            },
            QueryError::Output(e) => Failure::local(format!("could not write output: {e}"), vec![]),
        }
    }

    /// The text for stderr.
    pub fn render(&self) -> String {
        let mut s = String::new();
        let head = if self.headline.starts_with("ERROR") {
            String::new()
        } else {
            "error: ".into()
        };
        let _ = writeln!(s, "{head}{}", clip(&self.headline));
        for d in &self.details {
            let _ = writeln!(s, "{}", clip(d));
        }
        if !self.causes.is_empty() {
            let _ = writeln!(s, "likely causes:");
            for c in &self.causes {
                let _ = writeln!(s, "  - {c}");
            }
        }
        s
    }
}

/// A line cut to a readable length: a server may echo a 10 MB token back
/// in its error message.
fn clip(line: &str) -> std::borrow::Cow<'_, str> {
    const MAX: usize = 400;
    match line.char_indices().nth(MAX) {
        None => line.into(),
        Some((i, _)) => format!(
            "{}… ({} more characters)",
            &line[..i],
            line[i..].chars().count()
        )
        .into(),
    }
}
