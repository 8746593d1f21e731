//! Splits SQL text into statements at top-level `;`, respecting quotes,
//! dollar-quoting and comments, as psql and the mysql client do.

use crate::spec::Engine;

/// Splits `sql` into statements (without the trailing `;`). Pieces holding
/// only whitespace and comments are dropped.
pub fn split_statements(sql: &str, engine: Engine) -> Vec<&str> {
    let mysql = engine.is_mysql_family();
    let b = sql.as_bytes();
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    let mut has_code = false;
    while i < b.len() {
        let c = b[i];
        match c {
            b'\'' | b'"' | b'`' => {
                has_code = true;
                // MySQL and PostgreSQL E'' strings use backslash escapes.
                let backslash = mysql && c != b'`'
                    || (c == b'\''
                        && i > 0
                        && matches!(b[i - 1], b'E' | b'e')
                        && (i < 2 || !is_ident(b[i - 2])));
                i = skip_quoted(b, i, c, backslash);
                continue;
            }
            b'-' if b.get(i + 1) == Some(&b'-') => {
                i = skip_line(b, i);
                continue;
            }
            b'#' if mysql => {
                i = skip_line(b, i);
                continue;
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i = skip_block_comment(b, i, !mysql);
                continue;
            }
            b'$' if !mysql && (i == 0 || !is_ident(b[i - 1])) => {
                if let Some(end) = skip_dollar(b, i) {
                    has_code = true;
                    i = end;
                    continue;
                }
                has_code = true;
            }
            b';' => {
                if has_code {
                    out.push(sql[start..i].trim());
                }
                start = i + 1;
                has_code = false;
            }
            c if !c.is_ascii_whitespace() => has_code = true,
            _ => {}
        }
        i += 1;
    }
    if has_code {
        out.push(sql[start..].trim());
    }
    out
}

fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80
}

fn skip_quoted(b: &[u8], start: usize, q: u8, backslash: bool) -> usize {
    let mut i = start + 1;
    while i < b.len() {
        if backslash && b[i] == b'\\' {
            i += 2;
            continue;
        }
        if b[i] == q {
            if b.get(i + 1) == Some(&q) {
                i += 2;
                continue;
            }
            return i + 1;
        }
        i += 1;
    }
    b.len()
}

fn skip_line(b: &[u8], start: usize) -> usize {
    match b[start..].iter().position(|&c| c == b'\n') {
        Some(p) => start + p + 1,
        None => b.len(),
    }
}

fn skip_block_comment(b: &[u8], start: usize, nested: bool) -> usize {
    let mut depth = 0;
    let mut i = start;
    while i + 1 < b.len() {
        if b[i] == b'/' && b[i + 1] == b'*' && (nested || depth == 0) {
            depth += 1;
            i += 2;
        } else if b[i] == b'*' && b[i + 1] == b'/' {
            depth -= 1;
            i += 2;
            if depth == 0 {
                return i;
            }
        } else {
            i += 1;
        }
    }
    b.len()
}

