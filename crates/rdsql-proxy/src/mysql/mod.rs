//! The MySQL / MariaDB protocol side. The server speaks first, so the proxy
//! connects upstream, reads the server's greeting, and greets the client
//! itself (the server's version and connection id, the capabilities both
//! sides support, no compression, no TLS on loopback). It accepts the
//! client's handshake with any or no password, logs in upstream over TLS
//! with the connection's method (the token through `mysql_clear_password`
//! — only over TLS — or the password), answers the client with the
//! server's OK, then relays. `COM_CHANGE_USER` is refused. docs/proxy.md.

mod auth;
mod handshake;
pub(crate) mod packet;

use crate::client::{Client, login_too_slow, within_login};
use crate::dial::Io;
use crate::relay::{Upward, relay};
use crate::upstream;
use crate::{Shared, Target};
use auth::{caching_sha2, native};
use handshake::*;
use packet::{cstr, err_packet, packet, read_packet};
use std::sync::Arc;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};

/// The command the relay refuses (the proxy logs in as the connection's
/// user, so a client may not switch).
pub(crate) const COM_CHANGE_USER: u8 = 0x11;

/// Why a session could not start: sent to the client as an ERR packet.
struct ErrPacket {
    code: u16,
    state: &'static str,
    message: String,
}

fn io_failure(what: &str, e: impl std::fmt::Display) -> ErrPacket {
    ErrPacket {
        code: 2013,
        state: "HY000",
        message: format!("rdsql proxy: {what}: {e}"),
    }
}

/// Serves one client until it or the upstream closes.
pub async fn serve_client<S>(mut client: S, peer: String, target: Arc<Target>, shared: Arc<Shared>)
where
    S: AsyncRead + AsyncWrite + Unpin + Send,
{
    let Some(admitted) = Client::admit(&shared, peer) else {
        let _ = client
            .write_all(&err_packet(
                0,
                1040,
                "08004",
                &format!(
                    "rdsql proxy: too many connections (--max-connections {})",
                    shared.max_connections.unwrap_or(0)
                ),
            ))
            .await;
        return;
    };
    // The target and database for the log, once the client named them.
    let mut who = (target.clone(), None);
    let result = session(&mut client, &admitted, &target, &shared, &mut who).await;
    let outcome = match result {
        Ok(bytes) => Ok(bytes),
        Err((
            ErrPacket {
                code,
                state,
                message,
            },
            seq,
        )) => {
            let _ = client
                .write_all(&err_packet(seq, code, state, &message))
                .await;
            Err(message)
        }
    };
    admitted.closed(&shared, &who.0, who.1.as_deref().unwrap_or(""), outcome);
}

type Outcome = Result<(u64, u64), (ErrPacket, u8)>;

async fn session<S>(
    client: &mut S,
    admitted: &Client,
    target: &Arc<Target>,
    shared: &Arc<Shared>,
    who: &mut (Arc<Target>, Option<String>),
) -> Outcome
where
    S: AsyncRead + AsyncWrite + Unpin + Send,
{
    // The sequence id the client expects an error with, as the login goes.
    let seq = std::sync::atomic::AtomicU8::new(0);
    let login = async {
        let (tcp, g) = server_greeting(shared, &target.spec)
            .await
            .map_err(|f| (f, 0))?;
        let offered = greet_client(client, &g).await.map_err(|f| (f, 0))?;
        let (client_seq, r) = client_response(client).await?;
        let reply_seq = client_seq.wrapping_add(1);
        seq.store(reply_seq, std::sync::atomic::Ordering::Relaxed);
        let target = &target.for_client(Some(&r.user)).await.map_err(|m| {
            (
                ErrPacket {
                    code: 1045,
                    state: "28000",
                    message: m,
                },
                reply_seq,
            )
        })?;
        let database = r.database.clone().or_else(|| target.spec.dbname.clone());
        *who = (target.clone(), database.clone());
        admitted.opened(
            shared,
            target,
            Some(&r.user),
            database.as_deref().unwrap_or(""),
        );
        let up = upstream_tls(tcp, &target.spec, &g, &r, offered, &database)
            .await
            .map_err(|f| (f, reply_seq))?;
        let (up, ok) = login(up, target, shared, &g, &r, &database)
            .await
            .map_err(|f| (f, reply_seq))?;
        client
            .write_all(&packet(reply_seq, &ok))
            .await
            .map_err(|e| (io_failure("client", e), reply_seq))?;
        Ok(up)
    };
    let up = within_login(shared, login, |limit| {
        (
            ErrPacket {
                code: 2013,
                state: "HY000",
                message: login_too_slow(limit),
            },
            seq.load(std::sync::atomic::Ordering::Relaxed),
        )
    })
    .await?;
    Ok(relay(client, up, Upward::MysqlPackets, shared).await)
}

