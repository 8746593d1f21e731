//! The PostgreSQL protocol side: the client's startup (plaintext: `N` to
//! `SSLRequest`/`GSSENCRequest`), the upstream's authentication by the
//! connection's method (cleartext token, MD5 or SCRAM-SHA-256), then the
//! server's messages passed through unchanged and bytes relayed both ways.
//! `CancelRequest` goes to the upstream peer of the session whose key it
//! names. docs/proxy.md.

use crate::upstream::{self, Io};
use crate::{Shared, Target};
use bytes::BytesMut;
use postgres_protocol::authentication::sasl::{ChannelBinding, ScramSha256};
use postgres_protocol::message::frontend;
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

const SSL_REQUEST: i32 = 80877103;
const GSSENC_REQUEST: i32 = 80877104;
const CANCEL_REQUEST: i32 = 80877102;
const PROTOCOL_3: i32 = 196608;
/// Startup packets are small; anything larger is not a PostgreSQL client.
const MAX_STARTUP: usize = 10_000;
/// Server messages during startup are small too (an error at most).
const MAX_STARTUP_MESSAGE: usize = 1 << 20;

/// An `ErrorResponse` (severity FATAL) with rdsql's hints in its HINT field.
pub fn error_response(code: &str, message: &str, hints: &[String]) -> Vec<u8> {
    let mut body = Vec::new();
    let mut field = |t: u8, v: &str| {
        body.push(t);
        body.extend_from_slice(v.replace('\0', " ").as_bytes());
        body.push(0);
    };
    field(b'S', "FATAL");
    field(b'V', "FATAL");
    field(b'C', code);
    field(b'M', message);
    if !hints.is_empty() {
        field(b'H', &hints.join("; "));
    }
    body.push(0);
    let mut out = vec![b'E'];
    out.extend_from_slice(&((body.len() + 4) as i32).to_be_bytes());
    out.extend_from_slice(&body);
    out
}

async fn read_startup<S: AsyncRead + Unpin>(s: &mut S) -> std::io::Result<(i32, Vec<u8>)> {
    let len = s.read_i32().await? as usize;
    if !(8..=MAX_STARTUP).contains(&len) {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "not a PostgreSQL startup packet",
        ));
    }
    let code = s.read_i32().await?;
    let mut body = vec![0; len - 8];
    s.read_exact(&mut body).await?;
    Ok((code, body))
}

/// One backend message: (type, body).
async fn read_message<S: AsyncRead + Unpin + ?Sized>(s: &mut S) -> std::io::Result<(u8, Vec<u8>)> {
    let t = s.read_u8().await?;
    let len = s.read_i32().await? as usize;
    if !(4..=MAX_STARTUP_MESSAGE).contains(&len) {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "a malformed message from the server",
        ));
    }
    let mut body = vec![0; len - 4];
    s.read_exact(&mut body).await?;
    Ok((t, body))
}

fn frame(t: u8, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + 5);
    out.push(t);
    out.extend_from_slice(&((body.len() + 4) as i32).to_be_bytes());
    out.extend_from_slice(body);
    out
}

/// `key\0value\0…\0` → pairs.
fn parameters(body: &[u8]) -> Vec<(String, String)> {
    let mut parts = body
        .split(|&b| b == 0)
        .map(|p| String::from_utf8_lossy(p).into_owned());
    let mut out = vec![];
    while let (Some(k), Some(v)) = (parts.next(), parts.next()) {
        if k.is_empty() {
            break;
        }
        out.push((k, v));
    }
    out
}

/// The message field `t` of an ErrorResponse body.
fn error_field(body: &[u8], t: u8) -> Option<String> {
    body.split(|&b| b == 0)
        .find(|f| f.first() == Some(&t))
        .map(|f| String::from_utf8_lossy(&f[1..]).into_owned())
}

