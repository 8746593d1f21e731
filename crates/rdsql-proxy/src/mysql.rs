//! The MySQL / MariaDB protocol side. The server speaks first, so the proxy
//! connects upstream, reads the server's greeting, and greets the client
//! itself (the server's version and connection id, the capabilities both
//! sides support, no compression, no TLS on loopback). It accepts the
//! client's handshake with any or no password, logs in upstream over TLS
//! with the connection's method (the token through `mysql_clear_password`
//! — only over TLS — or the password), answers the client with the
//! server's OK, then relays. `COM_CHANGE_USER` is refused. docs/proxy.md.

use crate::upstream::{self, Io};
use crate::{Shared, Target};
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

const LONG_PASSWORD: u32 = 1;
const FOUND_ROWS: u32 = 2;
const LONG_FLAG: u32 = 4;
const CONNECT_WITH_DB: u32 = 8;
const NO_SCHEMA: u32 = 16;
const ODBC: u32 = 64;
const LOCAL_FILES: u32 = 128;
const IGNORE_SPACE: u32 = 256;
const PROTOCOL_41: u32 = 512;
const INTERACTIVE: u32 = 1024;
const SSL: u32 = 2048;
const IGNORE_SIGPIPE: u32 = 4096;
const TRANSACTIONS: u32 = 8192;
const RESERVED: u32 = 16384;
const SECURE_CONNECTION: u32 = 32768;
const MULTI_STATEMENTS: u32 = 1 << 16;
const MULTI_RESULTS: u32 = 1 << 17;
const PS_MULTI_RESULTS: u32 = 1 << 18;
const PLUGIN_AUTH: u32 = 1 << 19;
const CONNECT_ATTRS: u32 = 1 << 20;
const PLUGIN_AUTH_LENENC: u32 = 1 << 21;
const CAN_HANDLE_EXPIRED: u32 = 1 << 22;
const SESSION_TRACK: u32 = 1 << 23;
const DEPRECATE_EOF: u32 = 1 << 24;

/// What the proxy lets the two legs agree on: everything that shapes the
/// command phase the same way on both legs; not compression, not TLS (the
/// client leg is plaintext on loopback), not handshake extras.
const ALLOWED: u32 = LONG_PASSWORD
    | FOUND_ROWS
    | LONG_FLAG
    | CONNECT_WITH_DB
    | NO_SCHEMA
    | ODBC
    | LOCAL_FILES
    | IGNORE_SPACE
    | PROTOCOL_41
    | INTERACTIVE
    | IGNORE_SIGPIPE
    | TRANSACTIONS
    | RESERVED
    | SECURE_CONNECTION
    | MULTI_STATEMENTS
    | MULTI_RESULTS
    | PS_MULTI_RESULTS
    | PLUGIN_AUTH
    | CONNECT_ATTRS
    | PLUGIN_AUTH_LENENC
    | CAN_HANDLE_EXPIRED
    | SESSION_TRACK
    | DEPRECATE_EOF;

const COM_CHANGE_USER: u8 = 0x11;
const MAX_HANDSHAKE: usize = 64 * 1024;

fn packet(seq: u8, payload: &[u8]) -> Vec<u8> {
    let n = payload.len();
    let mut out = Vec::with_capacity(n + 4);
    out.extend_from_slice(&[n as u8, (n >> 8) as u8, (n >> 16) as u8, seq]);
    out.extend_from_slice(payload);
    out
}

async fn read_packet<R: AsyncRead + Unpin + ?Sized>(r: &mut R) -> std::io::Result<(u8, Vec<u8>)> {
    let mut h = [0u8; 4];
    r.read_exact(&mut h).await?;
    let n = h[0] as usize | (h[1] as usize) << 8 | (h[2] as usize) << 16;
    if n > MAX_HANDSHAKE {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "a handshake packet too large",
        ));
    }
    let mut p = vec![0; n];
    r.read_exact(&mut p).await?;
    Ok((h[3], p))
}

/// An ERR packet (protocol 4.1 form).
pub fn err_packet(seq: u8, code: u16, state: &str, message: &str) -> Vec<u8> {
    let mut p = vec![0xff];
    p.extend_from_slice(&code.to_le_bytes());
    p.push(b'#');
    p.extend_from_slice(&state.as_bytes()[..5]);
    p.extend_from_slice(message.as_bytes());
    packet(seq, &p)
}

