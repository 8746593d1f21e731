//! MySQL packets: the 4-byte header (length, sequence id), ERR packets
//! and the length-encoded fields of the handshake.

use tokio::io::{AsyncRead, AsyncReadExt};

pub(crate) const MAX_HANDSHAKE: usize = 64 * 1024;

pub(crate) fn packet(seq: u8, payload: &[u8]) -> Vec<u8> {
    let n = payload.len();
    let mut out = Vec::with_capacity(n + 4);
    out.extend_from_slice(&[n as u8, (n >> 8) as u8, (n >> 16) as u8, seq]);
    out.extend_from_slice(payload);
    out
}

pub(crate) async fn read_packet<R: AsyncRead + Unpin + ?Sized>(
    r: &mut R,
) -> std::io::Result<(u8, Vec<u8>)> {
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
pub(crate) fn err_packet(seq: u8, code: u16, state: &str, message: &str) -> Vec<u8> {
    let mut p = vec![0xff];
    p.extend_from_slice(&code.to_le_bytes());
    p.push(b'#');
    p.extend_from_slice(&state.as_bytes()[..5]);
    p.extend_from_slice(message.as_bytes());
    packet(seq, &p)
}

pub(crate) fn cstr(p: &[u8], at: &mut usize) -> Option<Vec<u8>> {
    let rest = p.get(*at..)?;
    let end = rest.iter().position(|&b| b == 0)?;
    *at += end + 1;
    Some(rest[..end].to_vec())
}

pub(crate) fn lenenc(p: &[u8], at: &mut usize) -> Option<u64> {
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