/// Serves one client until it or the upstream closes.
pub async fn serve_client<S>(mut client: S, peer: String, target: Arc<Target>, shared: Arc<Shared>)
where
    S: AsyncRead + AsyncWrite + Unpin + Send,
{
    // Startup: answer SSL/GSS encryption requests with N (loopback, plain).
    let (code, body) = loop {
        match read_startup(&mut client).await {
            Ok((SSL_REQUEST | GSSENC_REQUEST, _)) => {
                if client.write_all(b"N").await.is_err() {
                    return;
                }
            }
            Ok(other) => break other,
            Err(_) => return,
        }
    };
    if code == CANCEL_REQUEST {
        return cancel(&body, &shared).await;
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
    if !shared.admit() {
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
    }
    let started = Instant::now();
    let mut params = parameters(&body);
    let client_user = params
        .iter()
        .find(|(k, _)| k == "user")
        .map(|(_, v)| v.clone());
    let target = match target.for_client(client_user.as_deref()).await {
        Ok(t) => t,
        Err(message) => {
            shared.leave();
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
    shared.log.event(
        "open",
        &format!(
            "{peer} → {}@{}/{database} ({}) opened",
            spec.user,
            spec.host_port(),
            target.name
        ),
        json!({ "client": peer, "user": spec.user, "client_user": client_user, "database": database,
                "upstream": spec.host_port(), "connection": target.name }),
    );

    let outcome = session(&mut client, &params, &target, &shared).await;
    let (up_bytes, down_bytes, error) = match outcome {
        Ok((a, b)) => (a, b, None),
        Err(Failure {
            code,
            message,
            hints,
        }) => {
            shared
                .metrics
                .upstream_errors
                .fetch_add(1, Ordering::Relaxed);
            let _ = client
                .write_all(&error_response(code, &message, &hints))
                .await;
            (0, 0, Some(message))
        }
    };
    shared.leave();
    let secs = started.elapsed().as_secs_f64();
    shared.log.event(
        "close",
        &format!(
            "{peer} → {}@{}/{database} closed after {secs:.1} s ({up_bytes} bytes up, {down_bytes} down){}",
            spec.user,
            spec.host_port(),
            error.as_deref().map(|e| format!("; {e}")).unwrap_or_default()
        ),
        json!({ "client": peer, "user": spec.user, "database": database, "upstream": spec.host_port(),
                "seconds": secs, "bytes_up": up_bytes, "bytes_down": down_bytes, "error": error }),
    );
}

/// Why a session could not start, for the client's ErrorResponse.
struct Failure {
    code: &'static str,
    message: String,
    hints: Vec<String>,
}

fn io_failure(what: &str, e: std::io::Error) -> Failure {
    Failure {
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
) -> Result<(u64, u64), Failure>
where
    S: AsyncRead + AsyncWrite + Unpin + Send,
{
    let spec = &target.spec;
    let (tcp, peer) = upstream::tcp(spec, None).await.map_err(|e| Failure {
        code: "08001",
        message: format!("rdsql proxy: {e}"),
        hints: e.hints(),
    })?;
    let mut up = upstream::pg_tls(spec, tcp).await.map_err(|e| Failure {
        code: "08001",
        message: format!("rdsql proxy: {e}"),
        hints: e.hints(),
    })?;
    let mut buf = BytesMut::new();
    frontend::startup_message(
        params.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        &mut buf,
    )
    .map_err(|e| io_failure("startup", e))?;
    up.write_all(&buf)
        .await
        .map_err(|e| io_failure("upstream", e))?;

    authenticate(&mut up, target, shared).await?;
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
            key = Some((pid, secret));
            if let Ok(mut m) = shared.cancel_keys.lock() {
                m.insert((pid, secret), (peer, target.clone()));
            }
        }
        client
            .write_all(&frame(t, &body))
            .await
            .map_err(|e| io_failure("client", e))?;
        if t == b'Z' || t == b'E' {
            break;
        }
    }
    let relayed = relay(client, &mut up, shared).await;
    if let Some(k) = key
        && let Ok(mut m) = shared.cancel_keys.lock()
    {
        m.remove(&k);
    }
    Ok(relayed)
}

/// Copies both ways until either side closes; a client that goes away
/// closes the upstream connection with it.
async fn relay<S>(client: &mut S, up: &mut Box<dyn Io>, shared: &Shared) -> (u64, u64)
where
    S: AsyncRead + AsyncWrite + Unpin + Send,
{
    let (mut a, mut b) = (0u64, 0u64);
    let mut cbuf = vec![0u8; 32 * 1024];
    let mut ubuf = vec![0u8; 64 * 1024];
    loop {
        tokio::select! {
            r = client.read(&mut cbuf) => match r {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if up.write_all(&cbuf[..n]).await.is_err() { break; }
                    a += n as u64;
                    shared.metrics.bytes_from_clients.fetch_add(n as u64, Ordering::Relaxed);
                }
            },
            r = up.read(&mut ubuf) => match r {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if client.write_all(&ubuf[..n]).await.is_err() { break; }
                    b += n as u64;
                    shared.metrics.bytes_to_clients.fetch_add(n as u64, Ordering::Relaxed);
                }
            },
        }
    }
    let _ = up.shutdown().await;
    let _ = client.shutdown().await;
    (a, b)
}