/// At a `$`: if it opens a dollar quote (`$$` or `$tag$`), returns the index
/// after the closing delimiter.
fn skip_dollar(b: &[u8], start: usize) -> Option<usize> {
    let mut j = start + 1;
    while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_' || b[j] >= 0x80) {
        j += 1;
    }
    if b.get(j) != Some(&b'$') || b.get(start + 1).is_some_and(|c| c.is_ascii_digit()) {
        return None;
    }
    let tag = &b[start..=j];
    let body = j + 1;
    let rest = &b[body..];
    match rest.windows(tag.len()).position(|w| w == tag) {
        Some(p) => Some(body + p + tag.len()),
        None => Some(b.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_simple() {
        assert_eq!(
            split_statements("select 1; select 2;", Engine::Postgres),
            vec!["select 1", "select 2"]
        );
        assert_eq!(
            split_statements("select 1", Engine::Postgres),
            vec!["select 1"]
        );
        assert!(split_statements("  ;; -- only a comment\n", Engine::Postgres).is_empty());
    }

    #[test]
    fn respects_quotes_and_comments() {
        let sql = "select 'a;b', \"c;d\" -- x;y\n; /* p;q /* nested; */ r; */ select $$e;f$$; select $t$ $$ ; $t$";
        assert_eq!(
            split_statements(sql, Engine::Postgres),
            vec![
                "select 'a;b', \"c;d\" -- x;y",
                "/* p;q /* nested; */ r; */ select $$e;f$$",
                "select $t$ $$ ; $t$"
            ]
        );
    }

    #[test]
    fn escapes() {
        assert_eq!(
            split_statements("select E'a\\';b'; select 1", Engine::Postgres).len(),
            2
        );
        assert_eq!(
            split_statements("select 'it''s;'; select 1", Engine::Postgres).len(),
            2
        );
        assert_eq!(
            split_statements("select 'a\\';b'; select 1", Engine::Mysql).len(),
            2
        );
        assert_eq!(
            split_statements("select 1 # c;\n; select `x;y`", Engine::Mysql),
            vec!["select 1 # c;", "select `x;y`"]
        );
    }

    #[test]
    fn positional_params_are_not_dollar_quotes() {
        assert_eq!(
            split_statements("prepare p as select $1; select 2", Engine::Postgres).len(),
            2
        );
    }
}

/// True when `sql` holds at least one statement and ends with a top-level
/// `;` (only whitespace and comments after it): the shell runs it then.
/// Unterminated quotes, dollar quotes and block comments keep it open.
pub fn is_complete(sql: &str, engine: Engine) -> bool {
    let mysql = engine.is_mysql_family();
    let b = sql.as_bytes();
    let mut i = 0;
    let mut last_semicolon_done = false;
    let mut any_code = false;
    while i < b.len() {
        let c = b[i];
        match c {
            b'\'' | b'"' | b'`' => {
                let backslash = mysql && c != b'`'
                    || (c == b'\''
                        && i > 0
                        && matches!(b[i - 1], b'E' | b'e')
                        && (i < 2 || !is_ident(b[i - 2])));
                let end = skip_quoted(b, i, c, backslash);
                if end >= b.len()
                    && !(end == b.len()
                        && b.len() > i + 1
                        && b[b.len() - 1] == c
                        && closes(b, i, c, backslash))
                {
                    return false;
                }
                i = end;
                any_code = true;
                last_semicolon_done = false;
                continue;
            }
            b'-' if b.get(i + 1) == Some(&b'-') => {
                i = skip_line(b, i);
                continue;
            }
            b'#' if mysql => {
                i = skip_line(b, i);
                continue;
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let end = skip_block_comment(b, i, !mysql);
                if end >= b.len() && !sql.ends_with("*/") {
                    return false;
                }
                i = end;
                continue;
            }
            b'$' if !mysql && (i == 0 || !is_ident(b[i - 1])) => {
                if let Some(end) = skip_dollar(b, i) {
                    let tag_len = b[i + 1..].iter().position(|&x| x == b'$').unwrap_or(0) + 2;
                    let closed = end >= i + 2 * tag_len
                        && b[end - tag_len..end] == b[i..i + tag_len]
                        && end - i >= 2 * tag_len;
                    if !closed {
                        return false;
                    }
                    i = end;
                    any_code = true;
                    last_semicolon_done = false;
                    continue;
                }
                any_code = true;
                last_semicolon_done = false;
            }
            b';' => last_semicolon_done = any_code,
            c if !c.is_ascii_whitespace() => {
                any_code = true;
                last_semicolon_done = false;
            }
            _ => {}
        }
        i += 1;
    }
    last_semicolon_done
}

/// Whether the quote opened at `start` is closed by the last byte.
fn closes(b: &[u8], start: usize, q: u8, backslash: bool) -> bool {
    let mut i = start + 1;
    while i < b.len() {
        if backslash && b[i] == b'\\' {
            i += 2;
            continue;
        }
        if b[i] == q {
            if b.get(i + 1) == Some(&q) {
                i += 2;
                continue;
            }
            return i == b.len() - 1;
        }
        i += 1;
    }
    false
}

#[cfg(test)]
mod complete_tests {
    use super::*;

    #[test]
    fn completeness() {
        let pg = Engine::Postgres;
        assert!(is_complete("select 1;", pg));
        assert!(is_complete("select 1;  -- done\n", pg));
        assert!(!is_complete("select 1", pg));
        assert!(!is_complete("select 'a;", pg));
        assert!(is_complete("select 'a;';", pg));
        assert!(!is_complete("select $$ a; ", pg));
        assert!(is_complete("select $$ a; $$;", pg));
        assert!(!is_complete("/* ; ", pg));
        assert!(is_complete("/* x */ select 1;", pg));
        assert!(!is_complete(";", pg));
        assert!(!is_complete("select 1; select 2", pg));
        assert!(is_complete("select 'it''s';", pg));
        assert!(!is_complete("select 'a\\';", Engine::Mysql));
        assert!(is_complete("select 1; # c\n", Engine::Mysql));
    }
}
