//! Flags (or a form) over a URL or saved connection over the environment:
//! one [`rdsql_db::ConnectionSpec`], without touching the network.
//!
//! [`resolve`] is the only way from what a surface was given to a spec that
//! can be opened: the CLI, the shell, the UI and the proxy all call it, so
//! each gets the same tunnels and the same checks (docs/architecture.md).

use crate::Error;
use rdsql_db::{ConnectOptions, ConnectionSpec, Secret};

/// What a surface asks to connect to.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// A saved connection's name or a URL (anything with a `:`).
    pub conn: Option<String>,
    /// Field values by field name (from flags or the UI's form), in the
    /// raw text form [`ConnectOptions::set`] reads. A password is never
    /// one of them.
    pub fields: Vec<(String, String)>,
    /// Secrets typed in now (the UI's form): they win over saved ones.
    pub secrets: Secrets,
    /// Field values used only where neither the fields nor the URL or
    /// saved connection set one (`rdsql token` signs for PostgreSQL and
    /// the profile chain unless told otherwise).
    pub defaults: Vec<(String, String)>,
}

/// Secrets a person typed for this request (never flags: they would show
/// in the process list).
#[derive(Debug, Clone, Default)]
pub struct Secrets {
    pub password: Option<Secret>,
    pub aws_secret_access_key: Option<Secret>,
    pub aws_session_token: Option<Secret>,
}

fn parse_fields(fields: &[(String, String)]) -> Result<ConnectOptions, Error> {
    let mut o = ConnectOptions::default();
    for (name, value) in fields {
        o.set(name, value).map_err(|reason| Error::Flag {
            flag: name.replace('_', "-"),
            reason,
        })?;
    }
    Ok(o)
}

impl Request {
    /// The request's own options (flags, then URL or saved connection,
    /// then defaults, with typed secrets over all), before the environment.
    pub fn options(&self) -> Result<ConnectOptions, Error> {
        let flags = parse_fields(&self.fields)?;
        let base = match &self.conn {
            Some(c) if c.contains(':') => rdsql_db::url::parse_url(c)?,
            Some(name) => crate::saved::load(name)?,
            None => ConnectOptions::default(),
        };
        let mut o = flags.or(base).or(parse_fields(&self.defaults)?);
        let s = &self.secrets;
        if let Some(p) = &s.password {
            o.password = Some(p.clone());
        }
        if let Some(k) = &s.aws_secret_access_key {
            o.aws_secret_access_key = Some(k.clone());
        }
        if let Some(t) = &s.aws_session_token {
            o.aws_session_token = Some(t.clone());
        }
        Ok(o)
    }
}

/// Resolves `req` against the environment (`env` looks a variable up):
/// the spec, with its tunnel attached.
pub fn resolve(
    req: &Request,
    env: &(dyn Fn(&str) -> Option<String> + Sync),
) -> Result<ConnectionSpec, Error> {
    let mut spec = ConnectionSpec::resolve(req.options()?, env)?;
    // `--ssh`: the engines dial the tunnel's local end (opened on first
    // use) and keep the real host for TLS and IAM (docs/ssh.md).
    if let ConnectionSpec::Server(s) = &mut spec
        && let Some(target) = &s.ssh
    {
        s.tunnel = Some(crate::ssh::tunnel(target, &s.host, s.port));
    }
    Ok(spec)
}

/// Checks that `opts` describe a connection that could be opened, as
/// saving one does (no environment but a user name, no network).
pub fn check(opts: &ConnectOptions) -> Result<(), Error> {
    let probe = |k: &str| (k == "USER").then(|| "user".to_string());
    ConnectionSpec::resolve(opts.clone(), &probe)?;
    Ok(())
}
