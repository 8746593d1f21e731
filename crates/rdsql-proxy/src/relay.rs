//! The relay after login, for both protocols: each direction is its own
//! loop, polled concurrently, so a client that writes while it reads
//! (pipelining, COPY, batches) never waits for the server to be read, nor
//! the server for the client (docs/proxy.md, "Relay").

use crate::Shared;
use crate::dial::Io;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// How the client's bytes go upstream.
pub(crate) enum Upward {
    /// As they come.
    Bytes,
    /// MySQL packets, one by one, so a command the proxy refuses is
    /// answered here instead of reaching the server (`COM_CHANGE_USER`).
    MysqlPackets,
}

/// Copies both ways until either side closes; a client that goes away
/// closes the upstream connection with it. Returns (bytes client→server,
/// bytes server→client).
pub(crate) async fn relay<S>(
    client: &mut S,
    up: Box<dyn Io>,
    upward: Upward,
    shared: &Shared,
) -> (u64, u64)
where
    S: AsyncRead + AsyncWrite + Unpin + Send,
{
    let (cr, cw) = tokio::io::split(client);
    // Buffered: a MySQL command's header and body in one read, mostly.
    let mut cr = tokio::io::BufReader::with_capacity(32 * 1024, cr);
    let cw = tokio::sync::Mutex::new(cw);
    let (mut ur, mut uw) = tokio::io::split(up);
    let up_bytes = AtomicU64::new(0);
    let down_bytes = AtomicU64::new(0);
    let count_up = |n: usize| {
        up_bytes.fetch_add(n as u64, Ordering::Relaxed);
        shared
            .metrics
            .bytes_from_clients
            .fetch_add(n as u64, Ordering::Relaxed);
    };
    let to_server = async {
        match upward {
            Upward::Bytes => {
                let mut buf = vec![0u8; 64 * 1024];
                loop {
                    let n = match cr.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => n,
                    };
                    if uw.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                    count_up(n);
                }
            }
            Upward::MysqlPackets => loop {
                let mut h = [0u8; 4];
                if cr.read_exact(&mut h).await.is_err() {
                    break;
                }
                let n = h[0] as usize | (h[1] as usize) << 8 | (h[2] as usize) << 16;
                // Header and payload go upstream in one write.
                let mut p = vec![0; n + 4];
                p[..4].copy_from_slice(&h);
                if cr.read_exact(&mut p[4..]).await.is_err() {
                    break;
                }
                if h[3] == 0 && p.get(4) == Some(&crate::mysql::COM_CHANGE_USER) {
                    let e = crate::mysql::packet::err_packet(
                        1,
                        1047,
                        "08S01",
                        "rdsql proxy: COM_CHANGE_USER is not supported: the proxy logs in as the connection's user; connect again through another proxy connection instead",
                    );
                    if cw.lock().await.write_all(&e).await.is_err() {
                        break;
                    }
                    continue;
                }
                if uw.write_all(&p).await.is_err() {
                    break;
                }
                count_up(n + 4);
            },
        }
    };
    let to_client = async {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = match ur.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            if cw.lock().await.write_all(&buf[..n]).await.is_err() {
                break;
            }
            down_bytes.fetch_add(n as u64, Ordering::Relaxed);
            shared
                .metrics
                .bytes_to_clients
                .fetch_add(n as u64, Ordering::Relaxed);
        }
    };
    tokio::select! {
        _ = to_server => {},
        _ = to_client => {},
    }
    let _ = uw.shutdown().await;
    let _ = cw.lock().await.shutdown().await;
    (
        up_bytes.load(Ordering::Relaxed),
        down_bytes.load(Ordering::Relaxed),
    )
}
