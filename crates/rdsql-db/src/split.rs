//! Splits SQL text into statements at top-level `;`, respecting quotes,
//! dollar-quoting and comments, as psql and the mysql client do: PostgreSQL
//! `BEGIN ATOMIC … END` bodies and parentheses stay whole, MySQL's
//! `DELIMITER` command changes the terminator, and in MySQL `--` starts a
//! comment only before whitespace (docs/sql-input.md).

use crate::kinds::Engine;

/// Splits `sql` into statements (without their terminator). Pieces holding
/// only whitespace and comments, and MySQL `DELIMITER` lines, are dropped.
pub fn split_statements(sql: &str, engine: Engine) -> Vec<&str> {
    let scan = scan(sql, engine, ";");
    let mut out: Vec<&str> = scan.pieces.iter().map(|&(a, b)| sql[a..b].trim()).collect();
    if let Some(start) = scan.unterminated {
        out.push(sql[start..].trim());
    }
    out
}

/// True when `sql` holds at least one statement and ends with a top-level
/// terminator (only whitespace and comments after it): the shell runs it
/// then. Unterminated quotes, dollar quotes and block comments keep it open.
pub fn is_complete(sql: &str, engine: Engine) -> bool {
    let scan = scan(sql, engine, ";");
    !scan.open && scan.unterminated.is_none() && !scan.pieces.is_empty()
}

/// For each byte of `sql`, whether it is code: outside quoted strings and
/// identifiers, dollar quotes and comments (quote characters themselves
/// are not code). The shell finds variables (`:name`) and backslash
/// commands with it, as psql's lexer does (docs/shell.md).
pub fn code_mask(sql: &str, engine: Engine) -> Vec<bool> {
    let mysql = engine.is_mysql_family();
    let b = sql.as_bytes();
    let mut mask = vec![true; b.len()];
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let end = match c {
            b'\'' | b'"' | b'`' => {
                let backslash = mysql && c != b'`'
                    || (c == b'\''
                        && i > 0
                        && matches!(b[i - 1], b'E' | b'e')
                        && (i < 2 || !is_ident(b[i - 2])));
                Some(skip_quoted(b, i, c, backslash).0)
            }
            b'-' if b.get(i + 1) == Some(&b'-')
                && (!mysql || b.get(i + 2).is_none_or(|c| c.is_ascii_whitespace())) =>
            {
                Some(skip_line(b, i))
            }
            b'#' if mysql => Some(skip_line(b, i)),
            b'/' if b.get(i + 1) == Some(&b'*') => Some(skip_block_comment(b, i, !mysql).0),
            b'$' if !mysql && (i == 0 || !is_ident(b[i - 1])) => skip_dollar(b, i).map(|r| r.0),
            _ => None,
        };
        match end {
            Some(e) => {
                mask[i..e].iter_mut().for_each(|m| *m = false);
                i = e;
            }
            None => i += 1,
        }
    }
    mask
}

/// Reads statements one at a time from a stream (files, stdin), holding
/// only the statement being read: memory stays flat on any size of dump.
pub struct StatementReader<R> {
    input: R,
    engine: Engine,
    /// Text read but not yet returned (always starts at a statement start).
    pending: String,
    /// Statements found in `pending`, not yet returned.
    ready: std::collections::VecDeque<String>,
    delimiter: String,
    line: usize,
    done: bool,
}

/// Why reading SQL input failed.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("line {line}: the input is not valid UTF-8")]
    NotUtf8 { line: usize },
    #[error("line {line}: the input holds a NUL byte")]
    Nul { line: usize },
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

impl<R: std::io::BufRead> StatementReader<R> {
    /// Statements of `engine`'s dialect from `input`.
    pub fn new(input: R, engine: Engine) -> Self {
        StatementReader {
            input,
            engine,
            pending: String::new(),
            ready: Default::default(),
            delimiter: ";".into(),
            line: 0,
            done: false,
        }
    }

