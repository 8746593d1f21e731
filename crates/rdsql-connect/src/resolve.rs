//! Flags (or a form) over a URL or saved connection over the environment:
//! one [`rdsql_db::ConnectionSpec`], without touching the network.

use crate::Error;
use rdsql_db::{ConnectOptions, ConnectionSpec};

/// What a surface asks to connect to.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// A saved connection's name or a URL (anything with a `:`).
    pub conn: Option<String>,
    /// Field values by field name (from flags or the UI's form), in the
    /// raw text form [`ConnectOptions::set`] reads. A password is never
    /// one of them.
    pub fields: Vec<(String, String)>,
}

impl Request {
    /// The request's own options (flags, then URL or saved connection),
    /// before the environment.
    pub fn options(&self) -> Result<ConnectOptions, Error> {
        let mut flags = ConnectOptions::default();
        for (name, value) in &self.fields {
            flags.set(name, value).map_err(|reason| Error::Flag {
                flag: name.replace('_', "-"),
                reason,
            })?;
        }
        let base = match &self.conn {
            Some(c) if c.contains(':') => rdsql_db::url::parse_url(c)?,
            Some(name) => crate::saved::load(name)?,
            None => ConnectOptions::default(),
        };
        Ok(flags.or(base))
    }
}

/// Resolves `req` against the environment (`env` looks a variable up).
pub fn resolve(
    req: &Request,
    env: &dyn Fn(&str) -> Option<String>,
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
