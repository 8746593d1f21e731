//! Parsing of connection URLs (`postgres://…`, `mysql://…`, `sqlite:…`).

use crate::error::SpecError;
use crate::kinds::Engine;
use crate::options::ConnectOptions;
use percent_encoding::percent_decode_str;

/// A URL cut into its parts by the one tokenizer that both parsing and
/// redaction use, so a message can never quote a piece of a password that
/// the parser saw differently (docs/connection-model.md, "URLs").
///
/// The rule: after `scheme:` and an optional `//`, the **last** `@` before
/// the query ends the user information; the first `:` inside it separates
/// the user from the password. The query starts at a `?` followed by a
/// known parameter and `=`. So a password may hold any character unencoded
/// (`/ ? # @ : %` and spaces included), a parameter value may hold `@`
/// (`ssh=user@bastion`), and an `@` in the database name must be `%40`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UrlTokens<'a> {
    /// Up to the first `:` (empty when the input is no URL).
    pub scheme: &'a str,
    /// Whether `//` followed `scheme:`.
    pub slashes: bool,
    pub user: Option<&'a str>,
    pub password: Option<&'a str>,
    /// Everything after the user information (or after the scheme when
    /// there is none): host, port, path and query.
    pub rest: &'a str,
}

impl<'a> UrlTokens<'a> {
    /// Tokenizes any input; never fails.
    pub fn new(input: &'a str) -> UrlTokens<'a> {
        let (scheme, after) = match input.split_once(':') {
            Some((s, r)) if scheme_engine(s).is_some() => (s, r),
            // Not one of our URLs ("user:pw@host", "mongodb://…"):
            // everything before the last '@' still counts as user
            // information, so it is never echoed.
            _ => ("", input),
        };
        let (slashes, after) = match after.strip_prefix("//") {
            Some(r) => (true, r),
            None => (false, after),
        };
        // User information ends at the last '@' before the query. The
        // query starts at a '?' followed by a known parameter (so a raw '?'
        // in a password still counts as user information and is never
        // echoed), and its values may hold '@' (`ssh=user@bastion`).
        let query_start = after
            .match_indices('?')
            .map(|(i, _)| i)
            .find(|&i| {
                let q = &after[i + 1..];
                crate::options::URL_PARAMETERS
                    .iter()
                    .chain(["password"].iter())
                    .any(|p| q.starts_with(p) && q[p.len()..].starts_with('='))
            })
            .unwrap_or(after.len());
        let (user, password, rest) = match after[..query_start].rfind('@') {
            Some(at) => {
                let info = &after[..at];
                let (u, p) = match info.split_once(':') {
                    Some((u, p)) => (u, Some(p)),
                    None => (info, None),
                };
                (Some(u), p, &after[at + 1..])
            }
            None => (None, None, after),
        };
        UrlTokens {
            scheme,
            slashes,
            user,
            password,
            rest,
        }
    }

    /// The input with the password replaced by `***`.
    pub fn redacted(&self) -> String {
        let mut out = String::new();
        if !self.scheme.is_empty() {
            out.push_str(self.scheme);
            out.push(':');
        }
        if self.slashes {
            out.push_str("//");
        }
        if let Some(u) = self.user {
            out.push_str(u);
            if self.password.is_some() {
                out.push_str(":***");
            }
            out.push('@');
        }
        // A password put where it does not belong (`?password=…`) is
        // refused by the parser, and masked here all the same.
        match self.rest.split_once('?') {
            Some((before, query)) => {
                out.push_str(before);
                out.push('?');
                let pairs: Vec<String> = query
                    .split('&')
                    .map(|pair| match pair.split_once('=') {
                        Some((k, _)) if !shows_value(k) => format!("{k}=***"),
                        _ => pair.to_string(),
                    })
                    .collect();
                out.push_str(&pairs.join("&"));
            }
            None => out.push_str(self.rest),
        }
        out
    }
}

/// Whether a query parameter's value may appear in messages: only for
/// the known connection fields (none of which is secret); a misplaced
/// `password=`, `aws_secret_access_key=` or any unknown key is masked.
fn shows_value(raw_key: &str) -> bool {
    let key = percent_decode_str(raw_key).decode_utf8_lossy();
    crate::options::URL_PARAMETERS
        .iter()
        .any(|p| key.eq_ignore_ascii_case(p))
}

/// The engine a URL scheme names.
fn scheme_engine(scheme: &str) -> Option<Engine> {
    match scheme.to_ascii_lowercase().as_str() {
        "postgres" | "postgresql" => Some(Engine::Postgres),
        "mysql" => Some(Engine::Mysql),
        "mariadb" => Some(Engine::Mariadb),
        "sqlite" | "sqlite3" => Some(Engine::Sqlite),
        _ => None,
    }
}

/// Parses a connection URL into options. Errors quote the offending part,
/// with any password replaced by `***`.
pub fn parse_url(input: &str) -> Result<ConnectOptions, SpecError> {
    let tokens = UrlTokens::new(input);
    let redacted = tokens.redacted();
    let bad = |part: &str, why: &str| SpecError::BadUrl {
        url: redacted.clone(),
        part: part.to_string(),
        reason: why.to_string(),
    };

    let Some(engine) = scheme_engine(tokens.scheme) else {
        // Quote only what precedes the first ':' (never a password).
        return Err(match input.split_once(':') {
            Some((s, _))
                if !s.is_empty()
                    && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '+')
                    && input[s.len()..].starts_with("://") =>
            {
                bad(
                    s,
                    "unknown scheme; use postgres://, postgresql://, mysql://, mariadb:// or sqlite:",
                )
            }
            _ => bad(
                input_head(&redacted),
                "expected a URL such as postgres://user@host/db, mysql://user@host/db or sqlite:file.db",
            ),
        });
    };
    let mut opts = ConnectOptions {
        engine: Some(engine),
        ..Default::default()
    };