/// Answers the server's authentication request with the connection's
/// method, until AuthenticationOk; a rejection is reported with hints.
async fn authenticate(
    up: &mut Box<dyn Io>,
    target: &Target,
    shared: &Shared,
) -> Result<(), Failure> {
    let mut scram: Option<ScramSha256> = None;
    loop {
        let (t, body) = read_message(up)
            .await
            .map_err(|e| io_failure("upstream closed during authentication", e))?;
        match t {
            b'R' if body.len() >= 4 => {
                let code = i32::from_be_bytes(body[0..4].try_into().unwrap_or_default());
                let mut out = BytesMut::new();
                match code {
                    0 => return Ok(()),
                    3 | 5 | 10 => {
                        let password = secret(target, shared).await?;
                        match code {
                            3 => frontend::password_message(password.expose().as_bytes(), &mut out),
                            5 => {
                                let salt: [u8; 4] = body[4..8].try_into().unwrap_or_default();
                                let hash = postgres_protocol::authentication::md5_hash(
                                    target.spec.user.as_bytes(),
                                    password.expose().as_bytes(),
                                    salt,
                                );
                                frontend::password_message(hash.as_bytes(), &mut out)
                            }
                            _ => {
                                let mechanisms = String::from_utf8_lossy(&body[4..]).into_owned();
                                if !mechanisms.split('\0').any(|m| m == "SCRAM-SHA-256") {
                                    return Err(Failure {
                                        code: "28000",
                                        message: format!("rdsql proxy: the server offers no SCRAM-SHA-256 ({mechanisms:?})"),
                                        hints: vec![],
                                    });
                                }
                                let s = ScramSha256::new(password.expose().as_bytes(), ChannelBinding::unsupported());
                                let r = frontend::sasl_initial_response("SCRAM-SHA-256", s.message(), &mut out);
                                scram = Some(s);
                                r
                            }
                        }
                        .map_err(|e| io_failure("authentication", e))?;
                    }
                    11 | 12 => {
                        let Some(s) = scram.as_mut() else {
                            return Err(io_failure(
                                "authentication",
                                std::io::Error::other("SASL out of order"),
                            ));
                        };
                        if code == 11 {
                            s.update(&body[4..]).map_err(|e| io_failure("SCRAM", e))?;
                            frontend::sasl_response(s.message(), &mut out)
                                .map_err(|e| io_failure("SCRAM", e))?;
                        } else {
                            s.finish(&body[4..]).map_err(|e| io_failure("SCRAM", e))?;
                            continue;
                        }
                    }
                    other => {
                        return Err(Failure {
                            code: "28000",
                            message: format!(
                                "rdsql proxy: the server asks for an authentication method rdsql does not speak ({other})"
                            ),
                            hints: vec![],
                        });
                    }
                }
                up.write_all(&out)
                    .await
                    .map_err(|e| io_failure("upstream", e))?;
            }
            b'E' => {
                let code = error_field(&body, b'C').unwrap_or_default();
                let message = error_field(&body, b'M').unwrap_or_default();
                let mut hints = vec![format!(
                    "rdsql proxy sent the {}",
                    target.provider.describe()
                )];
                if code.starts_with("28") {
                    if target.iam {
                        target.provider.invalidate();
                        hints.extend([
                            format!("the database user {:?} must exist and be granted rds_iam (PostgreSQL: GRANT rds_iam TO \"{}\")", target.spec.user, target.spec.user),
                            "IAM database authentication must be enabled on the instance, and the identity allowed rds-db:connect on it".into(),
                        ]);
                    } else {
                        hints.push(
                            "the password of the connection is wrong, or the user does not exist"
                                .into(),
                        );
                    }
                }
                return Err(Failure {
                    code: if code.starts_with("28") {
                        "28000"
                    } else {
                        "08006"
                    },
                    message: format!(
                        "rdsql proxy: upstream {}: {message}",
                        target.spec.host_port()
                    ),
                    hints,
                });
            }
            _ => {
                return Err(io_failure(
                    "authentication",
                    std::io::Error::other(format!("unexpected message {:?}", t as char)),
                ));
            }
        }
    }
}

async fn secret(target: &Target, shared: &Shared) -> Result<rdsql_db::Secret, Failure> {
    crate::fetch_secret(target, shared)
        .await
        .map_err(|message| Failure {
            code: "28000",
            message,
            hints: vec![
                "check the AWS credentials of the connection (rdsql aws profiles; rdsql sso login)"
                    .into(),
            ],
        })
}

/// Forwards a client's CancelRequest to the upstream peer of the session
/// with that key, over the connection's TLS rules. Unknown keys are
/// dropped silently, as PostgreSQL does.
async fn cancel(body: &[u8], shared: &Shared) {
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
        let (tcp, _) = upstream::tcp(&target.spec, Some(peer)).await.ok()?;
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
