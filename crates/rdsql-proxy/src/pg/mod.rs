//! The PostgreSQL protocol side: the client's startup (plaintext: `N` to
//! `SSLRequest`/`GSSENCRequest`), the upstream's authentication by the
//! connection's method (cleartext token, MD5 or SCRAM-SHA-256), then the
//! server's messages passed through unchanged and bytes relayed both ways.
//! `CancelRequest` goes to the upstream peer of the session whose key it
//! names. docs/proxy.md.

mod auth;
mod cancel;
mod startup;

pub(crate) use startup::error_response;

use crate::client::{CancelKey, Client, login_too_slow, within_login};
use crate::relay::{Upward, relay};
use crate::upstream;
use crate::{Shared, Target};
use bytes::BytesMut;
use postgres_protocol::message::frontend;
use startup::*;
use std::sync::Arc;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};

/// Serves one client until it or the upstream closes.
pub async fn serve_client<S>(mut client: S, peer: String, target: Arc<Target>, shared: Arc<Shared>)
where
    S: AsyncRead + AsyncWrite + Unpin + Send,
{
    // Startup: answer SSL/GSS encryption requests with N (loopback, plain),
    // within the login limit (a client that never speaks is let go).
    let startup = async {
        loop {
            match read_startup(&mut client).await {
                Ok((SSL_REQUEST | GSSENC_REQUEST, _)) => client.write_all(b"N").await?,
                other => return other,
            }
        }
    };
    let Ok(Ok((code, body))) = tokio::time::timeout(shared.login_timeout, startup).await else {
        return;
    };
    if code == CANCEL_REQUEST {
        return cancel::cancel(&body, &shared).await;
    }
    if code != PROTOCOL_3 {
        let _ = client
            .write_all(&error_response(
                "08P01",
                &format!("rdsql proxy: unsupported protocol version {code:#x}"),
                &["use a PostgreSQL client speaking protocol 3.0".into()],
            ))
            .await;
        return;
    }
    let Some(admitted) = Client::admit(&shared, peer) else {
        let _ = client
            .write_all(&error_response(
                "53300",
                &format!(
                    "rdsql proxy: too many connections (--max-connections {})",
                    shared.max_connections.unwrap_or(0)
                ),
                &["try again when a client has disconnected".into()],
            ))
            .await;
        return;
    };
    let mut params = parameters(&body);
    let client_user = params
        .iter()
        .find(|(k, _)| k == "user")
        .map(|(_, v)| v.clone());
    let target = match target.for_client(client_user.as_deref()).await {
        Ok(t) => t,
        Err(message) => {
            let _ = client
                .write_all(&error_response("28000", &message, &[]))
                .await;
            return;
        }
    };
    let spec = &target.spec;
    // The upstream user is the connection's when it names one, else the
    // client's (`for_client` above).
    params.retain(|(k, _)| k != "user");
    params.insert(0, ("user".into(), spec.user.clone()));
    if !params.iter().any(|(k, _)| k == "database")
        && let Some(db) = &spec.dbname
    {
        params.push(("database".into(), db.clone()));
    }
    let database = params
        .iter()
        .find(|(k, _)| k == "database")
        .map(|(_, v)| v.clone())
        .unwrap_or_else(|| spec.user.clone());
    admitted.opened(&shared, &target, client_user.as_deref(), &database);
    let outcome = session(&mut client, &params, &target, &shared).await;
    let outcome = match outcome {
        Ok(bytes) => Ok(bytes),
        Err(ErrorResponse {
            code,
            message,
            hints,
        }) => {
            let _ = client
                .write_all(&error_response(code, &message, &hints))
                .await;
            Err(message)
        }
    };
    admitted.closed(&shared, &target, &database, outcome);
}

/// Why a session could not start: sent to the client as an ErrorResponse.
pub(super) struct ErrorResponse {
    pub(super) code: &'static str,
    pub(super) message: String,
    pub(super) hints: Vec<String>,
}

pub(super) fn io_failure(what: &str, e: std::io::Error) -> ErrorResponse {
    ErrorResponse {
        code: "08006",
        message: format!("rdsql proxy: {what}: {e}"),
        hints: vec![],
    }
}

/// Connects, authenticates and relays; (bytes client→server, server→client).
async fn session<S>(
    client: &mut S,
    params: &[(String, String)],
    target: &Arc<Target>,
    shared: &Arc<Shared>,
) -> Result<(u64, u64), ErrorResponse>
where
    S: AsyncRead + AsyncWrite + Unpin + Send,
{
    let login = async {
        let spec = &target.spec;
        let unreachable = |e: upstream::UpstreamError| ErrorResponse {
            code: "08001",
            message: format!("rdsql proxy: {e}"),
            hints: e.hints(),
        };
        let (tcp, peer) = shared.dial.dial(spec, None).await.map_err(unreachable)?;
        let mut up = upstream::pg_tls(spec, tcp).await.map_err(unreachable)?;
        let mut buf = BytesMut::new();
        frontend::startup_message(
            params.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            &mut buf,
        )
        .map_err(|e| io_failure("startup", e))?;
        up.write_all(&buf)
            .await
            .map_err(|e| io_failure("upstream", e))?;

        auth::authenticate(&mut up, target, shared).await?;
        // The client sent no password and gets the server's AuthenticationOk.
        client
            .write_all(&frame(b'R', &0i32.to_be_bytes()))
            .await
            .map_err(|e| io_failure("client", e))?;

        // Up to ReadyForQuery: pass everything on, keep the cancel key.
        let mut key = None;
        loop {
            let (t, body) = read_message(&mut up)
                .await
                .map_err(|e| io_failure("upstream closed during startup", e))?;
            if t == b'K' && body.len() >= 8 {
                let pid = i32::from_be_bytes(body[0..4].try_into().unwrap_or_default());
                let secret = i32::from_be_bytes(body[4..8].try_into().unwrap_or_default());
                key = Some(CancelKey::register(
                    shared,
                    (pid, secret),
                    peer,
                    target.clone(),
                ));
            }
            client
                .write_all(&frame(t, &body))
                .await
                .map_err(|e| io_failure("client", e))?;
            if t == b'Z' || t == b'E' {
                break;
            }
        }
        Ok((up, key))
    };
    let (up, _key) = within_login(shared, login, |limit| ErrorResponse {
        code: "08006",
        message: login_too_slow(limit),
        hints: vec![],
    })
    .await?;
    Ok(relay(client, up, Upward::Bytes, shared).await)
}
