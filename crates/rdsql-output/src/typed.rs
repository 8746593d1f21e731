//! JSON values by column type (docs/output.md, "JSON"): numbers as JSON
//! numbers (digits copied as the server printed them, never through a
//! float), booleans, nested JSON for json/jsonb/JSON columns, arrays for
//! PostgreSQL arrays, `\x…` hex for binary, strings for everything else;
//! NaN and infinities stay strings.

use std::io::{self, Write};

/// How a column's values are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    Number,
    Bool,
    Json,
    Binary,
    /// A PostgreSQL array of the inner kind.
    Array(Inner),
}

/// The element kind of an array (no arrays of arrays: PostgreSQL nests
/// dimensions, not types).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inner {
    Text,
    Number,
    Bool,
    Json,
}

fn scalar(name: &str) -> Kind {
    let n = name.trim().to_ascii_lowercase();
    let base = n.split(['(', ' ']).next().unwrap_or("");
    match base {
        // PostgreSQL (tokio-postgres names), MySQL/MariaDB, SQLite.
        "int2" | "int4" | "int8" | "float4" | "float8" | "numeric" | "oid" | "smallint"
        | "integer" | "bigint" | "int" | "tinyint" | "mediumint" | "decimal" | "float"
        | "double" | "real" | "year" | "serial" | "bigserial" => Kind::Number,
        "bool" | "boolean" => Kind::Bool,
        "json" | "jsonb" => Kind::Json,
        "bytea" | "blob" | "binary" | "varbinary" | "tinyblob" | "mediumblob" | "longblob" => {
            Kind::Binary
        }
        _ => Kind::Text,
    }
}

/// The kind of a column whose type the engine named `name`.
pub fn kind(name: &str) -> Kind {
    // PostgreSQL array types: `_int4` (tokio-postgres) or `int4[]`.
    let elem = name.strip_prefix('_').or_else(|| name.strip_suffix("[]"));
    if let Some(e) = elem {
        return Kind::Array(match scalar(e) {
            Kind::Number => Inner::Number,
            Kind::Bool => Inner::Bool,
            Kind::Json => Inner::Json,
            _ => Inner::Text,
        });
    }
    scalar(name)
}