fn upstream_failure(e: upstream::UpstreamError) -> ErrPacket {
    ErrPacket {
        code: 2003,
        state: "HY000",
        message: format!("rdsql proxy: {e} ({})", e.hints().join("; ")),
    }
}

/// Dials the server and reads its greeting (it speaks first).
async fn server_greeting(
    shared: &Shared,
    spec: &rdsql_db::ServerSpec,
) -> Result<(Box<dyn Io>, Greeting), ErrPacket> {
    let (mut tcp, _) = shared
        .dial
        .dial(spec, None)
        .await
        .map_err(upstream_failure)?;
    let (_, greeting) = read_packet(&mut tcp)
        .await
        .map_err(|e| io_failure("reading the server's greeting", e))?;
    if greeting.first() == Some(&0xff) {
        let msg = String::from_utf8_lossy(greeting.get(3..).unwrap_or_default()).into_owned();
        return Err(io_failure("the server refused the connection", msg));
    }
    let g = parse_greeting(&greeting)
        .ok_or_else(|| io_failure("greeting", "not a MySQL server greeting"))?;
    Ok((tcp, g))
}

/// Greets the client as the server would: the server's version and
/// connection id, the capabilities both legs can agree on, a scramble of
/// our own. Returns the capabilities offered.
async fn greet_client<S>(client: &mut S, g: &Greeting) -> Result<u32, ErrPacket>
where
    S: AsyncWrite + Unpin,
{
    // Our own greeting: the server's version and id, our own scramble.
    let offered = g.caps & ALLOWED;
    let mut scramble = [0u8; 20];
    aws_lc_rs::rand::fill(&mut scramble).map_err(|_| io_failure("random", "unavailable"))?;
    for b in scramble.iter_mut() {
        // Scrambles avoid NUL and '$'-style specials in practice: keep them printable.
        *b = b'!' + (*b % 90);
    }
    let mut hello = vec![10];
    hello.extend_from_slice(&g.version);
    hello.push(0);
    hello.extend_from_slice(&g.connection_id.to_le_bytes());
    hello.extend_from_slice(&scramble[..8]);
    hello.push(0);
    hello.extend_from_slice(&(offered as u16).to_le_bytes());
    hello.push(g.charset);
    hello.extend_from_slice(&g.status.to_le_bytes());
    hello.extend_from_slice(&((offered >> 16) as u16).to_le_bytes());
    hello.push(21);
    hello.extend_from_slice(&[0; 10]);
    hello.extend_from_slice(&scramble[8..]);
    hello.push(0);
    hello.extend_from_slice(b"mysql_native_password\0");
    client
        .write_all(&packet(0, &hello))
        .await
        .map_err(|e| io_failure("client", e))?;
    Ok(offered)
}

