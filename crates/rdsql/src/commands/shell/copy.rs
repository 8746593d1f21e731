//! `\copy`: psql's client-side copy between a local file and a table or
//! query (docs/shell.md, "\copy"). PostgreSQL runs `COPY … FROM STDIN` /
//! `TO STDOUT` and streams the file; MySQL/MariaDB load with
//! `LOAD DATA LOCAL INFILE` (serving only the named file) and, like
//! SQLite, write a query's rows in COPY's text or CSV format.

use rdsql_db::{Engine, ResultSink};
use std::io::{self, Write};
use std::path::PathBuf;

#[derive(Debug, PartialEq, Eq)]
pub enum Source {
    /// `table [(columns)]`, as typed.
    Table {
        name: String,
        columns: Option<String>,
    },
    /// `(query)`, without the parentheses (`to` only).
    Query(String),
}

#[derive(Debug, PartialEq, Eq)]
pub enum Direction {
    From,
    To,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Place {
    File(PathBuf),
    /// `to stdout` (the terminal or `\o` file is not involved).
    Stdout,
}

#[derive(Debug, PartialEq, Eq)]
pub struct Copy {
    pub source: Source,
    pub direction: Direction,
    pub place: Place,
    /// Everything after the file, as typed (`with (format csv, header)`,
    /// `csv header`…).
    pub options: String,
}

const USAGE: &str = "\\copy TABLE [(COLUMNS)] from 'FILE' [with (OPTIONS)]  or  \\copy {TABLE | (QUERY)} to 'FILE'|stdout [with (OPTIONS)]";

/// Parses the text after `\copy`.
pub fn parse(arg: &str, engine: Engine) -> Result<Copy, String> {
    let text = arg.trim();
    let mask = rdsql_db::split::code_mask(text, engine);
    let b = text.as_bytes();
    let (source, rest) = if text.starts_with('(') {
        let close = matching_paren(b, &mask, 0).ok_or("the query's ( is not closed")?;
        (
            Source::Query(text[1..close].trim().to_string()),
            &text[close + 1..],
        )
    } else {
        // The table, then an optional column list, up to `from`/`to`.
        let kw = find_keyword(text, &mask).ok_or(format!("usage: {USAGE}"))?;
        let target = text[..kw].trim();
        let (name, columns) = match target.find('(') {
            Some(p) => (
                target[..p].trim().to_string(),
                Some(target[p..].trim().to_string()),
            ),
            None => (target.to_string(), None),
        };
        if name.is_empty() {
            return Err(format!("\\copy needs a table; usage: {USAGE}"));
        }
        (Source::Table { name, columns }, &text[kw..])
    };
    let rest = rest.trim_start();
    let (direction, rest) = match word(rest) {
        (w, r) if w.eq_ignore_ascii_case("from") => (Direction::From, r),
        (w, r) if w.eq_ignore_ascii_case("to") => (Direction::To, r),
        _ => return Err(format!("\\copy needs from or to; usage: {USAGE}")),
    };
    if matches!(source, Source::Query(_)) && direction == Direction::From {
        return Err("\\copy (query) works only with to".into());
    }
    let rest = rest.trim_start();
    let (place, options) = if let Some(q) = rest.strip_prefix('\'') {
        let mut name = String::new();
        let mut chars = q.char_indices().peekable();
        let mut end = None;
        while let Some((i, c)) = chars.next() {
            if c == '\'' {
                if chars.peek().map(|p| p.1) == Some('\'') {
                    chars.next();
                    name.push('\'');
                    continue;
                }
                end = Some(i + 1);
                break;
            }
            name.push(c);
        }
        let end = end.ok_or("the file name's quote is not closed")?;
        (Place::File(PathBuf::from(name)), &q[end..])
    } else {
        let (w, r) = word(rest);
        match w.to_ascii_lowercase().as_str() {
            "" => return Err(format!("\\copy needs a file; usage: {USAGE}")),
            "stdout" | "pstdout" if direction == Direction::To => (Place::Stdout, r),
            "stdin" | "pstdin" => {
                return Err(
                    "\\copy from stdin is not supported in the interactive shell: put the data in a file and name it"
                        .into(),
                );
            }
            "program" => {
                return Err(
                    "\\copy … program is not supported: run the program yourself into a file, then \\copy from that file"
                        .into(),
                );
            }
            _ => (Place::File(PathBuf::from(w)), r),
        }
    };
    Ok(Copy {
        source,
        direction,
        place,
        options: options.trim().trim_end_matches(';').trim().to_string(),
    })
}

fn word(s: &str) -> (&str, &str) {
    let s = s.trim_start();
    let end = s.find(char::is_whitespace).unwrap_or(s.len());
    (&s[..end], &s[end..])
}

fn matching_paren(b: &[u8], mask: &[bool], open: usize) -> Option<usize> {
    let mut depth = 0;
    for i in open..b.len() {
        if !mask[i] {
            continue;
        }
        match b[i] {
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

/// Byte offset of the first top-level `from` or `to` word.
fn find_keyword(text: &str, mask: &[bool]) -> Option<usize> {
    let b = text.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while i < b.len() {
        if mask[i] {
            match b[i] {
                b'(' => depth += 1,
                b')' => depth = depth.saturating_sub(1),
                _ => {}
            }
        }
        let boundary = i == 0 || b[i - 1].is_ascii_whitespace() || b[i - 1] == b')';
        if mask[i] && depth == 0 && boundary {
            for kw in ["from", "to"] {
                let end = i + kw.len();
                if b.len() > end
                    && b[i..end].eq_ignore_ascii_case(kw.as_bytes())
                    && b[end].is_ascii_whitespace()
                {
                    return Some(i);
                }
            }
        }
        i += 1;
    }
    None
}

/// The statement PostgreSQL runs for `c`.
pub fn postgres_sql(c: &Copy) -> String {
    let source = match &c.source {
        Source::Table { name, columns } => match columns {
            Some(cols) => format!("{name} {cols}"),
            None => name.clone(),
        },
        Source::Query(q) => format!("({q})"),
    };
    let dir = match c.direction {
        Direction::From => "FROM STDIN",
        Direction::To => "TO STDOUT",
    };
    if c.options.is_empty() {
        format!("COPY {source} {dir}")
    } else {
        format!("COPY {source} {dir} {}", c.options)
    }
}

/// The options rdsql reads itself (MySQL/MariaDB, SQLite; and the header
/// rule for PostgreSQL's row count).
#[derive(Debug, PartialEq, Eq)]
pub struct Options {
    pub csv: bool,
    pub header: bool,
    pub delimiter: Option<String>,
    pub null: Option<String>,
}

/// Reads `with (format csv, header, delimiter ';', null 'x')` and the
/// old `csv header` form.
pub fn options(text: &str) -> Result<Options, String> {
    let mut o = Options {
        csv: false,
        header: false,
        delimiter: None,
        null: None,
    };
    let cleaned = text.replace(['(', ')', ','], " ");
    let mut toks = tokens(&cleaned).into_iter().peekable();
    while let Some(t) = toks.next() {
        match t.to_ascii_lowercase().as_str() {
            "with" => {}
            "csv" => o.csv = true,
            "text" => o.csv = false,
            "format" => match toks.next().map(|s| s.to_ascii_lowercase()).as_deref() {
                Some("csv") => o.csv = true,
                Some("text") => o.csv = false,
                other => {
                    return Err(format!(
                        "format {} is not supported here; use text or csv",
                        other.unwrap_or("(none)")
                    ));
                }
            },
            "header" => {
                o.header = true;
                if let Some(v) = toks.peek().map(|s| s.to_ascii_lowercase()) {
                    match v.as_str() {
                        "true" | "on" | "1" => {
                            toks.next();
                        }
                        "false" | "off" | "0" => {
                            toks.next();
                            o.header = false;
                        }
                        _ => {}
                    }
                }
            }
            "delimiter" => {
                let d = toks.next().ok_or("delimiter needs a value, such as ';'")?;
                if d.chars().count() != 1 {
                    return Err("the delimiter must be a single character".into());
                }
                o.delimiter = Some(d);
            }
            "null" => o.null = Some(toks.next().ok_or("null needs a value, such as ''")?),
            other => {
                return Err(format!(
                    "option {other:?} is not supported here; rdsql reads format text|csv, header, delimiter and null"
                ));
            }
        }
    }
    Ok(o)
}

fn tokens(s: &str) -> Vec<String> {
    let mut out = vec![];
    let mut chars = s.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
        } else if c == '\'' {
            chars.next();
            let mut t = String::new();
            while let Some(c) = chars.next() {
                if c == '\'' {
                    if chars.peek() == Some(&'\'') {
                        chars.next();
                        t.push('\'');
                        continue;
                    }
                    break;
                }
                t.push(c);
            }
            out.push(t);
        } else {
            let mut t = String::new();
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() || c == '\'' {
                    break;
                }
                t.push(c);
                chars.next();
            }
            out.push(t);
        }
    }
    out
}

/// `LOAD DATA LOCAL INFILE` for `c` on MySQL/MariaDB. The text format is
/// the statement's default (tab, `\N` for NULL, backslash escapes), the
/// same as PostgreSQL's COPY text format.
pub fn mysql_load_sql(c: &Copy, o: &Options) -> Result<String, String> {
    let Source::Table { name, columns } = &c.source else {
        return Err("\\copy (query) works only with to".into());
    };
    if o.null.is_some() {
        return Err("on MySQL/MariaDB \\copy from reads NULL as \\N (text format); the null option is not supported".into());
    }
    let Place::File(path) = &c.place else {
        return Err("\\copy from needs a file".into());
    };
    let lit = super::vars::literal(&path.to_string_lossy(), Engine::Mysql);
    let mut sql = format!("LOAD DATA LOCAL INFILE {lit} INTO TABLE {name}");
    let delim = o
        .delimiter
        .clone()
        .unwrap_or_else(|| if o.csv { ",".into() } else { "\t".into() });
    let delim = super::vars::literal(&delim, Engine::Mysql);
    if o.csv {
        sql.push_str(&format!(
            " CHARACTER SET utf8mb4 FIELDS TERMINATED BY {delim} OPTIONALLY ENCLOSED BY '\"' ESCAPED BY '' LINES TERMINATED BY '\\n'"
        ));
    } else {
        sql.push_str(&format!(
            " CHARACTER SET utf8mb4 FIELDS TERMINATED BY {delim} ESCAPED BY '\\\\' LINES TERMINATED BY '\\n'"
        ));
    }
    if o.header {
        sql.push_str(" IGNORE 1 LINES");
    }
    if let Some(cols) = columns {
        sql.push(' ');
        sql.push_str(cols);
    }
    Ok(sql)
}

/// The query whose rows `\copy … to` writes on MySQL/MariaDB and SQLite.
pub fn select_sql(c: &Copy) -> String {
    match &c.source {
        Source::Table { name, columns } => {
            let cols = columns
                .as_deref()
                .map(|c| {
                    c.trim()
                        .trim_start_matches('(')
                        .trim_end_matches(')')
                        .trim()
                })
                .unwrap_or("*");
            format!("SELECT {cols} FROM {name}")
        }
        Source::Query(q) => q.clone(),
    }
}

/// Writes rows in COPY's text format (tab-separated, `\N` for NULL,
/// backslash escapes) or CSV (NULL unquoted and empty, an empty string
/// `""`), as PostgreSQL's COPY TO does.
pub struct CopyWriter<W: Write> {
    out: W,
    csv: bool,
    header: bool,
    delimiter: u8,
    null: Vec<u8>,
    pub rows: u64,
}

impl<W: Write> CopyWriter<W> {
    pub fn new(out: W, o: &Options) -> Result<Self, String> {
        let delimiter = match &o.delimiter {
            Some(d) if d.len() == 1 => d.as_bytes()[0],
            Some(_) => return Err("the delimiter must be a single ASCII character".into()),
            None if o.csv => b',',
            None => b'\t',
        };
        let null = match &o.null {
            Some(n) => n.as_bytes().to_vec(),
            None if o.csv => vec![],
            None => b"\\N".to_vec(),
        };
        Ok(CopyWriter {
            out,
            csv: o.csv,
            header: o.header,
            delimiter,
            null,
            rows: 0,
        })
    }

