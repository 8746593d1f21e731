//! The startup phase: the client's startup packet (and its SSL/GSS
//! requests), backend message framing, and the ErrorResponse the proxy
//! sends its own errors in.

use tokio::io::{AsyncRead, AsyncReadExt};

pub(super) const SSL_REQUEST: i32 = 80877103;
pub(super) const GSSENC_REQUEST: i32 = 80877104;
pub(super) const CANCEL_REQUEST: i32 = 80877102;
pub(super) const PROTOCOL_3: i32 = 196608;
/// Startup packets are small; anything larger is not a PostgreSQL client.
pub(super) const MAX_STARTUP: usize = 10_000;
/// Server messages during startup are small too (an error at most).
pub(super) const MAX_STARTUP_MESSAGE: usize = 1 << 20;

/// An `ErrorResponse` (severity FATAL) with rdsql's hints in its HINT field.
pub(crate) fn error_response(code: &str, message: &str, hints: &[String]) -> Vec<u8> {
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

pub(super) async fn read_startup<S: AsyncRead + Unpin>(
    s: &mut S,
) -> std::io::Result<(i32, Vec<u8>)> {
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
pub(super) async fn read_message<S: AsyncRead + Unpin + ?Sized>(
    s: &mut S,
) -> std::io::Result<(u8, Vec<u8>)> {
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

pub(super) fn frame(t: u8, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + 5);
    out.push(t);
    out.extend_from_slice(&((body.len() + 4) as i32).to_be_bytes());
    out.extend_from_slice(body);
    out
}

/// `key\0value\0…\0` → pairs.
pub(super) fn parameters(body: &[u8]) -> Vec<(String, String)> {
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
pub(super) fn error_field(body: &[u8], t: u8) -> Option<String> {
    body.split(|&b| b == 0)
        .find(|f| f.first() == Some(&t))
        .map(|f| String::from_utf8_lossy(&f[1..]).into_owned())
}