fn cstr(p: &[u8], at: &mut usize) -> Option<Vec<u8>> {
    let rest = p.get(*at..)?;
    let end = rest.iter().position(|&b| b == 0)?;
    *at += end + 1;
    Some(rest[..end].to_vec())
}

fn lenenc(p: &[u8], at: &mut usize) -> Option<u64> {
    let b = *p.get(*at)?;
    *at += 1;
    let take = |at: &mut usize, n: usize| -> Option<u64> {
        let v = p.get(*at..*at + n)?;
        *at += n;
        Some(v.iter().rev().fold(0u64, |a, &x| a << 8 | x as u64))
    };
    match b {
        0xfc => take(at, 2),
        0xfd => take(at, 3),
        0xfe => take(at, 8),
        n => Some(n as u64),
    }
}

/// The parts of the server's greeting the proxy uses.
struct Greeting {
    version: Vec<u8>,
    connection_id: u32,
    scramble: Vec<u8>,
    caps: u32,
    charset: u8,
    status: u16,
    plugin: String,
}

fn parse_greeting(p: &[u8]) -> Option<Greeting> {
    if p.first() != Some(&10) {
        return None;
    }
    let mut at = 1;
    let version = cstr(p, &mut at)?;
    let connection_id = u32::from_le_bytes(p.get(at..at + 4)?.try_into().ok()?);
    at += 4;
    let mut scramble = p.get(at..at + 8)?.to_vec();
    at += 9;
    let low = u16::from_le_bytes(p.get(at..at + 2)?.try_into().ok()?) as u32;
    at += 2;
    let charset = *p.get(at)?;
    at += 1;
    let status = u16::from_le_bytes(p.get(at..at + 2)?.try_into().ok()?);
    at += 2;
    let high = u16::from_le_bytes(p.get(at..at + 2)?.try_into().ok()?) as u32;
    at += 2;
    let caps = low | high << 16;
    let auth_len = *p.get(at)? as usize;
    at += 1 + 10;
    if caps & SECURE_CONNECTION != 0 {
        let n = auth_len.saturating_sub(8).max(13);
        let part = p.get(at..at + n)?;
        // The second part ends with a NUL that is not scramble.
        let part = part.strip_suffix(&[0]).unwrap_or(part);
        scramble.extend_from_slice(part);
        at += n;
    }
    let plugin = if caps & PLUGIN_AUTH != 0 {
        String::from_utf8_lossy(&cstr(p, &mut at).unwrap_or_default()).into_owned()
    } else {
        "mysql_native_password".into()
    };
    Some(Greeting {
        version,
        connection_id,
        scramble,
        caps,
        charset,
        status,
        plugin,
    })
}

/// The client's HandshakeResponse41, as far as the proxy needs it.
struct Response {
    caps: u32,
    max_packet: u32,
    charset: u8,
    user: String,
    database: Option<String>,
}

fn parse_response(p: &[u8]) -> Option<Response> {
    let caps = u32::from_le_bytes(p.get(0..4)?.try_into().ok()?);
    let max_packet = u32::from_le_bytes(p.get(4..8)?.try_into().ok()?);
    let charset = *p.get(8)?;
    let mut at = 32;
    let user = String::from_utf8_lossy(&cstr(p, &mut at)?).into_owned();
    // The client's answer to our scramble: read past, never checked.
    if caps & PLUGIN_AUTH_LENENC != 0 {
        let n = lenenc(p, &mut at)? as usize;
        at += n;
    } else if caps & SECURE_CONNECTION != 0 {
        let n = *p.get(at)? as usize;
        at += 1 + n;
    } else {
        cstr(p, &mut at)?;
    }
    let database = if caps & CONNECT_WITH_DB != 0 {
        cstr(p, &mut at)
            .map(|d| String::from_utf8_lossy(&d).into_owned())
            .filter(|d| !d.is_empty())
    } else {
        None
    };
    Some(Response {
        caps,
        max_packet,
        charset,
        user,
        database,
    })
}

fn sha1(parts: &[&[u8]]) -> Vec<u8> {
    let mut c = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY);
    for p in parts {
        c.update(p);
    }
    c.finish().as_ref().to_vec()
}

fn sha256(parts: &[&[u8]]) -> Vec<u8> {
    let mut c = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
    for p in parts {
        c.update(p);
    }
    c.finish().as_ref().to_vec()
}