    /// The next statement, `None` at the end of the input.
    pub fn next_statement(&mut self) -> Result<Option<String>, ReadError> {
        loop {
            if let Some(s) = self.ready.pop_front() {
                return Ok(Some(s));
            }
            if self.done {
                if self.pending.is_empty() {
                    return Ok(None);
                }
                let rest = std::mem::take(&mut self.pending);
                let scan = scan(&rest, self.engine, &self.delimiter);
                for &(a, b) in &scan.pieces {
                    self.ready.push_back(rest[a..b].trim().to_string());
                }
                if let Some(start) = scan.unterminated {
                    self.ready.push_back(rest[start..].trim().to_string());
                }
                continue;
            }
            let mut raw = Vec::new();
            if self.input.read_until(b'\n', &mut raw)? == 0 {
                self.done = true;
                continue;
            }
            self.line += 1;
            if raw.contains(&0) {
                return Err(ReadError::Nul { line: self.line });
            }
            let text =
                String::from_utf8(raw).map_err(|_| ReadError::NotUtf8 { line: self.line })?;
            // Re-scan only when this line may end a statement (it holds the
            // terminator, or is a MySQL DELIMITER command): a long statement
            // of many lines is then scanned a few times, not once per line.
            let may_end = text.contains(self.delimiter.as_str())
                || (self.engine.is_mysql_family()
                    && text
                        .trim_start()
                        .get(..9)
                        .is_some_and(|w| w.eq_ignore_ascii_case("delimiter")));
            self.pending.push_str(&text);
            if !may_end {
                continue;
            }
            let scan = scan(&self.pending, self.engine, &self.delimiter);
            if scan.pieces.is_empty() && scan.consumed == 0 {
                continue;
            }
            for &(a, b) in &scan.pieces {
                self.ready.push_back(self.pending[a..b].trim().to_string());
            }
            self.delimiter = scan.delimiter;
            self.pending.drain(..scan.consumed);
        }
    }
}

/// What one pass over the text found.
struct Scan {
    /// Byte ranges of statements ended by a top-level terminator.
    pieces: Vec<(usize, usize)>,
    /// Start of trailing code not ended by a terminator.
    unterminated: Option<usize>,
    /// The text ends inside a quote, dollar quote or block comment.
    open: bool,
    /// Bytes up to the end of the last terminator or `DELIMITER` line.
    consumed: usize,
    /// The terminator in force at the end (MySQL `DELIMITER`).
    delimiter: String,
}

/// Bodies that hold `;`: psql's heuristic for SQL-standard function
/// bodies (a statement starting `CREATE [OR REPLACE] FUNCTION|PROCEDURE`)
/// and, for SQLite, `CREATE [TEMP] TRIGGER … BEGIN … END`. Inside such a
/// statement `BEGIN` opens a block, `CASE` inside one opens another, `END`
/// closes one; `;` ends the statement only outside blocks (and, for
/// PostgreSQL, outside parentheses).
struct Words {
    sqlite: bool,
    /// The statement's first words, lower-cased (up to four).
    head: Vec<String>,
    begin_depth: usize,
}

impl Words {
    fn new(engine: Engine) -> Words {
        Words {
            sqlite: engine == Engine::Sqlite,
            head: vec![],
            begin_depth: 0,
        }
    }

    fn word(&mut self, w: &str, paren_depth: usize) {
        let lw = w.to_ascii_lowercase();
        if self.head.len() < 4 {
            self.head.push(lw.clone());
        }
        let h: Vec<&str> = self.head.iter().map(String::as_str).collect();
        let body = if self.sqlite {
            matches!(
                h.as_slice(),
                ["create", "trigger", ..] | ["create", "temp" | "temporary", "trigger", ..]
            )
        } else {
            matches!(
                h.as_slice(),
                ["create", "function" | "procedure", ..]
                    | ["create", "or", "replace", "function" | "procedure", ..]
            )
        };
        if !body || paren_depth > 0 {
            return;
        }
        match lw.as_str() {
            "begin" => self.begin_depth += 1,
            "case" if self.begin_depth > 0 => self.begin_depth += 1,
            "end" if self.begin_depth > 0 => self.begin_depth -= 1,
            _ => {}
        }
    }
}