    if engine == Engine::Sqlite {
        if tokens.user.is_some() {
            return Err(bad(
                input_head(&redacted),
                "a SQLite URL has no user or password (write @ in a file name as %40)",
            ));
        }
        let (path, query) = split_query(tokens.rest);
        if path.is_empty() {
            return Err(bad(
                &redacted,
                "a SQLite URL needs a file path or :memory:, e.g. sqlite:app.db",
            ));
        }
        opts.dbname = Some(decode(path, "path", &bad)?);
        if let Some(q) = query {
            apply_query(&mut opts, q, &bad)?;
        }
        return Ok(opts);
    }

    if !tokens.slashes {
        return Err(bad(
            input_head(&redacted),
            "expected // after the scheme, e.g. postgres://user@host:5432/db",
        ));
    }
    if let Some(user) = tokens.user {
        if tokens.password.is_none() && user.contains(['/', '?']) {
            return Err(bad(
                input_head(&redacted),
                "an unencoded '@' after the host: write @ in the database name as %40",
            ));
        }
        if !user.is_empty() {
            opts.user = Some(decode(user, "user", &bad)?);
        }
    }
    if let Some(p) = tokens.password {
        let decoded = percent_decode_str(p).decode_utf8().map_err(|_| {
            bad(
                "***",
                "the password is not valid UTF-8 after percent-decoding",
            )
        })?;
        opts.password = Some(crate::Secret::new(decoded.into_owned()));
    }
    let (rest, query) = split_query(tokens.rest);
    let (hostport, path) = match rest.find('/') {
        Some(i) => (&rest[..i], Some(&rest[i + 1..])),
        None => (rest, None),
    };
    let (host, port) = if let Some(after) = hostport.strip_prefix('[') {
        let Some(end) = after.find(']') else {
            return Err(bad(hostport, "unterminated IPv6 address: expected ']'"));
        };
        let host = &after[..end];
        if host.parse::<std::net::Ipv6Addr>().is_err() {
            return Err(bad(host, "not a valid IPv6 address"));
        }
        let tail = &after[end + 1..];
        let port = match tail {
            "" => None,
            t => match t.strip_prefix(':') {
                Some(p) => Some(p),
                None => return Err(bad(t, "unexpected text after the IPv6 address")),
            },
        };
        (host.to_string(), port)
    } else {
        match hostport.rsplit_once(':') {
            Some((h, p)) => (decode(h, "host", &bad)?, Some(p)),
            None => (decode(hostport, "host", &bad)?, None),
        }
    };
    if host
        .chars()
        .any(|c| c.is_whitespace() || c == '/' || c == '@')
    {
        return Err(bad(&host, "not a valid host name"));
    }
    if !host.is_empty() {
        opts.host = Some(host);
    }
    if let Some(p) = port
        && !p.is_empty()
    {
        opts.port = Some(parse_port(p).map_err(|why| bad(p, &why))?);
    }
    if let Some(db) = path
        && !db.is_empty()
    {
        opts.dbname = Some(decode(db, "database name", &bad)?);
    }
    if let Some(q) = query {
        apply_query(&mut opts, q, &bad)?;
    }
    Ok(opts)
}

