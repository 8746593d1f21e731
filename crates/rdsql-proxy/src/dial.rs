//! The dial: how the proxy reaches a server. [`Dial`] is the seam tests
//! replace with an in-memory upstream; [`TcpDial`] is the real one (TCP,
//! through the connection's tunnel when it has one). TLS and the login
//! happen after, per protocol.

use crate::upstream::UpstreamError;
use rdsql_db::ServerSpec;
use rdsql_db::password::BoxFuture;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

/// A byte stream, plain or TLS.
pub trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// A dialled stream and the address it reached.
pub type Dialled = (Box<dyn Io>, SocketAddr);

/// Opens a byte stream to a server.
pub trait Dial: Send + Sync {
    /// A stream to the server `spec` names — to `at` when given (a cancel
    /// goes to the address its session reached) — and the address reached.
    fn dial<'a>(
        &'a self,
        spec: &'a ServerSpec,
        at: Option<SocketAddr>,
    ) -> BoxFuture<'a, Result<Dialled, UpstreamError>>;
}

/// The real dial: TCP to the server, or to its tunnel's local end.
pub struct TcpDial;

impl Dial for TcpDial {
    fn dial<'a>(
        &'a self,
        spec: &'a ServerSpec,
        at: Option<SocketAddr>,
    ) -> BoxFuture<'a, Result<Dialled, UpstreamError>> {
        Box::pin(async move {
            let (s, a) = tcp(spec, at).await?;
            Ok((Box::new(s) as Box<dyn Io>, a))
        })
    }
}

/// TCP to the server (the first address that answers), bounded by the
/// connection's connect timeout (10 s when unset).
async fn tcp(
    spec: &ServerSpec,
    at: Option<SocketAddr>,
) -> Result<(TcpStream, SocketAddr), UpstreamError> {
    let hp = spec.host_port();
    let limit = spec.connect_timeout.unwrap_or(Duration::from_secs(10));
    let fut = async {
        // Through an SSH tunnel: its local end (docs/ssh.md).
        let (host, port) = spec.dial().await.map_err(|e| {
            UpstreamError::Connect(hp.clone(), std::io::Error::other(e.to_string()))
        })?;
        let addrs: Vec<SocketAddr> = match at {
            Some(a) if spec.tunnel.is_none() => vec![a],
            _ => tokio::net::lookup_host((host.as_str(), port))
                .await
                .map_err(|_| UpstreamError::Resolve(spec.host.clone()))?
                .collect(),
        };
        let mut last = None;
        for a in addrs {
            match TcpStream::connect(a).await {
                Ok(s) => {
                    let _ = s.set_nodelay(true);
                    return Ok((s, a));
                }
                Err(e) => last = Some(e),
            }
        }
        Err(UpstreamError::Connect(
            hp.clone(),
            last.unwrap_or_else(|| std::io::Error::other("no address")),
        ))
    };
    tokio::time::timeout(limit, fut)
        .await
        .unwrap_or_else(|_| Err(UpstreamError::Timeout(hp.clone(), limit)))
}
