//! The handshake: capability flags, the server's greeting, the client's
//! HandshakeResponse41 (sqlx's `protocol/connect/handshake*.rs` split).

use super::packet::{cstr, lenenc};

pub(crate) const LONG_PASSWORD: u32 = 1;
pub(crate) const FOUND_ROWS: u32 = 2;
pub(crate) const LONG_FLAG: u32 = 4;
pub(crate) const CONNECT_WITH_DB: u32 = 8;
pub(crate) const NO_SCHEMA: u32 = 16;
pub(crate) const ODBC: u32 = 64;
pub(crate) const LOCAL_FILES: u32 = 128;
pub(crate) const IGNORE_SPACE: u32 = 256;
pub(crate) const PROTOCOL_41: u32 = 512;
pub(crate) const INTERACTIVE: u32 = 1024;
pub(crate) const SSL: u32 = 2048;
pub(crate) const IGNORE_SIGPIPE: u32 = 4096;
pub(crate) const TRANSACTIONS: u32 = 8192;
pub(crate) const RESERVED: u32 = 16384;
pub(crate) const SECURE_CONNECTION: u32 = 32768;
pub(crate) const MULTI_STATEMENTS: u32 = 1 << 16;
pub(crate) const MULTI_RESULTS: u32 = 1 << 17;
pub(crate) const PS_MULTI_RESULTS: u32 = 1 << 18;
pub(crate) const PLUGIN_AUTH: u32 = 1 << 19;
pub(crate) const CONNECT_ATTRS: u32 = 1 << 20;
pub(crate) const PLUGIN_AUTH_LENENC: u32 = 1 << 21;
pub(crate) const CAN_HANDLE_EXPIRED: u32 = 1 << 22;
pub(crate) const SESSION_TRACK: u32 = 1 << 23;
pub(crate) const DEPRECATE_EOF: u32 = 1 << 24;

/// What the proxy lets the two legs agree on: everything that shapes the
/// command phase the same way on both legs; not compression, not TLS (the
/// client leg is plaintext on loopback), not handshake extras.
pub(crate) const ALLOWED: u32 = LONG_PASSWORD
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

/// The parts of the server's greeting the proxy uses.
pub(crate) struct Greeting {
    pub(crate) version: Vec<u8>,
    pub(crate) connection_id: u32,
    pub(crate) scramble: Vec<u8>,
    pub(crate) caps: u32,
    pub(crate) charset: u8,
    pub(crate) status: u16,
    pub(crate) plugin: String,
}

pub(crate) fn parse_greeting(p: &[u8]) -> Option<Greeting> {
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
pub(crate) struct Response {
    pub(crate) caps: u32,
    pub(crate) max_packet: u32,
    pub(crate) charset: u8,
    pub(crate) user: String,
    pub(crate) database: Option<String>,
}

pub(crate) fn parse_response(p: &[u8]) -> Option<Response> {
    let caps = u32::from_le_bytes(p.get(0..4)?.try_into().ok()?);
    let max_packet = u32::from_le_bytes(p.get(4..8)?.try_into().ok()?);
    let charset = *p.get(8)?;
    let mut at = 32;
    let user = String::from_utf8_lossy(&cstr(p, &mut at)?).into_owned();
    // The client's answer to our scramble: read past, never checked.
    if caps & PLUGIN_AUTH_LENENC != 0 {
        // A client's length: checked, never trusted to fit.
        let n = usize::try_from(lenenc(p, &mut at)?).ok()?;
        at = at.checked_add(n)?;
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

#[cfg(test)]
mod tests {
    use super::*;

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

    /// A client's length-encoded auth data of 2^64-1 bytes is refused,
    /// not added up (it overflowed in debug builds).
    #[test]
    fn a_huge_auth_length_is_refused_without_overflow() {
        let mut r = Vec::new();
        r.extend_from_slice(&(PROTOCOL_41 | SECURE_CONNECTION | PLUGIN_AUTH_LENENC).to_le_bytes());
        r.extend_from_slice(&(1u32 << 24).to_le_bytes());
        r.push(45);
        r.extend_from_slice(&[0; 23]);
        r.extend_from_slice(b"app\0");
        r.push(0xfe);
        r.extend_from_slice(&[0xff; 8]);
        assert!(parse_response(&r).is_none());
    }
}