/// Whether `s` is a JSON number as written (so it can be copied as is).
fn json_number(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if b.get(i) == Some(&b'-') {
        i += 1;
    }
    match b.get(i) {
        Some(b'0') => i += 1,
        Some(b'1'..=b'9') => {
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
        }
        _ => return false,
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    i == b.len()
}

pub fn write_string(out: &mut dyn Write, v: &[u8]) -> io::Result<()> {
    match std::str::from_utf8(v) {
        Ok(s) => serde_json::to_writer(&mut *out, s).map_err(io::Error::other),
        Err(_) => write_hex(out, v),
    }
}

fn write_hex(out: &mut dyn Write, v: &[u8]) -> io::Result<()> {
    out.write_all(b"\"\\\\x")?;
    for b in v {
        write!(out, "{b:02x}")?;
    }
    out.write_all(b"\"")
}

fn write_inner(out: &mut dyn Write, kind: Inner, v: &str) -> io::Result<()> {
    match kind {
        Inner::Number if json_number(v) => out.write_all(v.as_bytes()),
        Inner::Bool if v == "t" || v == "f" => {
            out.write_all(if v == "t" { b"true" } else { b"false" })
        }
        Inner::Json if serde_json::from_str::<serde::de::IgnoredAny>(v).is_ok() => {
            out.write_all(v.as_bytes())
        }
        _ => write_string(out, v.as_bytes()),
    }
}

/// Writes one non-NULL value of `kind`.
pub fn write_value(out: &mut dyn Write, kind: Kind, v: &[u8]) -> io::Result<()> {
    match kind {
        Kind::Text => write_string(out, v),
        Kind::Binary => match v.strip_prefix(b"\\x") {
            // PostgreSQL already prints bytea as \x… hex.
            Some(_) if v.iter().all(u8::is_ascii) => write_string(out, v),
            _ => write_hex(out, v),
        },
        Kind::Number | Kind::Bool | Kind::Json => match std::str::from_utf8(v) {
            Ok(s) => match kind {
                Kind::Number => write_inner(out, Inner::Number, s),
                Kind::Bool => match s {
                    "t" | "true" | "1" => out.write_all(b"true"),
                    "f" | "false" | "0" => out.write_all(b"false"),
                    _ => write_string(out, v),
                },
                _ => write_inner(out, Inner::Json, s),
            },
            Err(_) => write_hex(out, v),
        },
        Kind::Array(inner) => match std::str::from_utf8(v).ok().and_then(parse_array) {
            Some(a) => write_array(out, inner, &a),
            None => write_string(out, v),
        },
    }
}

/// A parsed PostgreSQL array literal: nested lists of elements.
#[derive(Debug, PartialEq)]
enum Elem {
    Null,
    Value(String),
    List(Vec<Elem>),
}

fn write_array(out: &mut dyn Write, inner: Inner, e: &Elem) -> io::Result<()> {
    match e {
        Elem::Null => out.write_all(b"null"),
        Elem::Value(s) => write_inner(out, inner, s),
        Elem::List(items) => {
            out.write_all(b"[")?;
            for (i, x) in items.iter().enumerate() {
                if i > 0 {
                    out.write_all(b",")?;
                }
                write_array(out, inner, x)?;
            }
            out.write_all(b"]")
        }
    }
}

/// `{1,2,NULL}`, `{"a b","c\"d"}`, `{{1,2},{3,4}}`; None for anything else
/// (explicit bounds `[0:1]={…}` are written as a string).
fn parse_array(s: &str) -> Option<Elem> {
    let b = s.as_bytes();
    let mut i = 0;
    let e = parse_list(b, &mut i)?;
    (i == b.len()).then_some(e)
}

fn parse_list(b: &[u8], i: &mut usize) -> Option<Elem> {
    if b.get(*i) != Some(&b'{') {
        return None;
    }
    *i += 1;
    let mut items = vec![];
    if b.get(*i) == Some(&b'}') {
        *i += 1;
        return Some(Elem::List(items));
    }
    loop {
        match b.get(*i)? {
            b'{' => items.push(parse_list(b, i)?),
            b'"' => {
                *i += 1;
                let mut v = Vec::new();
                loop {
                    match *b.get(*i)? {
                        b'\\' => {
                            v.push(*b.get(*i + 1)?);
                            *i += 2;
                        }
                        b'"' => {
                            *i += 1;
                            break;
                        }
                        c => {
                            v.push(c);
                            *i += 1;
                        }
                    }
                }
                items.push(Elem::Value(String::from_utf8(v).ok()?));
            }
            _ => {
                let start = *i;
                while !matches!(b.get(*i)?, b',' | b'}') {
                    *i += 1;
                }
                let tok = std::str::from_utf8(&b[start..*i]).ok()?.trim();
                items.push(if tok.eq_ignore_ascii_case("NULL") {
                    Elem::Null
                } else {
                    Elem::Value(tok.to_string())
                });
            }
        }
        match b.get(*i)? {
            b',' => *i += 1,
            b'}' => {
                *i += 1;
                return Some(Elem::List(items));
            }
            _ => return None,
        }
    }
}

/// Unique keys for column names: a repeated name gets `_2`, `_3`…
pub fn unique_names(columns: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(columns.len());
    for c in columns {
        let mut name = c.clone();
        let mut n = 2;
        while out.contains(&name) || (name != *c && columns.contains(&name)) {
            name = format!("{c}_{n}");
            n += 1;
        }
        out.push(name);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(kind: Kind, v: &str) -> String {
        let mut out = Vec::new();
        write_value(&mut out, kind, v.as_bytes()).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn values_by_kind() {
        assert_eq!(w(kind("int4"), "42"), "42");
        assert_eq!(
            w(kind("numeric"), "123456789012345678901234567890.000000001"),
            "123456789012345678901234567890.000000001"
        );
        assert_eq!(w(kind("float8"), "NaN"), "\"NaN\"");
        assert_eq!(w(kind("float8"), "-Infinity"), "\"-Infinity\"");
        assert_eq!(w(kind("float8"), "1e+100"), "1e+100");
        assert_eq!(w(kind("bool"), "t"), "true");
        assert_eq!(w(kind("jsonb"), "{\"a\": [1, 2]}"), "{\"a\": [1, 2]}");
        assert_eq!(w(kind("_int4"), "{1,NULL,3}"), "[1,null,3]");
        assert_eq!(
            w(kind("_text"), "{\"a b\",\"c\\\"d\",NULL}"),
            "[\"a b\",\"c\\\"d\",null]"
        );
        assert_eq!(w(kind("_int4"), "{{1,2},{3,4}}"), "[[1,2],[3,4]]");
        assert_eq!(w(kind("_int4"), "[0:1]={1,2}"), "\"[0:1]={1,2}\"");
        assert_eq!(w(kind("bytea"), "\\x00ff"), "\"\\\\x00ff\"");
        assert_eq!(w(kind("varbinary"), "AB"), "\"\\\\x4142\"");
        assert_eq!(w(kind("decimal(10,2)"), "1.50"), "1.50");
        assert_eq!(
            w(kind("bigint unsigned"), "18446744073709551615"),
            "18446744073709551615"
        );
        assert_eq!(w(kind("text"), "1"), "\"1\"");
        assert_eq!(w(kind("int4"), "01"), "\"01\"");
    }

    #[test]
    fn repeated_names_get_suffixes() {
        let cols = ["a", "a", "b", "a_2"].map(String::from);
        assert_eq!(unique_names(&cols), ["a", "a_3", "b", "a_2"]);
        let cols = ["a", "a"].map(String::from);
        assert_eq!(unique_names(&cols), ["a", "a_2"]);
    }
}
