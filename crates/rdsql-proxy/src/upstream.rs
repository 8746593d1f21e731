//! The upstream leg after the dial: TLS exactly as the CLI does it
//! (`rdsql_db::tls`: verify-full against the RDS bundle for IAM/SSO; the
//! certificate checked against `--iam-host` behind a tunnel).

use crate::dial::Io;
use rdsql_db::{ServerSpec, SslMode};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Why the upstream could not be reached, in words for the client.
#[derive(Debug, thiserror::Error)]
pub enum UpstreamError {
    #[error("cannot resolve {0}")]
    Resolve(String),
    #[error("cannot connect to {0}: {1}")]
    Connect(String, std::io::Error),
    #[error("connecting to {0} timed out after {1:?}")]
    Timeout(String, Duration),
    #[error("{0} does not accept TLS, and sslmode {1} requires it")]
    NoTls(String, &'static str),
    #[error("TLS with {0} failed: {1}")]
    Tls(String, String),
}

impl UpstreamError {
    /// Likely causes and what to do, as the CLI's hints say them.
    pub fn hints(&self) -> Vec<String> {
        match self {
            UpstreamError::Resolve(_) => vec!["check the host name of the connection".into()],
            UpstreamError::Connect(..) | UpstreamError::Timeout(..) => vec![
                "is the database running and reachable from here (security group, VPN, tunnel)?".into(),
                "check the host and port of the connection".into(),
            ],
            UpstreamError::NoTls(..) => vec!["enable TLS on the server, or lower sslmode".into()],
            UpstreamError::Tls(..) => vec![
                "the server's certificate must match its name and a trusted CA (the RDS bundle by default; --sslrootcert FILE otherwise)".into(),
                "behind a tunnel, --iam-host names the real endpoint the certificate is for".into(),
            ],
        }
    }
}

fn mode_name(m: SslMode) -> &'static str {
    match m {
        SslMode::Disable => "disable",
        SslMode::Prefer => "prefer",
        SslMode::Require => "require",
        SslMode::VerifyCa => "verify-ca",
        SslMode::VerifyFull => "verify-full",
    }
}

/// TLS over `tcp` for PostgreSQL (after `SSLRequest`), per the spec's mode.
pub async fn pg_tls(spec: &ServerSpec, mut tcp: Box<dyn Io>) -> Result<Box<dyn Io>, UpstreamError> {
    let hp = spec.host_port();
    if spec.sslmode == SslMode::Disable {
        return Ok(tcp);
    }
    let mut req = bytes::BytesMut::new();
    postgres_protocol::message::frontend::ssl_request(&mut req);
    let io = |e: std::io::Error| UpstreamError::Connect(hp.clone(), e);
    tcp.write_all(&req).await.map_err(io)?;
    let mut answer = [0u8; 1];
    tcp.read_exact(&mut answer).await.map_err(io)?;
    if answer[0] != b'S' {
        if spec.sslmode == SslMode::Prefer {
            return Ok(tcp);
        }
        return Err(UpstreamError::NoTls(hp, mode_name(spec.sslmode)));
    }
    wrap(spec, tcp).await
}

/// A TLS client session over `tcp` with the spec's rules.
pub async fn wrap(spec: &ServerSpec, tcp: Box<dyn Io>) -> Result<Box<dyn Io>, UpstreamError> {
    let hp = spec.host_port();
    let config = rdsql_db::tls::client_config(spec.sslmode, &spec.roots)
        .map_err(|e| UpstreamError::Tls(hp.clone(), e.to_string()))?
        .ok_or_else(|| UpstreamError::Tls(hp.clone(), "TLS is disabled".into()))?;
    let name = rustls_pki_types::ServerName::try_from(spec.tls_server_name().to_string())
        .map_err(|e| UpstreamError::Tls(hp.clone(), e.to_string()))?;
    let tls = tokio_rustls::TlsConnector::from(std::sync::Arc::new(config))
        .connect(name, tcp)
        .await
        .map_err(|e| UpstreamError::Tls(hp, e.to_string()))?;
    Ok(Box::new(tls))
}