    pub fn into_inner(self) -> W {
        self.out
    }

    fn field(&mut self, v: Option<&[u8]>) -> io::Result<()> {
        let Some(v) = v else {
            return self.out.write_all(&self.null);
        };
        if self.csv {
            let needs = v.is_empty()
                || v == self.null.as_slice()
                || v == b"\\."
                || v.iter()
                    .any(|&c| c == self.delimiter || matches!(c, b'"' | b'\r' | b'\n'));
            if !needs {
                return self.out.write_all(v);
            }
            self.out.write_all(b"\"")?;
            for (i, part) in v.split(|&c| c == b'"').enumerate() {
                if i > 0 {
                    self.out.write_all(b"\"\"")?;
                }
                self.out.write_all(part)?;
            }
            return self.out.write_all(b"\"");
        }
        let mut start = 0;
        for (i, &c) in v.iter().enumerate() {
            let esc: &[u8] = match c {
                b'\\' => b"\\\\",
                b'\n' => b"\\n",
                b'\r' => b"\\r",
                b'\t' => b"\\t",
                c if c == self.delimiter => &[b'\\', c],
                _ => continue,
            };
            self.out.write_all(&v[start..i])?;
            self.out.write_all(esc)?;
            start = i + 1;
        }
        self.out.write_all(&v[start..])
    }
}

impl<W: Write + Send> ResultSink for CopyWriter<W> {
    fn begin_result(&mut self, columns: &[String]) -> io::Result<()> {
        if self.header {
            for (i, c) in columns.iter().enumerate() {
                if i > 0 {
                    self.out.write_all(&[self.delimiter])?;
                }
                self.field(Some(c.as_bytes()))?;
            }
            self.out.write_all(b"\n")?;
        }
        Ok(())
    }
    fn row(&mut self, values: &[Option<&[u8]>]) -> io::Result<()> {
        for (i, v) in values.iter().enumerate() {
            if i > 0 {
                self.out.write_all(&[self.delimiter])?;
            }
            self.field(*v)?;
        }
        self.rows += 1;
        self.out.write_all(b"\n")
    }
    fn end_result(&mut self, _: u64) -> io::Result<()> {
        self.out.flush()
    }
    fn command_complete(&mut self, _: u64) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_psql_forms() {
        let c = parse(
            "pets (id, name) from '/tmp/it''s.csv' with (format csv, header)",
            Engine::Postgres,
        )
        .unwrap();
        assert_eq!(
            c.source,
            Source::Table {
                name: "pets".into(),
                columns: Some("(id, name)".into())
            }
        );
        assert_eq!(c.place, Place::File("/tmp/it's.csv".into()));
        assert_eq!(
            postgres_sql(&c),
            "COPY pets (id, name) FROM STDIN with (format csv, header)"
        );
        let c = parse("(select 1 as \"to x\", ')' ) to out.tsv", Engine::Postgres).unwrap();
        assert_eq!(c.source, Source::Query("select 1 as \"to x\", ')'".into()));
        assert_eq!(c.direction, Direction::To);
        assert_eq!(c.place, Place::File("out.tsv".into()));
        assert_eq!(
            parse("public.t to stdout csv header", Engine::Postgres)
                .unwrap()
                .options,
            "csv header"
        );
        assert!(parse("t from stdin", Engine::Postgres).is_err());
        assert!(parse("(select 1) from f", Engine::Postgres).is_err());
        assert!(parse("t into f", Engine::Postgres).is_err());
    }