/// The client's HandshakeResponse41 (refused when it asks for TLS: the
/// client leg is plaintext on loopback).
async fn client_response<S>(client: &mut S) -> Result<(u8, Response), (ErrPacket, u8)>
where
    S: AsyncRead + Unpin,
{
    let (seq, resp) = read_packet(client)
        .await
        .map_err(|e| (io_failure("reading the client's handshake", e), 0))?;
    if resp.len() <= 32
        && resp.len() >= 4
        && u32::from_le_bytes(resp[0..4].try_into().unwrap_or_default()) & SSL != 0
    {
        return Err((
            ErrPacket {
                code: 2026,
                state: "HY000",
                message: "rdsql proxy: clients connect without TLS on loopback (the proxy does TLS upstream); use --ssl-mode=DISABLED / --skip-ssl".into(),
            },
            seq.wrapping_add(1),
        ));
    }
    let r = parse_response(&resp).ok_or_else(|| {
        (
            io_failure("client handshake", "malformed"),
            seq.wrapping_add(1),
        )
    })?;
    Ok((seq, r))
}

/// The upstream leg after the greeting: TLS as the connection says.
struct Upstream {
    io: Box<dyn Io>,
    /// The next sequence id on it.
    seq: u8,
    /// The capabilities the proxy logs in with.
    caps: u32,
    tls: bool,
}

/// Starts TLS upstream when the connection's sslmode (and the server)
/// call for it, with the capabilities the client and server share.
async fn upstream_tls(
    mut tcp: Box<dyn Io>,
    spec: &rdsql_db::ServerSpec,
    g: &Greeting,
    r: &Response,
    offered: u32,
    database: &Option<String>,
) -> Result<Upstream, ErrPacket> {
    // Upstream: TLS as the connection says, then our handshake response.
    let tls = spec.sslmode != rdsql_db::SslMode::Disable && g.caps & SSL != 0;
    if spec.sslmode != rdsql_db::SslMode::Disable
        && spec.sslmode != rdsql_db::SslMode::Prefer
        && g.caps & SSL == 0
    {
        return Err(ErrPacket {
            code: 2026,
            state: "HY000",
            message: format!(
                "rdsql proxy: {} does not accept TLS, and the connection requires it",
                spec.host_port()
            ),
        });
    }
    let mut caps =
        (r.caps & offered & !CONNECT_ATTRS) | PROTOCOL_41 | SECURE_CONNECTION | PLUGIN_AUTH;
    caps &= g.caps | PROTOCOL_41 | SECURE_CONNECTION | PLUGIN_AUTH;
    if database.is_some() {
        caps |= CONNECT_WITH_DB;
    } else {
        caps &= !CONNECT_WITH_DB;
    }
    let mut up_seq = 1u8;
    let up: Box<dyn Io> = if tls {
        let mut ssl = Vec::new();
        ssl.extend_from_slice(&(caps | SSL).to_le_bytes());
        ssl.extend_from_slice(&r.max_packet.to_le_bytes());
        ssl.push(r.charset);
        ssl.extend_from_slice(&[0; 23]);
        tcp.write_all(&packet(up_seq, &ssl))
            .await
            .map_err(|e| io_failure("upstream", e))?;
        up_seq += 1;
        caps |= SSL;
        upstream::wrap(spec, tcp).await.map_err(upstream_failure)?
    } else {
        tcp
    };
    Ok(Upstream {
        io: up,
        seq: up_seq,
        caps,
        tls,
    })
}

