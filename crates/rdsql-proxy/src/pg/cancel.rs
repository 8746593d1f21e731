//! `CancelRequest`: to the server the session with that key reached.

use crate::Shared;
use crate::upstream;
use bytes::BytesMut;
use postgres_protocol::message::frontend;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Forwards a client's CancelRequest to the upstream peer of the session
/// with that key, over the connection's TLS rules. Unknown keys are
/// dropped silently, as PostgreSQL does.
pub(super) async fn cancel(body: &[u8], shared: &Shared) {
    if body.len() < 8 {
        return;
    }
    let pid = i32::from_be_bytes(body[0..4].try_into().unwrap_or_default());
    let secret = i32::from_be_bytes(body[4..8].try_into().unwrap_or_default());
    let Some((peer, target)) = shared
        .cancel_keys
        .lock()
        .ok()
        .and_then(|m| m.get(&(pid, secret)).cloned())
    else {
        return;
    };
    let r = async {
        let (tcp, _) = shared.dial.dial(&target.spec, Some(peer)).await.ok()?;
        let mut up = upstream::pg_tls(&target.spec, tcp).await.ok()?;
        let mut buf = BytesMut::new();
        frontend::cancel_request(pid, secret, &mut buf);
        up.write_all(&buf).await.ok()?;
        let _ = up.flush().await;
        // The server closes when done; wait briefly so the request lands.
        let mut sink = [0u8; 1];
        let _ = tokio::time::timeout(std::time::Duration::from_secs(2), up.read(&mut sink)).await;
        Some(())
    }
    .await;
    if r.is_none() {
        tracing::warn!("a cancel request could not be forwarded to {peer}");
    }
}
