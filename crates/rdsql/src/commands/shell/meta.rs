//! Backslash commands: the dispatcher and `\g`, `\watch`, `\e`, `\d`.

use super::*;

/// The local time as C's `%c` prints it (psql's `\watch` title).
pub(super) fn now_c() -> String {
    // SAFETY: time/localtime_r/strftime write only into values we own.
    unsafe {
        let t = libc::time(std::ptr::null_mut());
        let mut tm: libc::tm = std::mem::zeroed();
        libc::localtime_r(&t, &mut tm);
        let mut buf = [0u8; 128];
        let n = libc::strftime(
            buf.as_mut_ptr() as *mut libc::c_char,
            buf.len(),
            c"%c".as_ptr(),
            &tm,
        );
        String::from_utf8_lossy(&buf[..n]).into_owned()
    }
}

/// Byte offset in `line` of a backslash that starts a meta-command: one
/// outside quotes and comments, given the statement text already in the
/// buffer (psql's rule: `select 1 \g out.txt`).
pub(super) fn meta_start(buf: &str, line: &str, engine: Engine) -> Option<usize> {
    let combined = if buf.is_empty() {
        line.to_string()
    } else {
        format!("{buf}\n{line}")
    };
    let off = combined.len() - line.len();
    let mask = rdsql_db::split::code_mask(&combined, engine);
    line.bytes()
        .enumerate()
        .find(|&(i, c)| c == b'\\' && mask[off + i])
        .map(|(i, _)| i)
}

pub(super) fn on_off(v: Option<&str>, current: bool) -> Result<bool, String> {
    match v.map(str::to_ascii_lowercase).as_deref() {
        None => Ok(!current),
        Some("on" | "true" | "1") => Ok(true),
        Some("off" | "false" | "0") => Ok(false),
        Some(other) => Err(format!("expected on or off, not {other:?}")),
    }
}

