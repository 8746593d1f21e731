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
