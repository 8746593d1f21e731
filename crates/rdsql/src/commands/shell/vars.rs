//! Shell variables: `\set`, `\unset`, and psql's interpolation of `:name`,
//! `:'name'` and `:"name"` outside quotes and comments (docs/shell.md,
//! "Variables").

use rdsql_db::{Engine, Protocol};
use std::collections::BTreeMap;

#[derive(Default)]
pub struct Vars(BTreeMap<String, String>);

fn is_name_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

impl Vars {
    pub fn set(&mut self, name: &str, value: &str) {
        self.0.insert(name.to_string(), value.to_string());
    }

    pub fn unset(&mut self, name: &str) -> bool {
        self.0.remove(name).is_some()
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// `name = 'value'` lines for a bare `\set`.
    pub fn listing(&self) -> String {
        self.0
            .iter()
            .map(|(k, v)| format!("{k} = '{v}'\n"))
            .collect()
    }

    /// `\set NAME [VALUE…]`: psql joins the values without spaces.
    pub fn set_command(&mut self, args: &[String]) -> Result<(), String> {
        let Some(name) = args.first() else {
            return Ok(());
        };
        if name.is_empty() || !name.bytes().all(is_name_char) {
            return Err(format!(
                "invalid variable name {name:?}: use letters, digits and underscores"
            ));
        }
        self.set(name, &args[1..].concat());
        Ok(())
    }

    /// Replaces `:name`, `:'name'` and `:"name"` in the code of `text` (not
    /// in quotes or comments, not `::` casts). Unknown names stay as
    /// written, as in psql. Quoting follows the engine: `:'x'` is a string
    /// literal and `:"x"` an identifier that the engine reads back as the
    /// value exactly.
    pub fn interpolate(&self, text: &str, engine: Engine) -> String {
        if self.0.is_empty() || !text.contains(':') {
            return text.to_string();
        }
        let mask = rdsql_db::split::code_mask(text, engine);
        let b = text.as_bytes();
        let mut out = String::with_capacity(text.len());
        let mut last = 0;
        let mut i = 0;
        while i < b.len() {
            let candidate = mask[i]
                && b[i] == b':'
                && (i == 0 || b[i - 1] != b':')
                && b.get(i + 1).is_some_and(|&c| c != b':');
            if !candidate {
                i += 1;
                continue;
            }
            let (quote, start) = match b[i + 1] {
                q @ (b'\'' | b'"') => (Some(q), i + 2),
                _ => (None, i + 1),
            };
            let mut end = start;
            while end < b.len() && is_name_char(b[end]) {
                end += 1;
            }
            let closed = match quote {
                Some(q) => b.get(end) == Some(&q),
                None => true,
            };
            let value = (end > start && closed)
                .then(|| self.get(&text[start..end]))
                .flatten();
            let Some(value) = value else {
                i += 1;
                continue;
            };
            out.push_str(&text[last..i]);
            match quote {
                None => out.push_str(value),
                Some(b'\'') => out.push_str(&literal(value, engine)),
                Some(_) => out.push_str(&identifier(value, engine)),
            }
            i = if quote.is_some() { end + 1 } else { end };
            last = i;
        }
        out.push_str(&text[last..]);
        out
    }
}

/// A string literal holding exactly `v`.
pub fn literal(v: &str, engine: Engine) -> String {
    let doubled = v.replace('\'', "''");
    match engine.protocol() {
        // MySQL reads backslashes in '' as escapes.
        Protocol::Mysql => format!("'{}'", doubled.replace('\\', "\\\\")),
        // With standard_conforming_strings (the default for years) a
        // backslash is literal in '' on PostgreSQL, as in SQLite.
        Protocol::Postgres | Protocol::Sqlite => format!("'{doubled}'"),
    }
}

/// An identifier holding exactly `v`: `"…"` (PostgreSQL, SQLite) or
/// backticks (MySQL without ANSI_QUOTES, its default).
pub fn identifier(v: &str, engine: Engine) -> String {
    match engine.protocol() {
        Protocol::Mysql => format!("`{}`", v.replace('`', "``")),
        Protocol::Postgres | Protocol::Sqlite => format!("\"{}\"", v.replace('"', "\"\"")),
    }
}

/// Splits a meta-command's argument text as psql does: whitespace
/// separates, `'…'` quotes (`''` is a quote), and outside quotes `:name`
/// and friends are replaced by `vars`.
pub fn meta_args(text: &str, vars: &Vars, engine: Engine) -> Vec<String> {
    let mut args = vec![];
    let mut cur = String::new();
    let mut has = false;
    let mut chars = text.chars().peekable();
    let mut plain = String::new();
    let flush_plain = |plain: &mut String, cur: &mut String| {
        if !plain.is_empty() {
            cur.push_str(&vars.interpolate(plain, engine));
            plain.clear();
        }
    };
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {
                flush_plain(&mut plain, &mut cur);
                if has {
                    args.push(std::mem::take(&mut cur));
                    has = false;
                }
            }
            '\'' => {
                flush_plain(&mut plain, &mut cur);
                has = true;
                loop {
                    match chars.next() {
                        Some('\'') if chars.peek() == Some(&'\'') => {
                            chars.next();
                            cur.push('\'');
                        }
                        Some('\'') | None => break,
                        Some(ch) => cur.push(ch),
                    }
                }
            }
            c => {
                has = true;
                plain.push(c);
            }
        }
    }
    flush_plain(&mut plain, &mut cur);
    if has {
        args.push(cur);
    }
    args
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars() -> Vars {
        let mut v = Vars::default();
        v.set("id", "42");
        v.set("name", "O'Brien \\ co");
        v.set("tbl", "my \"table\"");
        v
    }

    #[test]
    fn interpolates_in_code_only() {
        let v = vars();
        assert_eq!(
            v.interpolate(
                "select :id, :'name', x::int, ':id', :unknown -- :id\nfrom :\"tbl\"",
                Engine::Postgres
            ),
            "select 42, 'O''Brien \\ co', x::int, ':id', :unknown -- :id\nfrom \"my \"\"table\"\"\""
        );
        assert_eq!(
            v.interpolate("select :'name' from :\"tbl\"", Engine::Mysql),
            "select 'O''Brien \\\\ co' from `my \"table\"`"
        );
        assert_eq!(v.interpolate("a := :id", Engine::Postgres), "a := 42");
    }

    #[test]
    fn meta_args_quote_and_interpolate() {
        let v = vars();
        assert_eq!(
            meta_args("x 'a b' ':id' :id 'it''s'", &v, Engine::Postgres),
            vec!["x", "a b", ":id", "42", "it's"]
        );
        let mut w = Vars::default();
        w.set_command(&meta_args("n 1 2 3", &v, Engine::Postgres))
            .unwrap();
        assert_eq!(w.get("n"), Some("123"));
        assert!(w.set_command(&["bad-name".into()]).is_err());
    }
}