impl Shell {
    /// Handles a backslash command; returns false to quit. `buf` is the
    /// statement text typed so far (`\g`, `\watch`, `\e`, `\p`, `\r`
    /// work on it).
    pub(super) async fn meta(&mut self, line: &str, buf: &mut String) -> bool {
        let line = line.trim();
        // \copy, \echo and \set read their arguments whole; a command
        // name ends at the first space or at the next backslash.
        let name_end = line[1..]
            .find(|c: char| c.is_whitespace() || c == '\\')
            .map(|i| i + 1)
            .unwrap_or(line.len());
        let cmd = &line[..name_end];
        let raw_arg = line[name_end..].trim();
        let interpolated = self.vars.interpolate(raw_arg, Engine::Postgres);
        let arg = Some(interpolated.as_str()).filter(|a| !a.is_empty());
        let args = || vars::meta_args(raw_arg, &self.vars, Engine::Postgres);
        let e = self.engine;
        match cmd {
            "\\q" | "\\quit" => return false,
            "\\?" | "\\help" => println!("{HELP}"),
            "\\l" | "\\list" => self.execute(&catalog::databases(e)).await,
            "\\dn" => self.execute(&catalog::schemas(e)).await,
            "\\dt" => self.execute(&catalog::tables(e, arg)).await,
            "\\d" => match arg {
                None => self.execute(&catalog::tables(e, None)).await,
                Some(name) => self.describe(name).await,
            },
            "\\c" | "\\connect" => self.switch_db(arg).await,
            "\\x" => match arg {
                Some("auto") => {
                    self.expanded = Expanded::Auto;
                    println!("Expanded display is auto.");
                }
                _ => match on_off(arg, self.expanded == Expanded::On) {
                    Ok(on) => {
                        self.expanded = if on { Expanded::On } else { Expanded::Off };
                        println!("Expanded display is {}.", self.expanded_name());
                    }
                    Err(_) => eprintln!("error: \\x takes on, off or auto"),
                },
            },
            "\\timing" => match on_off(arg, self.timing) {
                Ok(on) => {
                    self.timing = on;
                    println!("Timing is {}.", if on { "on" } else { "off" });
                }
                Err(e) => eprintln!("error: \\timing: {e}"),
            },
            "\\format" => match arg.map(|a| <Format as clap::ValueEnum>::from_str(a, true)) {
                Some(Ok(f)) => {
                    self.format = f;
                    println!("Output format is {}.", arg.unwrap_or_default());
                }
                _ => eprintln!(
                    "error: \\format takes table, csv, tsv, json, ndjson, markdown or html"
                ),
            },
            "\\pset" => {
                if let Err(err) = self.pset(&args()) {
                    eprintln!("error: {err}");
                }
            }
            "\\a" => {
                self.table.unaligned = !self.table.unaligned;
                self.say_format();
            }
            "\\t" => match on_off(arg, self.table.tuples_only) {
                Ok(on) => {
                    self.table.tuples_only = on;
                    self.say_tuples();
                }
                Err(err) => eprintln!("error: \\t: {err}"),
            },
            "\\o" | "\\out" => match arg {
                Some(f) => match std::fs::File::create(f) {
                    Ok(_) => self.out_file = Some(PathBuf::from(f)),
                    Err(err) => eprintln!("error: cannot write {f}: {err}"),
                },
                None => self.out_file = None,
            },
            "\\i" | "\\include" => match arg {
                Some(f) => self.include(f).await,
                None => eprintln!("error: \\i needs a file name"),
            },
            "\\g" => self.go(buf, arg, None).await,
            // \G is the mysql client's "run, one field per line".
            "\\gx" | "\\G" => self.go(buf, arg, Some(true)).await,
            "\\watch" => self.watch(buf, arg).await,
            "\\e" | "\\edit" => self.edit(buf, arg).await,
            "\\p" | "\\print" => {
                if buf.trim().is_empty() {
                    if self.last_query.is_empty() {
                        println!("Query buffer is empty.");
                    } else {
                        println!("{}", self.last_query);
                    }
                } else {
                    println!("{buf}");
                }
            }
            "\\r" | "\\reset" => {
                buf.clear();
                println!("Query buffer reset (cleared).");
            }
            "\\copy" => self.copy(arg).await,
            "\\set" => {
                let a = args();
                if a.is_empty() {
                    print!("{}", self.vars.listing());
                } else if let Err(err) = self.vars.set_command(&a) {
                    eprintln!("error: \\set: {err}");
                }
            }
            "\\unset" => match args().first() {
                Some(n) => {
                    self.vars.unset(n);
                }
                None => eprintln!("error: \\unset needs a variable name"),
            },
            "\\echo" => println!("{}", args().join(" ")),
            "\\conninfo" => self.conninfo().await,
            other => eprintln!("error: invalid command {other}; try \\? for the list of commands"),
        }
        true
    }

    /// The statement text `\g`, `\watch`, `\e` and `\p` work on: the
    /// buffer (taken, with variables replaced), else the last statement.
    pub(super) fn take_query(&mut self, buf: &mut String) -> Option<String> {
        if !buf.trim().is_empty() {
            let raw = std::mem::take(buf);
            let sql = self.vars.interpolate(raw.trim(), self.engine);
            self.last_query = sql.clone();
            return Some(sql);
        }
        buf.clear();
        (!self.last_query.trim().is_empty()).then(|| self.last_query.clone())
    }

    /// `\g` / `\gx [FILE | |COMMAND]`.
    pub(super) async fn go(&mut self, buf: &mut String, arg: Option<&str>, expanded: Option<bool>) {
        let Some(sql) = self.take_query(buf) else {
            return eprintln!("error: the query buffer is empty and no statement ran yet");
        };
        let dest = match arg {
            None => None,
            Some(a) if a.starts_with('|') => Some(Dest::Pipe(a[1..].trim().to_string())),
            Some(a) => Some(Dest::File(PathBuf::from(a))),
        };
        self.execute_to(&sql, Output::Once { dest, expanded }).await;
    }