/// `mysql_native_password`: SHA1(pw) XOR SHA1(nonce + SHA1(SHA1(pw))).
fn native(password: &[u8], nonce: &[u8]) -> Vec<u8> {
    if password.is_empty() {
        return vec![];
    }
    let h1 = sha1(&[password]);
    let h2 = sha1(&[&h1]);
    let h3 = sha1(&[&nonce[..nonce.len().min(20)], &h2]);
    h1.iter().zip(h3).map(|(a, b)| a ^ b).collect()
}

/// `caching_sha2_password`'s fast path: SHA256(pw) XOR SHA256(SHA256(SHA256(pw)) + nonce).
fn caching_sha2(password: &[u8], nonce: &[u8]) -> Vec<u8> {
    if password.is_empty() {
        return vec![];
    }
    let h1 = sha256(&[password]);
    let h2 = sha256(&[&h1]);
    let h3 = sha256(&[&h2, &nonce[..nonce.len().min(20)]]);
    h1.iter().zip(h3).map(|(a, b)| a ^ b).collect()
}

struct Failure {
    code: u16,
    state: &'static str,
    message: String,
}

fn io_failure(what: &str, e: impl std::fmt::Display) -> Failure {
    Failure {
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
    if !shared.admit() {
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
    }
    let started = Instant::now();
    let spec = &target.spec;
    let result = session(&mut client, &peer, &target, &shared).await;
    let (up_bytes, down_bytes, error, database) = match result {
        Ok((a, b, db)) => (a, b, None, db),
        Err((
            Failure {
                code,
                state,
                message,
            },
            seq,
        )) => {
            shared
                .metrics
                .upstream_errors
                .fetch_add(1, Ordering::Relaxed);
            let _ = client
                .write_all(&err_packet(seq, code, state, &message))
                .await;
            (0, 0, Some(message), None)
        }
    };
    shared.leave();
    let secs = started.elapsed().as_secs_f64();
    let db = database.unwrap_or_default();
    shared.log.event(
        "close",
        &format!(
            "{peer} → {}@{}/{db} closed after {secs:.1} s ({up_bytes} bytes up, {down_bytes} down){}",
            spec.user,
            spec.host_port(),
            error.as_deref().map(|e| format!("; {e}")).unwrap_or_default()
        ),
        json!({ "client": peer, "user": spec.user, "database": db, "upstream": spec.host_port(),
                "seconds": secs, "bytes_up": up_bytes, "bytes_down": down_bytes, "error": error }),
    );
}

type Outcome = Result<(u64, u64, Option<String>), (Failure, u8)>;

async fn session<S>(
    client: &mut S,
    peer: &str,
    target: &Arc<Target>,
    shared: &Arc<Shared>,
) -> Outcome
where
    S: AsyncRead + AsyncWrite + Unpin + Send,
{
    let spec = &target.spec;
    let up_err = |e: upstream::UpstreamError| {
        (
            Failure {
                code: 2003,
                state: "HY000",
                message: format!("rdsql proxy: {e} ({})", e.hints().join("; ")),
            },
            0,
        )
    };
    let (mut tcp, _) = upstream::tcp(spec, None).await.map_err(up_err)?;
    let (_, greeting) = read_packet(&mut tcp)
        .await
        .map_err(|e| (io_failure("reading the server's greeting", e), 0))?;
    if greeting.first() == Some(&0xff) {
        let msg = String::from_utf8_lossy(greeting.get(3..).unwrap_or_default()).into_owned();
        return Err((io_failure("the server refused the connection", msg), 0));
    }
    let g = parse_greeting(&greeting)
        .ok_or_else(|| (io_failure("greeting", "not a MySQL server greeting"), 0))?;

    // Our own greeting: the server's version and id, our own scramble.
    let offered = g.caps & ALLOWED;
    let mut scramble = [0u8; 20];
    aws_lc_rs::rand::fill(&mut scramble).map_err(|_| (io_failure("random", "unavailable"), 0))?;
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
        .map_err(|e| (io_failure("client", e), 0))?;

    let (seq, resp) = read_packet(client)
        .await
        .map_err(|e| (io_failure("reading the client's handshake", e), 0))?;
    if resp.len() <= 32
        && resp.len() >= 4
        && u32::from_le_bytes(resp[0..4].try_into().unwrap_or_default()) & SSL != 0
    {
        return Err((
            Failure {
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
    let reply_seq = seq.wrapping_add(1);
    let target = &target.for_client(Some(&r.user)).await.map_err(|m| {
        (
            Failure {
                code: 1045,
                state: "28000",
                message: m,
            },
            reply_seq,
        )
    })?;
    let spec = &target.spec;
    let database = r.database.clone().or_else(|| spec.dbname.clone());
    shared.log.event(
        "open",
        &format!(
            "{peer} → {}@{}/{} ({}) opened",
            spec.user,
            spec.host_port(),
            database.as_deref().unwrap_or(""),
            target.name
        ),
        json!({ "client": peer, "user": spec.user, "client_user": r.user, "database": database,
                "upstream": spec.host_port(), "connection": target.name }),
    );

    // Upstream: TLS as the connection says, then our handshake response.
    let tls = spec.sslmode != rdsql_db::SslMode::Disable && g.caps & SSL != 0;
    if spec.sslmode != rdsql_db::SslMode::Disable
        && spec.sslmode != rdsql_db::SslMode::Prefer
        && g.caps & SSL == 0
    {
        return Err((
            Failure {
                code: 2026,
                state: "HY000",
                message: format!(
                    "rdsql proxy: {} does not accept TLS, and the connection requires it",
                    spec.host_port()
                ),
            },
            reply_seq,
        ));
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
    let mut up: Box<dyn Io> = if tls {
        let mut ssl = Vec::new();
        ssl.extend_from_slice(&(caps | SSL).to_le_bytes());
        ssl.extend_from_slice(&r.max_packet.to_le_bytes());
        ssl.push(r.charset);
        ssl.extend_from_slice(&[0; 23]);
        tcp.write_all(&packet(up_seq, &ssl))
            .await
            .map_err(|e| (io_failure("upstream", e), reply_seq))?;
        up_seq += 1;
        caps |= SSL;
        upstream::wrap(spec, tcp).await.map_err(|e| {
            let (f, _) = up_err(e);
            (f, reply_seq)
        })?
    } else {
        Box::new(tcp)
    };
    let password = crate::fetch_secret(target, shared).await.map_err(|m| {
        (
            Failure {
                code: 1045,
                state: "28000",
                message: m,
            },
            reply_seq,
        )
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
    up.write_all(&packet(up_seq, &hr))
        .await
        .map_err(|e| (io_failure("upstream", e), reply_seq))?;

    // Authentication exchanges until OK or ERR.
    let ok = loop {
        let (s, p) = read_packet(&mut up)
            .await
            .map_err(|e| (io_failure("upstream closed during login", e), reply_seq))?;
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
                let mut hints = vec![format!(
                    "rdsql proxy sent the {}",
                    target.provider.describe()
                )];
                if code == 1045 {
                    if target.iam {
                        target.provider.invalidate();
                        hints.push(format!("the user {:?} must be IDENTIFIED WITH AWSAuthenticationPlugin (RDS) and allowed rds-db:connect", spec.user));
                    } else {
                        hints.push(
                            "the password of the connection is wrong, or the user does not exist"
                                .into(),
                        );
                    }
                }
                return Err((
                    Failure {
                        code,
                        state: "28000",
                        message: format!(
                            "rdsql proxy: upstream {}: {msg} ({})",
                            spec.host_port(),
                            hints.join("; ")
                        ),
                    },
                    reply_seq,
                ));
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
                        return Err((
                            Failure {
                                code: 2059,
                                state: "HY000",
                                message: format!(
                                    "rdsql proxy: {} asks for the password in clear text over an unencrypted connection; refused (use TLS upstream)",
                                    spec.host_port()
                                ),
                            },
                            reply_seq,
                        ));
                    }
                    other => {
                        return Err((
                            Failure {
                                code: 2059,
                                state: "HY000",
                                message: format!(
                                    "rdsql proxy: the server asks for an authentication plugin rdsql does not speak ({other})"
                                ),
                            },
                            reply_seq,
                        ));
                    }
                };
                up.write_all(&reply(&answer))
                    .await
                    .map_err(|e| (io_failure("upstream", e), reply_seq))?;
            }
            Some(0x01) => match p.get(1) {
                // caching_sha2_password: 3 = fast path done, 4 = send it whole.
                Some(3) => {}
                Some(4) if tls => {
                    let mut v = pw.to_vec();
                    v.push(0);
                    up.write_all(&reply(&v))
                        .await
                        .map_err(|e| (io_failure("upstream", e), reply_seq))?;
                }
                _ => {
                    return Err((
                        io_failure(
                            "login",
                            "the server wants the full password without TLS; refused",
                        ),
                        reply_seq,
                    ));
                }
            },
            _ => return Err((io_failure("login", "an unexpected packet"), reply_seq)),
        }
    };
    client
        .write_all(&packet(reply_seq, &ok))
        .await
        .map_err(|e| (io_failure("client", e), reply_seq))?;
    let (a, b) = relay(client, up, shared).await;
    Ok((a, b, database))
}

/// Relays: the client's commands packet by packet (so `COM_CHANGE_USER`
/// can be refused), the server's bytes as they come.
async fn relay<S>(client: &mut S, up: Box<dyn Io>, shared: &Shared) -> (u64, u64)
where
    S: AsyncRead + AsyncWrite + Unpin + Send,
{
    let (cr, cw) = tokio::io::split(client);
    // Buffered: a command's header and body in one read, mostly.
    let mut cr = tokio::io::BufReader::with_capacity(32 * 1024, cr);
    let cw = tokio::sync::Mutex::new(cw);
    let (mut ur, mut uw) = tokio::io::split(up);
    let up_bytes = std::sync::atomic::AtomicU64::new(0);
    let down_bytes = std::sync::atomic::AtomicU64::new(0);
    let to_server = async {
        loop {
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
            if h[3] == 0 && p.get(4) == Some(&COM_CHANGE_USER) {
                let e = err_packet(
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
            up_bytes.fetch_add(n as u64 + 4, Ordering::Relaxed);
            shared
                .metrics
                .bytes_from_clients
                .fetch_add(n as u64 + 4, Ordering::Relaxed);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn native_password_scramble_matches_a_known_answer() {
        // From MySQL's own test vectors: password "secret", nonce of 20 'a's.
        let nonce = [b'a'; 20];
        let got = native(b"secret", &nonce);
        let h1 = sha1(&[b"secret"]);
        let h2 = sha1(&[&h1]);
        let h3 = sha1(&[&nonce, &h2]);
        // XOR again with h3 gives SHA1(password) back: the server's check.
        let back: Vec<u8> = got.iter().zip(&h3).map(|(a, b)| a ^ b).collect();
        assert_eq!(sha1(&[&back]), h2);
        assert!(native(b"", &nonce).is_empty());
    }

    #[test]
    fn greetings_and_responses_parse() {
        let mut g = vec![10];
        g.extend_from_slice(b"10.11.6-MariaDB\0");
        g.extend_from_slice(&7u32.to_le_bytes());
        g.extend_from_slice(b"abcdefgh\0");
        let caps = PROTOCOL_41 | SECURE_CONNECTION | PLUGIN_AUTH | SSL | DEPRECATE_EOF;
        g.extend_from_slice(&(caps as u16).to_le_bytes());
        g.push(45);
        g.extend_from_slice(&2u16.to_le_bytes());
        g.extend_from_slice(&((caps >> 16) as u16).to_le_bytes());
        g.push(21);
        g.extend_from_slice(&[0; 10]);
        g.extend_from_slice(b"ijklmnopqrst\0");
        g.extend_from_slice(b"mysql_native_password\0");
        let p = parse_greeting(&g).unwrap();
        assert_eq!(p.connection_id, 7);
        assert_eq!(p.scramble, b"abcdefghijklmnopqrst");
        assert_eq!(p.plugin, "mysql_native_password");
        assert_eq!(p.caps, caps);

        let mut r = Vec::new();
        r.extend_from_slice(
            &(PROTOCOL_41 | SECURE_CONNECTION | CONNECT_WITH_DB | PLUGIN_AUTH).to_le_bytes(),
        );
        r.extend_from_slice(&(1u32 << 24).to_le_bytes());
        r.push(45);
        r.extend_from_slice(&[0; 23]);
        r.extend_from_slice(b"app\0");
        r.push(3);
        r.extend_from_slice(b"xyz");
        r.extend_from_slice(b"shop\0mysql_native_password\0");
        let p = parse_response(&r).unwrap();
        assert_eq!(p.user, "app");
        assert_eq!(p.database.as_deref(), Some("shop"));
    }
}
