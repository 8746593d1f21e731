//! Parsing of connection URLs (`postgres://…`, `mysql://…`, `sqlite:…`).

use crate::error::SpecError;
use crate::options::ConnectOptions;
use crate::spec::Engine;
use percent_encoding::percent_decode_str;

/// Parses a connection URL into options. Errors quote the offending part,
/// with any password replaced by `***`.
pub fn parse_url(input: &str) -> Result<ConnectOptions, SpecError> {
    let redacted = redact_url(input);
    let bad = |part: &str, why: &str| SpecError::BadUrl {
        url: redacted.clone(),
        part: part.to_string(),
        reason: why.to_string(),
    };

    let (scheme, rest) = match input.split_once(':') {
        Some((s, r))
            if !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '+') =>
        {
            (s, r)
        }
        _ => {
            return Err(bad(
                input_head(&redacted),
                "expected a URL such as postgres://user@host/db, mysql://user@host/db or sqlite:file.db",
            ));
        }
    };
    let engine = match scheme.to_ascii_lowercase().as_str() {
        "postgres" | "postgresql" => Engine::Postgres,
        "mysql" => Engine::Mysql,
        "mariadb" => Engine::Mariadb,
        "sqlite" | "sqlite3" => Engine::Sqlite,
        _ => {
            return Err(bad(
                scheme,
                "unknown scheme; use postgres://, postgresql://, mysql://, mariadb:// or sqlite:",
            ));
        }
    };
    let mut opts = ConnectOptions {
        engine: Some(engine),
        ..Default::default()
    };

    if engine == Engine::Sqlite {
        let path = rest.strip_prefix("//").unwrap_or(rest);
        let (path, query) = split_query(path);
        if path.is_empty() {
            return Err(bad(
                input,
                "a SQLite URL needs a file path or :memory:, e.g. sqlite:app.db",
            ));
        }
        opts.dbname = Some(decode(path, "path", &bad)?);
        if let Some(q) = query {
            apply_query(&mut opts, q, &bad)?;
        }
        return Ok(opts);
    }

    let Some(rest) = rest.strip_prefix("//") else {
        return Err(bad(
            rest,
            "expected // after the scheme, e.g. postgres://user@host:5432/db",
        ));
    };
    let (rest, query) = split_query(rest);
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], Some(&rest[i + 1..])),
        None => (rest, None),
    };
    // The last '@' separates credentials from the host, so an unencoded '@'
    // in a password still works.
    let (userinfo, hostport) = match authority.rfind('@') {
        Some(i) => (Some(&authority[..i]), &authority[i + 1..]),
        None => (None, authority),
    };
    if let Some(ui) = userinfo {
        let (user, pass) = match ui.split_once(':') {
            Some((u, p)) => (u, Some(p)),
            None => (ui, None),
        };
        if !user.is_empty() {
            opts.user = Some(decode(user, "user", &bad)?);
        }
        if let Some(p) = pass {
            let decoded = percent_decode_str(p).decode_utf8().map_err(|_| {
                bad(
                    "***",
                    "the password is not valid UTF-8 after percent-decoding",
                )
            })?;
            opts.password = Some(crate::Secret::new(decoded.into_owned()));
        }
    }
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
        opts.port = Some(parse_port(p).map_err(|why| bad(p, why))?);
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
pub fn parse_port(p: &str) -> Result<u16, &'static str> {
    match p.parse::<u32>() {
        Ok(n) if (1..=65535).contains(&n) => Ok(n as u16),
        _ => Err("the port must be a number from 1 to 65535"),
    }
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
        if key == "password" {
            return Err(bad(
                "password=***",
                "put the password in the user-info part (user:password@host) or use a password variable, not a query parameter",
            ));
        }
        let value = decode(v, "parameter value", bad)?;
        opts.set(&key, &value).map_err(|why| bad(pair, &why))?;
    }
    Ok(())
}

/// The URL with any password replaced by `***`, for messages.
pub fn redact_url(input: &str) -> String {
    let Some(scheme_end) = input.find("://") else {
        return input.to_string();
    };
    let after = &input[scheme_end + 3..];
    let auth_end = after.find(['/', '?']).unwrap_or(after.len());
    let authority = &after[..auth_end];
    if let Some(at) = authority.rfind('@')
        && let Some(colon) = authority[..at].find(':')
    {
        {
            return format!(
                "{}{}:***{}",
                &input[..scheme_end + 3],
                &authority[..colon],
                &after[at..]
            );
        }
    }
    input.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::SslMode;

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