/// Parses a TCP port, 1–65535.
pub fn parse_port(p: &str) -> Result<u16, String> {
    crate::options::parse_port(p)
}

fn input_head(s: &str) -> &str {
    match s.char_indices().nth(40) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

fn split_query(s: &str) -> (&str, Option<&str>) {
    match s.split_once('?') {
        Some((a, q)) => (a, Some(q)),
        None => (s, None),
    }
}

fn decode(s: &str, what: &str, bad: &dyn Fn(&str, &str) -> SpecError) -> Result<String, SpecError> {
    percent_decode_str(s)
        .decode_utf8()
        .map(|c| c.into_owned())
        .map_err(|_| {
            bad(
                s,
                &format!("the {what} is not valid UTF-8 after percent-decoding"),
            )
        })
}

fn apply_query(
    opts: &mut ConnectOptions,
    query: &str,
    bad: &dyn Fn(&str, &str) -> SpecError,
) -> Result<(), SpecError> {
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let key = decode(k, "parameter name", bad)?;
        if key.eq_ignore_ascii_case("password") {
            return Err(bad(
                &format!("{k}=***"),
                "put the password in the user-info part (user:password@host) or use a password variable, not a query parameter",
            ));
        }
        // An unknown key's value is never quoted: it may be a secret put
        // in the wrong place.
        let quoted = if shows_value(k) {
            pair.to_string()
        } else {
            format!("{k}=***")
        };
        let value = decode(v, "parameter value", &|_, why| bad(&quoted, why))?;
        opts.set(&key, &value).map_err(|why| bad(&quoted, &why))?;
    }
    Ok(())
}

/// The URL with any password replaced by `***`, for messages (the same
/// tokenizer as [`parse_url`]).
pub fn redact_url(input: &str) -> String {
    UrlTokens::new(input).redacted()
}

/// Characters kept as they are in written URLs (RFC 3986 unreserved).
const ENCODE: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

fn enc(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, ENCODE).to_string()
}