fn scan(sql: &str, engine: Engine, delimiter: &str) -> Scan {
    let mysql = engine.is_mysql_family();
    let b = sql.as_bytes();
    let mut delimiter = delimiter.to_string();
    let mut pieces = Vec::new();
    let mut start = 0;
    let mut consumed = 0;
    let mut i = 0;
    let mut has_code = false;
    let mut open = false;
    let mut words = Words::new(engine);
    let mut parens = 0usize;
    while i < b.len() {
        let c = b[i];
        // MySQL client command at a statement's start: DELIMITER xx.
        if mysql && !has_code && is_word_at(b, i, b"delimiter") {
            let end = skip_line(b, i);
            let arg = sql[i + 9..end].split_whitespace().next();
            if let Some(d) = arg {
                delimiter = d.to_string();
                i = end;
                start = end;
                consumed = end;
                continue;
            }
        }
        if delimiter != ";" && b[i..].starts_with(delimiter.as_bytes()) {
            if has_code {
                pieces.push((start, i));
            }
            i += delimiter.len();
            start = i;
            consumed = i;
            has_code = false;
            continue;
        }
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
            // MySQL: `--` is a comment only before whitespace (`1--1` is
            // arithmetic).
            b'-' if b.get(i + 1) == Some(&b'-')
                && (!mysql || b.get(i + 2).is_none_or(|c| c.is_ascii_whitespace())) =>
            {
                Some((skip_line(b, i), true))
            }
            b'#' if mysql => Some((skip_line(b, i), true)),
            b'/' if b.get(i + 1) == Some(&b'*') => {
                // MySQL runs `/*! … */` and `/*M! … */` (and keeps `/*+ … */`
                // hints): mysqldump's SET, CREATE TRIGGER and VIEW lines are
                // code, not comments.
                let tail = &b[i + 2..];
                if mysql
                    && (tail.starts_with(b"!") || tail.starts_with(b"M!") || tail.starts_with(b"+"))
                {
                    has_code = true;
                }
                Some(skip_block_comment(b, i, !mysql))
            }
            b'$' if !mysql && (i == 0 || !is_ident(b[i - 1])) => {
                has_code = true;
                skip_dollar(b, i)
            }
            b'(' if engine == Engine::Postgres => {
                parens += 1;
                has_code = true;
                None
            }
            b')' if engine == Engine::Postgres => {
                parens = parens.saturating_sub(1);
                has_code = true;
                None
            }
            b';' if delimiter == ";" && parens == 0 && words.begin_depth == 0 => {
                if has_code {
                    pieces.push((start, i));
                }
                start = i + 1;
                consumed = i + 1;
                has_code = false;
                words = Words::new(engine);
                None
            }
            c if !mysql
                && (c.is_ascii_alphabetic() || c == b'_')
                && (i == 0 || !is_ident(b[i - 1])) =>
            {
                has_code = true;
                let mut j = i;
                while j < b.len() && (is_ident(b[j]) || b[j] == b'$') {
                    j += 1;
                }
                words.word(&sql[i..j], parens);
                Some((j, true))
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
        consumed,
        delimiter,
    }
}

/// `word` (ASCII, any case) at `i`, followed by whitespace or the end.
fn is_word_at(b: &[u8], i: usize, word: &[u8]) -> bool {
    b.len() >= i + word.len()
        && b[i..i + word.len()].eq_ignore_ascii_case(word)
        && b.get(i + word.len())
            .is_none_or(|c| c.is_ascii_whitespace())
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
    fn code_mask_skips_quotes_and_comments() {
        let sql = "select 'a:b', :x -- :y\n/* :z */ $$:w$$ \\g";
        let mask = code_mask(sql, Engine::Postgres);
        let code: String = sql
            .char_indices()
            .filter(|&(i, _)| mask[i])
            .map(|(_, c)| c)
            .collect();
        assert_eq!(code, "select , :x   \\g");
        let my = "select 'it\\'s :a', :b # :c";
        let mask = code_mask(my, Engine::Mysql);
        let code: String = my
            .char_indices()
            .filter(|&(i, _)| mask[i])
            .map(|(_, c)| c)
            .collect();
        assert_eq!(code, "select , :b ");
    }

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
    fn begin_atomic_bodies_stay_whole() {
        let sql = "create function f(a int) returns int language sql begin atomic select 1; select case when a > 0 then 2 else 3 end; end; select 4; create or replace procedure p() begin atomic insert into t values (1); end; select (1; 2)";
        assert_eq!(
            split_statements(sql, Engine::Postgres),
            vec![
                "create function f(a int) returns int language sql begin atomic select 1; select case when a > 0 then 2 else 3 end; end",
                "select 4",
                "create or replace procedure p() begin atomic insert into t values (1); end",
                "select (1; 2)",
            ]
        );
        // BEGIN as a transaction is an ordinary statement.
        assert_eq!(
            split_statements("begin; select 1; end;", Engine::Postgres),
            vec!["begin", "select 1", "end"]
        );
    }

    #[test]
    fn sqlite_trigger_bodies_stay_whole() {
        let sql = "create table t(a); create temp trigger tr after insert on t begin insert into t values (case when new.a > 1 then 0 else 1 end); select 1; end; insert into t values (2);";
        assert_eq!(
            split_statements(sql, Engine::Sqlite),
            vec![
                "create table t(a)",
                "create temp trigger tr after insert on t begin insert into t values (case when new.a > 1 then 0 else 1 end); select 1; end",
                "insert into t values (2)",
            ]
        );
    }

    #[test]
    fn mysql_executable_comments_are_statements() {
        let dump = "/*!40014 SET FOREIGN_KEY_CHECKS=0 */;\n/*!50003 CREATE*/ /*!50017 DEFINER=`u`@`%`*/ /*!50003 TRIGGER t BEFORE INSERT ON x FOR EACH ROW SET NEW.a = 1 */;\n/* a plain comment */;\n/*M!100100 SET @x = 1 */;\n";
        assert_eq!(split_statements(dump, Engine::Mariadb).len(), 3);
        // In PostgreSQL a comment is a comment.
        assert!(split_statements("/*! x */;", Engine::Postgres).is_empty());
    }

    #[test]
    fn the_reader_handles_long_statements_and_a_last_line_without_newline() {
        let mut sql = String::from("insert into t values\n");
        for i in 0..1000 {
            sql.push_str(&format!("({i}, 'a'),\n"));
        }
        sql.push_str("(0, 'z');\nselect 1;select 2");
        let mut r = StatementReader::new(sql.as_bytes(), Engine::Postgres);
        let mut got = vec![];
        while let Some(s) = r.next_statement().unwrap() {
            got.push(s);
        }
        assert_eq!(got.len(), 3);
        assert_eq!(got[1..], ["select 1", "select 2"]);
    }

    #[test]
    fn mysql_double_dash_needs_whitespace() {
        assert_eq!(
            split_statements(
                "select 1--1; select 2 -- c;\n; select 3 --\n;",
                Engine::Mysql
            ),
            vec!["select 1--1", "select 2 -- c;", "select 3 --"]
        );
        assert_eq!(
            split_statements("select 1--1; select 2", Engine::Postgres),
            vec!["select 1--1; select 2"]
        );
    }

    #[test]
    fn mysql_delimiter_as_the_mysql_client() {
        let dump = "DROP TRIGGER IF EXISTS t1;\nDELIMITER ;;\nCREATE TRIGGER t1 BEFORE INSERT ON x FOR EACH ROW BEGIN SET NEW.a = 1; SET NEW.b = 2; END ;;\ndelimiter //\nCREATE PROCEDURE p() BEGIN SELECT 1; SELECT 2; END//\nDELIMITER ;\nselect 3;\n";
        assert_eq!(
            split_statements(dump, Engine::Mariadb),
            vec![
                "DROP TRIGGER IF EXISTS t1",
                "CREATE TRIGGER t1 BEFORE INSERT ON x FOR EACH ROW BEGIN SET NEW.a = 1; SET NEW.b = 2; END",
                "CREATE PROCEDURE p() BEGIN SELECT 1; SELECT 2; END",
                "select 3",
            ]
        );
    }

    #[test]
    fn the_reader_streams_the_same_statements() {
        let dump = "select 1;\nDELIMITER //\nCREATE PROCEDURE p() BEGIN\n SELECT 1;\nEND//\nDELIMITER ;\nselect 'a;\nb'; select 2\n";
        let mut r = StatementReader::new(dump.as_bytes(), Engine::Mysql);
        let mut got = vec![];
        while let Some(s) = r.next_statement().unwrap() {
            got.push(s);
        }
        assert_eq!(got, split_statements(dump, Engine::Mysql));
        let mut r = StatementReader::new(&b"select 1;\nselect '\xff';\n"[..], Engine::Postgres);
        assert_eq!(r.next_statement().unwrap().as_deref(), Some("select 1"));
        assert!(matches!(
            r.next_statement(),
            Err(ReadError::NotUtf8 { line: 2 })
        ));
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