    /// `\watch [SECONDS]`: runs the statement every SECONDS (2 by default)
    /// until Ctrl-C or an error, each time under a title with the time.
    pub(super) async fn watch(&mut self, buf: &mut String, arg: Option<&str>) {
        let secs = match arg.map(|a| a.trim_start_matches("i=").parse::<f64>()) {
            None => 2.0,
            Some(Ok(s)) if s.is_finite() && s > 0.0 => s,
            Some(_) => {
                return eprintln!(
                    "error: \\watch takes a number of seconds greater than 0, such as 2 or 0.5"
                );
            }
        };
        let Some(sql) = self.take_query(buf) else {
            return eprintln!("error: \\watch needs a statement: type one, then \\watch");
        };
        loop {
            println!("{} (every {secs}s)\n", now_c());
            if !self.execute_to(&sql, Output::Screen).await {
                break;
            }
            println!();
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs_f64(secs)) => {}
                _ = self.sigint.recv() => break,
            }
        }
    }

    /// `\e [FILE]`: the buffer (or the last statement, or FILE) in the
    /// user's editor; a complete statement runs at once, as in psql,
    /// otherwise it becomes the buffer.
    pub(super) async fn edit(&mut self, buf: &mut String, arg: Option<&str>) {
        let result = match arg {
            Some(file) => edit::edit_file(std::path::Path::new(file)),
            None => {
                let initial = if buf.trim().is_empty() {
                    self.last_query.clone()
                } else {
                    buf.clone()
                };
                edit::edit_text(&initial)
            }
        };
        let text = match result {
            Ok(t) => t,
            Err(e) => return eprintln!("error: {e}"),
        };
        let text = text.trim_end().to_string();
        if rdsql_db::split::is_complete(&text, self.engine) {
            buf.clear();
            self.edited = Some(text.clone());
            println!("{text}");
            let sql = self.vars.interpolate(&text, self.engine);
            self.last_query = sql.clone();
            self.execute(&sql).await;
        } else {
            *buf = text;
            if !buf.is_empty() {
                println!("{buf}");
            }
        }
    }

    pub(super) async fn describe(&mut self, name: &str) {
        if !self.ensure_connected().await {
            return;
        }
        for (i, (title, sql)) in catalog::describe(self.engine, name).into_iter().enumerate() {
            let conn = self.session.connection().expect("connected");
            let mut cap = Rows::default();
            if let Err(e) = conn.run(&sql, &mut cap).await {
                eprint!("{}", Failure::query(e).render());
                return;
            }
            // Columns come first: none means no such table.
            if i == 0 && cap.rows.is_empty() {
                eprintln!("Did not find any relation named {name:?}.");
                return;
            }
            let out = match self.writer() {
                Ok(o) => o,
                Err(e) => return eprintln!("error: {e}"),
            };
            if i == 0 {
                println!("{title} of {name}:");
            } else {
                println!("{title}:");
            }
            let mut sink = self.sink(out, None);
            if let Err(e) = cap.replay(sink.as_mut()) {
                eprintln!("error: could not write output: {e}");
                return;
            }
        }
    }
}

/// `\?`.
const HELP: &str = "\
General
  \\q                     quit (or Ctrl-D)
  \\?                     this help
  \\conninfo              connection, TLS, server and IAM token details
Catalog (every engine)
  \\l                     list databases
  \\dn                    list schemas
  \\dt [PATTERN]          list tables (* and ? wildcards)
  \\d NAME                columns, indexes and constraints of a table
  \\c DB                  connect to another database
Query buffer
  \\g [FILE|'|CMD']       run the buffer (or the last statement); output to FILE or a command
  \\gx [FILE]             as \\g, in expanded display
  \\watch [SECONDS]       run the buffer (or the last statement) every 2 s until Ctrl-C
  \\e [FILE]              edit the buffer (or the last statement, or FILE) in $VISUAL/$EDITOR
  \\p                     show the buffer;  \\r  clear it
Output
  \\x [on|off|auto]       expanded rows
  \\format table|csv|tsv|json|ndjson|markdown|html
  \\pset null|tuples_only|format|fieldsep|recordsep|expanded [VALUE]
  \\a                     aligned/unaligned;  \\t  rows only on/off
  \\timing [on|off]       show how long each statement took
  \\o [FILE]              send results to FILE (no FILE: back to the screen)
Input and files
  \\i FILE                run the statements in FILE
  \\copy T [(COLS)] from|to FILE [with (format csv, header, …)]   (also (QUERY) to FILE)
  Tab                    complete keywords, table/column names, commands, file names
Variables
  \\set [NAME [VALUE]]    set (or list) variables; :NAME, :'NAME', :\"NAME\" in statements
  \\unset NAME            remove a variable;  \\echo TEXT  print TEXT
Statements end with ';'. Ctrl-C cancels a running statement, or clears the line.";