/// The options as a URL that [`parse_url`] reads back to the same
/// options; the password is written only when `with_password` (for the
/// round-trip test; nothing that prints asks for it).
pub fn to_url(opts: &ConnectOptions, with_password: bool) -> String {
    let engine = opts.engine.unwrap_or(Engine::Postgres);
    let mut url = String::new();
    let mut skip: Vec<&str> = vec!["engine"];
    if engine == Engine::Sqlite {
        url.push_str("sqlite:");
        if let Some(db) = &opts.dbname {
            url.push_str(&enc(db).replace("%2F", "/").replace("%3A", ":"));
        }
        skip.push("dbname");
    } else {
        url.push_str(engine.name());
        url.push_str("://");
        let password = opts.password.as_ref().filter(|_| with_password);
        if opts.user.is_some() || password.is_some() {
            url.push_str(&enc(opts.user.as_deref().unwrap_or("")));
            if let Some(p) = password {
                url.push(':');
                url.push_str(&enc(p.expose()));
            }
            url.push('@');
        }
        match &opts.host {
            Some(h) if h.parse::<std::net::Ipv6Addr>().is_ok() => url.push_str(&format!("[{h}]")),
            Some(h) => url.push_str(&enc(h)),
            None => {}
        }
        if let Some(p) = opts.port {
            url.push_str(&format!(":{p}"));
        }
        if let Some(db) = &opts.dbname {
            url.push('/');
            url.push_str(&enc(db));
        }
        skip.extend(["host", "port", "user", "dbname"]);
    }
    let mut sep = '?';
    for f in crate::options::FIELDS {
        if skip.contains(&f.name) {
            continue;
        }
        if let Some(v) = opts.get(f.name) {
            url.push(sep);
            url.push_str(f.name);
            url.push('=');
            url.push_str(&enc(&v));
            sep = '&';
        }
    }
    url
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kinds::SslMode;

    #[test]
    fn password_with_a_slash_is_never_quoted() {
        // Parsing and redaction cut the URL the same way.
        for url in [
            "postgres://u:pa/Zq7Xk@h/db",
            "postgres://u:pa?Zq7Xk@h:99999/db",
            "postgres://u:pa#Zq7Xk@h/db?colour=blue",
            "postgres:/u:Zq7Xk@h/db",
            "u:Zq7Xk@h/db",
            "mongodb://u:Zq7Xk@h/db",
            "sqlite:u:Zq7Xk@file.db",
        ] {
            if let Err(e) = parse_url(url) {
                let e = e.to_string();
                assert!(!e.contains("Zq7X"), "{url}: {e}");
            }
            assert!(!redact_url(url).contains("Zq7X"), "{url}");
        }
        assert_eq!(
            parse_url("postgres://u:pa/ssword@h/db")
                .unwrap()
                .password
                .unwrap()
                .expose(),
            "pa/ssword"
        );
        let o = parse_url("postgres://u:pa/ss?w#o@rd@h:5433/db").unwrap();
        assert_eq!(o.password.unwrap().expose(), "pa/ss?w#o@rd");
        assert_eq!((o.host.as_deref(), o.port), (Some("h"), Some(5433)));
        // Misplaced secrets in parameters are masked, whatever the case.
        for url in [
            "postgres://h/db?aws_secret_access_key=Zq7Xk",
            "postgres://h/db?PASSWORD=Zq7Xk",
            "postgres://h/db?pass%77ord=Zq7Xk",
            "postgres://h/db?sslmode=require&colour=Zq7Xk",
        ] {
            let e = parse_url(url).unwrap_err().to_string();
            assert!(!e.contains("Zq7X"), "{url}: {e}");
            assert!(!redact_url(url).contains("Zq7X"), "{url}");
        }
        // An '@' in a parameter value belongs to the value (ssh=user@host),
        // encoded or not.
        let o = parse_url("postgres://h/db?aws_profile=me@corp").unwrap();
        assert_eq!(o.aws_profile.as_deref(), Some("me@corp"));
        let o = parse_url("postgres://u:p@h/db?ssh=ec2-user@bastion:2222").unwrap();
        assert_eq!(o.ssh.as_deref(), Some("ec2-user@bastion:2222"));
        assert_eq!(o.host.as_deref(), Some("h"));
        assert_eq!(o.password.unwrap().expose(), "p");
        let o = parse_url("postgres://h/db?aws_profile=me%40corp").unwrap();
        assert_eq!(o.aws_profile.as_deref(), Some("me@corp"));
    }

    #[test]
    fn full_postgres_url() {
        let o = parse_url("postgres://al%40ice:p%40ss%3Aw@db.example.com:6432/my%20db?sslmode=verify-full&connect_timeout=3").unwrap();
        assert_eq!(o.engine, Some(Engine::Postgres));
        assert_eq!(o.user.as_deref(), Some("al@ice"));
        assert_eq!(o.password.as_ref().unwrap().expose(), "p@ss:w");
        assert_eq!(o.host.as_deref(), Some("db.example.com"));
        assert_eq!(o.port, Some(6432));
        assert_eq!(o.dbname.as_deref(), Some("my db"));
        assert_eq!(o.sslmode, Some(SslMode::VerifyFull));
        assert_eq!(o.connect_timeout, Some(3));
    }

    #[test]
    fn ipv6_and_missing_parts() {
        let o = parse_url("mysql://[::1]:3307").unwrap();
        assert_eq!(o.host.as_deref(), Some("::1"));
        assert_eq!(o.port, Some(3307));
        assert_eq!(o.user, None);
        let o = parse_url("postgresql://").unwrap();
        assert_eq!(o.host, None);
        let o = parse_url("mariadb://bob@[fe80::1]/shop").unwrap();
        assert_eq!(o.engine, Some(Engine::Mariadb));
        assert_eq!(o.host.as_deref(), Some("fe80::1"));
        assert_eq!(o.dbname.as_deref(), Some("shop"));
    }

    #[test]
    fn unencoded_at_in_password() {
        let o = parse_url("postgres://u:a@b@h/db").unwrap();
        assert_eq!(o.password.unwrap().expose(), "a@b");
        assert_eq!(o.host.as_deref(), Some("h"));
    }

    #[test]
    fn sqlite_forms() {
        assert_eq!(
            parse_url("sqlite::memory:").unwrap().dbname.as_deref(),
            Some(":memory:")
        );
        assert_eq!(
            parse_url("sqlite:data/app.db").unwrap().dbname.as_deref(),
            Some("data/app.db")
        );
        assert_eq!(
            parse_url("sqlite:///tmp/x.db").unwrap().dbname.as_deref(),
            Some("/tmp/x.db")
        );
        assert!(parse_url("sqlite:").is_err());
    }

    #[test]
    fn garbage_is_quoted_and_password_redacted() {
        let e = parse_url("postgres://u:secretpw@host:99999/db")
            .unwrap_err()
            .to_string();
        assert!(e.contains("99999"), "{e}");
        assert!(!e.contains("secretpw"), "{e}");
        assert!(e.contains("u:***@host"), "{e}");

        let e = parse_url("mongodb://x").unwrap_err().to_string();
        assert!(e.contains("mongodb"), "{e}");
        let e = parse_url("postgres://u:pw@h/db?sslmode=maybe")
            .unwrap_err()
            .to_string();
        assert!(e.contains("sslmode=maybe"), "{e}");
        assert!(!e.contains(":pw@"), "{e}");
        let e = parse_url("postgres://[::1/db").unwrap_err().to_string();
        assert!(e.contains("IPv6"), "{e}");
        let e = parse_url("postgres://h:abc/db").unwrap_err().to_string();
        assert!(e.contains("\"abc\""), "{e}");
        let e = parse_url("postgres://h/db?colour=blue")
            .unwrap_err()
            .to_string();
        assert!(e.contains("colour"), "{e}");
        assert!(parse_url("just some words").is_err());
        assert!(parse_url("postgres:host").is_err());
    }

    #[test]
    fn query_parameters_map_to_options() {
        let o = parse_url("postgres://h/db?auth=iam-profile&aws_profile=dev&aws_region=eu-west-1&iam_host=real.example&iam_port=5433").unwrap();
        assert_eq!(o.aws_profile.as_deref(), Some("dev"));
        assert_eq!(o.aws_region.as_deref(), Some("eu-west-1"));
        assert_eq!(o.iam_host.as_deref(), Some("real.example"));
        assert_eq!(o.iam_port, Some(5433));
    }
}
