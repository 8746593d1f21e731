//! Splits SQL text into statements at top-level `;`, respecting quotes,
//! dollar-quoting and comments, as psql and the mysql client do.

use crate::spec::Engine;

/// Splits `sql` into statements (without the trailing `;`). Pieces holding
/// only whitespace and comments are dropped.
pub fn split_statements(sql: &str, engine: Engine) -> Vec<&str> {
    let scan = scan(sql, engine);
    let mut out: Vec<&str> = scan.pieces.iter().map(|&(a, b)| sql[a..b].trim()).collect();
    if let Some(start) = scan.unterminated {
        out.push(sql[start..].trim());
    }
    out
}

/// True when `sql` holds at least one statement and ends with a top-level
/// `;` (only whitespace and comments after it): the shell runs it then.
/// Unterminated quotes, dollar quotes and block comments keep it open.
pub fn is_complete(sql: &str, engine: Engine) -> bool {
    let scan = scan(sql, engine);
    !scan.open && scan.unterminated.is_none() && !scan.pieces.is_empty()
}

/// What one pass over the text found.
struct Scan {
    /// Byte ranges of statements ended by a top-level `;`.
    pieces: Vec<(usize, usize)>,
    /// Start of trailing code not ended by `;`.
    unterminated: Option<usize>,
    /// The text ends inside a quote, dollar quote or block comment.
    open: bool,
}

fn scan(sql: &str, engine: Engine) -> Scan {
    let mysql = engine.is_mysql_family();
    let b = sql.as_bytes();
    let mut pieces = Vec::new();
    let mut start = 0;
    let mut i = 0;
    let mut has_code = false;
    let mut open = false;
    while i < b.len() {
        let c = b[i];
        let skipped = match c {
            b'\'' | b'"' | b'`' => {
                has_code = true;
                // MySQL and PostgreSQL E'' strings use backslash escapes.
                let backslash = mysql && c != b'`'
                    || (c == b'\''
                        && i > 0
                        && matches!(b[i - 1], b'E' | b'e')
                        && (i < 2 || !is_ident(b[i - 2])));
                Some(skip_quoted(b, i, c, backslash))
            }
            b'-' if b.get(i + 1) == Some(&b'-') => Some((skip_line(b, i), true)),
            b'#' if mysql => Some((skip_line(b, i), true)),
            b'/' if b.get(i + 1) == Some(&b'*') => Some(skip_block_comment(b, i, !mysql)),
            b'$' if !mysql && (i == 0 || !is_ident(b[i - 1])) => {
                has_code = true;
                skip_dollar(b, i)
            }
            b';' => {
                if has_code {
                    pieces.push((start, i));
                }
                start = i + 1;
                has_code = false;
                None
            }
            c if !c.is_ascii_whitespace() => {
                has_code = true;
                None
            }
            _ => None,
        };
        match skipped {
            Some((end, closed)) => {
                open |= !closed;
                i = end;
            }
            None => i += 1,
        }
    }
    Scan {
        pieces,
        unterminated: has_code.then_some(start),
        open,
    }
}

fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80
}

/// Skips a quoted string or identifier: (index after it, closed?).
fn skip_quoted(b: &[u8], start: usize, q: u8, backslash: bool) -> (usize, bool) {
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
            return (i + 1, true);
        }
        i += 1;
    }
    (b.len(), false)
}

fn skip_line(b: &[u8], start: usize) -> usize {
    match b[start..].iter().position(|&c| c == b'\n') {
        Some(p) => start + p + 1,
        None => b.len(),
    }
}

/// Skips a block comment (nested for PostgreSQL): (index after it, closed?).
fn skip_block_comment(b: &[u8], start: usize, nested: bool) -> (usize, bool) {
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
                return (i, true);
            }
        } else {
            i += 1;
        }
    }
    (b.len(), false)
}

/// At a `$`: if it opens a dollar quote (`$$` or `$tag$`), the index after
/// the closing delimiter and whether there was one; `None` for `$1` etc.
fn skip_dollar(b: &[u8], start: usize) -> Option<(usize, bool)> {
    let mut j = start + 1;
    while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_' || b[j] >= 0x80) {
        j += 1;
    }
    if b.get(j) != Some(&b'$') || b.get(start + 1).is_some_and(|c| c.is_ascii_digit()) {
        return None;
    }
    let tag = &b[start..=j];
    let body = j + 1;
    match b[body..].windows(tag.len()).position(|w| w == tag) {
        Some(p) => Some((body + p + tag.len(), true)),
        None => Some((b.len(), false)),
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