    #[test]
    fn reads_options() {
        let o = options("with (format csv, header true, delimiter ';', null 'NA')").unwrap();
        assert!(o.csv && o.header);
        assert_eq!(o.delimiter.as_deref(), Some(";"));
        assert_eq!(o.null.as_deref(), Some("NA"));
        assert!(!options("csv header false").unwrap().header);
        assert!(options("with (format binary)").is_err());
        assert!(options("freeze").is_err());
    }

    #[test]
    fn writes_copy_text_and_csv() {
        let text = options("").unwrap();
        let mut w = CopyWriter::new(Vec::new(), &text).unwrap();
        w.row(&[Some(b"a\tb\\c\nd"), None, Some(b"")]).unwrap();
        assert_eq!(w.into_inner(), b"a\\tb\\\\c\\nd\t\\N\t\n");
        let csv = options("csv header").unwrap();
        let mut w = CopyWriter::new(Vec::new(), &csv).unwrap();
        w.begin_result(&["x".into(), "y".into()]).unwrap();
        w.row(&[Some(b"a,\"b\""), None]).unwrap();
        w.row(&[Some(b""), Some(b"plain")]).unwrap();
        assert_eq!(
            String::from_utf8(w.into_inner()).unwrap(),
            "x,y\n\"a,\"\"b\"\"\",\n\"\",plain\n"
        );
    }
}
