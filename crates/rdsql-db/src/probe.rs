//! Reachability and TLS probes without logging in (`rdsql aws check`,
//! docs/aws.md): a TCP connect, then the engine's own TLS upgrade —
//! PostgreSQL's SSLRequest, MySQL's SSL request packet after the greeting —
//! and a handshake verified as `verify-full` would.

use crate::kinds::{Engine, SslMode};
use crate::spec::TrustRoots;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Opens a TCP connection within `timeout`.
pub async fn tcp(host: &str, port: u16, timeout: Duration) -> Result<TcpStream, String> {
    match tokio::time::timeout(timeout, TcpStream::connect((host, port))).await {
        Ok(Ok(s)) => Ok(s),
        Ok(Err(e)) => Err(format!("{host}:{port}: {e}")),
        Err(_) => Err(format!(
            "{host}:{port}: no answer within {} s",
            timeout.as_secs()
        )),
    }
}

/// Connects, asks the server for TLS and completes a handshake that
/// verifies the certificate chain against `roots` and the name
/// `server_name`. Returns "TLSv1.3 TLS13_AES_256_GCM_SHA384".
pub async fn tls(
    engine: Engine,
    host: &str,
    port: u16,
    server_name: &str,
    roots: &TrustRoots,
    timeout: Duration,
) -> Result<String, String> {
    let work = async {
        let mut s = tcp(host, port, timeout).await?;
        let io = |e: std::io::Error| format!("{host}:{port}: {e}");
        match engine {
            Engine::Postgres => {
                // SSLRequest: length 8, code 80877103.
                s.write_all(&[0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f])
                    .await
                    .map_err(io)?;
                let mut b = [0u8; 1];
                s.read_exact(&mut b).await.map_err(io)?;
                if b[0] != b'S' {
                    return Err(
                        "the server does not offer TLS (it answered the SSLRequest with N)".into(),
                    );
                }
            }
            Engine::Mysql | Engine::Mariadb => {
                let mut head = [0u8; 4];
                s.read_exact(&mut head).await.map_err(io)?;
                let len =
                    usize::from(head[0]) | usize::from(head[1]) << 8 | usize::from(head[2]) << 16;
                let mut greeting = vec![0u8; len];
                s.read_exact(&mut greeting).await.map_err(io)?;
                if greeting.first() == Some(&0xff) {
                    return Err(format!(
                        "the server refused the connection: {}",
                        String::from_utf8_lossy(greeting.get(3..).unwrap_or_default())
                    ));
                }
                // protocol(1) version\0 id(4) auth(8) filler(1) caps(2)
                let nul = greeting[1..]
                    .iter()
                    .position(|&c| c == 0)
                    .ok_or("a malformed server greeting")?;
                let at = 1 + nul + 1 + 4 + 8 + 1;
                let caps = greeting
                    .get(at..at + 2)
                    .map(|c| u16::from_le_bytes([c[0], c[1]]))
                    .ok_or("a malformed server greeting")?;
                const CLIENT_SSL: u16 = 0x0800;
                if caps & CLIENT_SSL == 0 {
                    return Err(
                        "the server does not offer TLS (no CLIENT_SSL in its greeting)".into(),
                    );
                }
                // SSLRequest: capabilities (LONG_PASSWORD | PROTOCOL_41 |
                // SSL | SECURE_CONNECTION), max packet, utf8mb4, 23 zeros.
                let flags: u32 = 0x0001 | 0x0200 | 0x0800 | 0x8000;
                let mut p = vec![32, 0, 0, 1];
                p.extend_from_slice(&flags.to_le_bytes());
                p.extend_from_slice(&(16u32 << 20).to_le_bytes());
                p.push(45);
                p.extend_from_slice(&[0u8; 23]);
                s.write_all(&p).await.map_err(io)?;
            }
            Engine::Sqlite => return Err("SQLite has no network connection".into()),
        }
        let config = crate::tls::client_config(SslMode::VerifyFull, roots)
            .map_err(|e| e.to_string())?
            .ok_or("no TLS configuration")?;
        let name = rustls_pki_types::ServerName::try_from(server_name.to_string())
            .map_err(|_| format!("{server_name:?} is not a valid TLS server name"))?;
        let tls = tokio_rustls::TlsConnector::from(Arc::new(config))
            .connect(name, s)
            .await
            .map_err(|e| format!("the TLS handshake failed: {e}"))?;
        let (_, conn) = tls.get_ref();
        let version = conn
            .protocol_version()
            .and_then(|v| v.as_str())
            .unwrap_or("TLS")
            .replace("TLSv1_", "TLSv1.");
        let suite = conn
            .negotiated_cipher_suite()
            .map(|s| format!("{:?}", s.suite()))
            .unwrap_or_default();
        Ok(format!("{version} {suite}").trim().to_string())
    };
    match tokio::time::timeout(timeout * 2, work).await {
        Ok(r) => r,
        Err(_) => Err(format!(
            "{host}:{port}: the TLS handshake did not finish in time"
        )),
    }
}
