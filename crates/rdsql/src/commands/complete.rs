//! Tab completion in the shell (docs/shell.md, "Completion"): SQL keywords,
//! schema, table, view, column and function names from the catalog (read
//! once per session and again after DDL), meta-commands, and file names
//! after `\i` and `\o`.

use rustyline::completion::{Completer, FilenameCompleter, Pair};
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::validate::Validator;
use rustyline::{Context, Helper};
use std::sync::{Arc, Mutex};

const KEYWORDS: &[&str] = &[
    "SELECT",
    "FROM",
    "WHERE",
    "GROUP",
    "BY",
    "ORDER",
    "HAVING",
    "LIMIT",
    "OFFSET",
    "JOIN",
    "LEFT",
    "RIGHT",
    "INNER",
    "OUTER",
    "FULL",
    "CROSS",
    "ON",
    "USING",
    "AND",
    "OR",
    "NOT",
    "NULL",
    "IS",
    "IN",
    "EXISTS",
    "BETWEEN",
    "LIKE",
    "ILIKE",
    "AS",
    "DISTINCT",
    "UNION",
    "ALL",
    "INTERSECT",
    "EXCEPT",
    "CASE",
    "WHEN",
    "THEN",
    "ELSE",
    "END",
    "INSERT",
    "INTO",
    "VALUES",
    "UPDATE",
    "SET",
    "DELETE",
    "RETURNING",
    "CREATE",
    "ALTER",
    "DROP",
    "TABLE",
    "VIEW",
    "INDEX",
    "SCHEMA",
    "DATABASE",
    "FUNCTION",
    "PROCEDURE",
    "TRIGGER",
    "SEQUENCE",
    "MATERIALIZED",
    "PRIMARY",
    "KEY",
    "FOREIGN",
    "REFERENCES",
    "UNIQUE",
    "CHECK",
    "DEFAULT",
    "CONSTRAINT",
    "BEGIN",
    "COMMIT",
    "ROLLBACK",
    "SAVEPOINT",
    "TRANSACTION",
    "EXPLAIN",
    "ANALYZE",
    "WITH",
    "RECURSIVE",
    "GRANT",
    "REVOKE",
    "TRUNCATE",
    "COPY",
    "SHOW",
    "USE",
    "DESCRIBE",
    "ASC",
    "DESC",
    "NULLS",
    "FIRST",
    "LAST",
    "WINDOW",
    "OVER",
    "PARTITION",
    "TRUE",
    "FALSE",
    "CAST",
    "COUNT",
    "COALESCE",
    "NOW",
];

const META: &[&str] = &[
    "\\q",
    "\\?",
    "\\conninfo",
    "\\l",
    "\\dn",
    "\\dt",
    "\\d",
    "\\c",
    "\\x",
    "\\format",
    "\\timing",
    "\\o",
    "\\i",
    "\\g",
    "\\gx",
    "\\watch",
    "\\e",
    "\\p",
    "\\r",
    "\\copy",
    "\\set",
    "\\unset",
    "\\echo",
    "\\pset",
    "\\a",
    "\\t",
];

/// The catalog names completion offers; refreshed by the shell.
#[derive(Default)]
pub struct Names {
    pub words: Vec<String>,
    /// Set after DDL (or at start): read the catalog before the next prompt.
    pub stale: bool,
}

pub struct ShellHelper {
    pub names: Arc<Mutex<Names>>,
    files: FilenameCompleter,
}

impl ShellHelper {
    pub fn new(names: Arc<Mutex<Names>>) -> Self {
        ShellHelper {
            names,
            files: FilenameCompleter::new(),
        }
    }
}

impl Completer for ShellHelper {
    type Candidate = Pair;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        let before = &line[..pos];
        let trimmed = before.trim_start();
        // File names after \i, \o, \g and \e, and after \copy's from/to.
        let copy_file = trimmed.starts_with("\\copy ")
            && trimmed
                .split_whitespace()
                .rev()
                .nth(usize::from(!before.ends_with(' ')))
                .is_some_and(|w| w.eq_ignore_ascii_case("from") || w.eq_ignore_ascii_case("to"));
        if copy_file
            || ["\\i ", "\\o ", "\\g ", "\\e "]
                .iter()
                .any(|p| trimmed.starts_with(p))
        {
            return self.files.complete(line, pos, ctx);
        }
        let start = before
            .rfind(|c: char| !(c.is_alphanumeric() || c == '_' || c == '\\' || c == '?'))
            .map(|i| i + before[i..].chars().next().map(char::len_utf8).unwrap_or(1))
            .unwrap_or(0);
        let word = &before[start..];
        if word.is_empty() {
            return Ok((pos, vec![]));
        }
        let pair = |s: &str| Pair {
            display: s.to_string(),
            replacement: s.to_string(),
        };
        if word.starts_with('\\') {
            let m = META
                .iter()
                .filter(|m| m.starts_with(word))
                .map(|m| pair(m))
                .collect();
            return Ok((start, m));
        }
        let lower = word.to_lowercase();
        let mut out: Vec<Pair> = vec![];
        if let Ok(n) = self.names.lock() {
            for w in &n.words {
                if w.to_lowercase().starts_with(&lower) && !out.iter().any(|p| p.replacement == *w)
                {
                    out.push(pair(w));
                }
            }
        }
        // Keywords in the case the user types them.
        let upper = word.chars().all(|c| !c.is_lowercase());
        for k in KEYWORDS {
            if k.to_lowercase().starts_with(&lower) {
                out.push(pair(&if upper {
                    k.to_string()
                } else {
                    k.to_lowercase()
                }));
            }
        }
        Ok((start, out))
    }
}

impl Hinter for ShellHelper {
    type Hint = String;
}
impl Highlighter for ShellHelper {}
impl Validator for ShellHelper {}
impl Helper for ShellHelper {}

#[cfg(test)]
mod tests {
    use super::*;
    use rustyline::history::DefaultHistory;

    #[test]
    fn keywords_names_and_meta_commands_complete() {
        let names = Arc::new(Mutex::new(Names {
            words: vec!["order_ref".into(), "orders".into()],
            stale: false,
        }));
        let h = ShellHelper::new(names);
        let hist = DefaultHistory::new();
        let ctx = Context::new(&hist);
        let got = |line: &str| {
            let (start, c) = h.complete(line, line.len(), &ctx).unwrap();
            (
                start,
                c.into_iter().map(|p| p.replacement).collect::<Vec<_>>(),
            )
        };
        assert_eq!(got("select order_r"), (7, vec!["order_ref".to_string()]));
        assert_eq!(got("SEL"), (0, vec!["SELECT".to_string()]));
        assert_eq!(got("sel"), (0, vec!["select".to_string()]));
        assert_eq!(got("\\conn"), (0, vec!["\\conninfo".to_string()]));
        assert_eq!(
            got("select * from ord").1,
            vec!["order_ref", "orders", "order"]
        );
    }
}