/// Logs in upstream with the connection's method: the handshake response,
/// then the authentication exchanges until OK (returned) or ERR.
async fn login(
    mut up: Upstream,
    target: &Target,
    shared: &Shared,
    g: &Greeting,
    r: &Response,
    database: &Option<String>,
) -> Result<(Box<dyn Io>, Vec<u8>), ErrPacket> {
    let spec = &target.spec;
    let tls = up.tls;
    let caps = up.caps;
    let password = crate::fetch_secret(target, shared)
        .await
        .map_err(|m| ErrPacket {
            code: 1045,
            state: "28000",
            message: m,
        })?;
    let pw = password.expose().as_bytes();
    let initial = match g.plugin.as_str() {
        "caching_sha2_password" => caching_sha2(pw, &g.scramble),
        "mysql_native_password" => native(pw, &g.scramble),
        _ => vec![],
    };
    let plugin = match g.plugin.as_str() {
        "caching_sha2_password" | "mysql_native_password" => g.plugin.clone(),
        _ => "mysql_native_password".into(),
    };
    let mut hr = Vec::new();
    hr.extend_from_slice(&caps.to_le_bytes());
    hr.extend_from_slice(&r.max_packet.to_le_bytes());
    hr.push(r.charset);
    hr.extend_from_slice(&[0; 23]);
    hr.extend_from_slice(spec.user.as_bytes());
    hr.push(0);
    hr.push(initial.len() as u8);
    hr.extend_from_slice(&initial);
    if let Some(db) = &database {
        hr.extend_from_slice(db.as_bytes());
        hr.push(0);
    }
    hr.extend_from_slice(plugin.as_bytes());
    hr.push(0);
    up.io
        .write_all(&packet(up.seq, &hr))
        .await
        .map_err(|e| io_failure("upstream", e))?;

    // Authentication exchanges until OK or ERR.
    let ok = loop {
        let (s, p) = read_packet(&mut up.io)
            .await
            .map_err(|e| io_failure("upstream closed during login", e))?;
        let next = s.wrapping_add(1);
        let reply = |data: &[u8]| packet(next, data);
        match p.first() {
            Some(0x00) => break p,
            Some(0xff) => {
                let code = u16::from_le_bytes(
                    p.get(1..3)
                        .unwrap_or(&[0, 0])
                        .try_into()
                        .unwrap_or_default(),
                );
                let msg = String::from_utf8_lossy(p.get(9..).unwrap_or_default()).into_owned();
                let hints = crate::client::refused_login_hints(target, code == 1045);
                return Err(ErrPacket {
                    code,
                    state: "28000",
                    message: format!(
                        "rdsql proxy: upstream {}: {msg} ({})",
                        spec.host_port(),
                        hints.join("; ")
                    ),
                });
            }
            Some(0xfe) => {
                let mut at = 1;
                let name =
                    String::from_utf8_lossy(&cstr(&p, &mut at).unwrap_or_default()).into_owned();
                let data = p.get(at..).unwrap_or_default();
                let data = data.strip_suffix(&[0]).unwrap_or(data);
                let answer = match name.as_str() {
                    "mysql_native_password" => native(pw, data),
                    "caching_sha2_password" => caching_sha2(pw, data),
                    "mysql_clear_password" | "dialog" if tls => {
                        let mut v = pw.to_vec();
                        v.push(0);
                        v
                    }
                    "mysql_clear_password" | "dialog" => {
                        return Err(ErrPacket {
                            code: 2059,
                            state: "HY000",
                            message: format!(
                                "rdsql proxy: {} asks for the password in clear text over an unencrypted connection; refused (use TLS upstream)",
                                spec.host_port()
                            ),
                        });
                    }
                    other => {
                        return Err(ErrPacket {
                            code: 2059,
                            state: "HY000",
                            message: format!(
                                "rdsql proxy: the server asks for an authentication plugin rdsql does not speak ({other})"
                            ),
                        });
                    }
                };
                up.io
                    .write_all(&reply(&answer))
                    .await
                    .map_err(|e| io_failure("upstream", e))?;
            }
            Some(0x01) => match p.get(1) {
                // caching_sha2_password: 3 = fast path done, 4 = send it whole.
                Some(3) => {}
                Some(4) if tls => {
                    let mut v = pw.to_vec();
                    v.push(0);
                    up.io
                        .write_all(&reply(&v))
                        .await
                        .map_err(|e| io_failure("upstream", e))?;
                }
                _ => {
                    return Err(io_failure(
                        "login",
                        "the server wants the full password without TLS; refused",
                    ));
                }
            },
            _ => return Err(io_failure("login", "an unexpected packet")),
        }
    };
    Ok((up.io, ok))
}
