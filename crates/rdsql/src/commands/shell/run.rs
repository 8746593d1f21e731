//! Running statements on the session: reconnect first by the shared rule,
//! Ctrl-C cancels, the transaction marker and completion names follow
//! what ran; `\i`, `\conninfo`, `\c`.

use super::*;

/// Runs `fut` (a statement on the connection `canceller` belongs to);
/// Ctrl-C sends a cancel request. Returns the result and whether Ctrl-C
/// was pressed.
pub(super) async fn cancellable<T>(
    sigint: &mut tokio::signal::unix::Signal,
    canceller: Option<CancelHandle>,
    fut: impl std::future::Future<Output = T>,
) -> (T, bool) {
    tokio::pin!(fut);
    let mut interrupted = false;
    loop {
        tokio::select! {
            r = &mut fut => return (r, interrupted),
            _ = sigint.recv() => {
                interrupted = true;
                match &canceller {
                    Some(c) => {
                        eprintln!("Cancel request sent.");
                        if let Err(e) = c.cancel().await {
                            eprintln!("could not cancel: {e}");
                        }
                    }
                    None => eprintln!("This connection cannot cancel a statement."),
                }
            }
        }
    }
}

impl Shell {
    /// Reconnects when the connection is gone; says so. Returns whether the
    /// pending statement may run: not when the lost session had an open
    /// transaction or changed state, which the new session lacks (the user
    /// decides what to run next). docs/sessions.md.
    pub(super) async fn ensure_connected(&mut self) -> bool {
        let r = self.session.ensure_connected().await;
        if !matches!(r, Ok(Ready::Alive) | Err(NotRun::Reconnect(_))) {
            eprintln!("The connection was lost; reconnected to {}.", self.label);
        }
        match r {
            Ok(_) => true,
            Err(NotRun::Reconnect(e)) => {
                eprint!("{}", Failure::from(*e).render());
                false
            }
            Err(lost) => {
                let lines = lost.lines();
                let (last, each) = lines.split_last().expect("a reason and the outcome");
                for l in each {
                    eprintln!("  {l}");
                }
                eprintln!("{last}");
                false
            }
        }
    }

    /// Runs SQL with Ctrl-C cancelling it; prints results and errors.
    pub(super) async fn execute(&mut self, sql: &str) {
        self.execute_to(sql, Output::Default).await;
    }

    /// As [`Self::execute`], with the output sent as `to` says; false when
    /// a statement failed or was cancelled.
    pub(super) async fn execute_to(&mut self, sql: &str, to: Output) -> bool {
        // Statement by statement, so the transaction and session state
        // follow exactly what ran (a failure stops the batch there).
        let stmts = self.session.statements(sql);
        self.run_statements_to(&stmts, to).await
    }

    /// `\i FILE`: statement by statement as the file is read (flat memory
    /// on any size); the first failure or lost connection stops it.
    pub(super) async fn include(&mut self, path: &str) {
        let file = match std::fs::File::open(path) {
            Ok(f) => f,
            Err(err) => return eprintln!("error: cannot read {path}: {err}"),
        };
        let mut reader = rdsql_db::split::StatementReader::new(
            std::io::BufReader::with_capacity(256 * 1024, file),
            self.engine,
        );
        loop {
            match reader.next_statement() {
                Ok(Some(stmt)) => {
                    let stmt = self.vars.interpolate(&stmt, self.engine);
                    if !self.run_statements(&[&stmt]).await {
                        eprintln!("\\i {path}: stopped; the rest of the file was not run.");
                        return;
                    }
                }
                Ok(None) => return,
                Err(e) => {
                    return eprintln!(
                        "error: cannot read {path}: {e}; the rest of the file was not run."
                    );
                }
            }
        }
    }

    /// Runs statements in order; false when one failed, the connection was
    /// lost, or the session could not be (safely) restored.
    pub(super) async fn run_statements(&mut self, stmts: &[&str]) -> bool {
        self.run_statements_to(stmts, Output::Default).await
    }

    pub(super) async fn run_statements_to(&mut self, stmts: &[&str], to: Output) -> bool {
        self.interrupted = false;
        if !self.ensure_connected().await {
            return false;
        }
        let (out, expanded, pending) = match to.open(self) {
            Ok(o) => o,
            Err(e) => {
                eprintln!("error: {e}");
                return false;
            }
        };
        let mut sink = self.sink(out, expanded);
        let started = Instant::now();
        let mut all_ok = true;
        let needs_types = self.format.needs_types();
        for &stmt in stmts {
            self.session.set_describe(needs_types);
            let canceller = self.session.cancel_handle();
            let (result, interrupted) = cancellable(
                &mut self.sigint,
                canceller,
                self.session.run_statement(stmt, sink.as_mut()),
            )
            .await;
            self.interrupted |= interrupted;
            self.label = label(self.session.spec());
            match result {
                Ok(()) => self.note_ddl(stmt),
                Err(QueryError::ConnectionLost(m)) => {
                    eprintln!("error: the connection to the server was lost: {m}");
                    eprintln!(
                        "The statement may or may not have run; it was not replayed. The next statement reconnects."
                    );
                    all_ok = false;
                    break;
                }
                Err(e) => {
                    eprint!("{}", Failure::query(e).render());
                    all_ok = false;
                    break;
                }
            }
        }
        drop(sink);
        let elapsed = started.elapsed();
        if let Some(p) = pending
            && let Err(e) = p.finish(all_ok)
        {
            eprintln!("error: {e}");
            all_ok = false;
        }
        if self.timing {
            eprintln!("Time: {:.3} ms", elapsed.as_secs_f64() * 1000.0);
        }
        all_ok && !self.interrupted
    }

    /// DDL changes the names completion offers.
    pub(super) fn note_ddl(&self, sql: &str) {
        let ddl = rdsql_db::split::split_statements(sql, self.engine)
            .iter()
            .any(|st| {
                matches!(
                    leading_words(st, self.engine, 1)
                        .first()
                        .map(String::as_str),
                    Some("create" | "alter" | "drop" | "rename" | "use")
                )
            });
        if ddl && let Ok(mut n) = self.names.lock() {
            n.stale = true;
        }
    }

    pub(super) async fn capture(&mut self, sql: &str) -> Option<Vec<Vec<Option<String>>>> {
        let conn = self.session.connection()?;
        let mut cap = Rows::default();
        conn.run(sql, &mut cap).await.ok()?;
        Some(cap.rows)
    }

    pub(super) async fn conninfo(&mut self) {
        if !self.ensure_connected().await {
            return;
        }
        let db = self.capture(catalog::current_db(self.engine)).await;
        let db = db
            .and_then(|r| r.into_iter().next())
            .and_then(|r| r.into_iter().next().flatten())
            .unwrap_or_default();
        let tls = match catalog::tls_info(self.engine) {
            Some(q) => self
                .capture(&q)
                .await
                .and_then(|r| r.into_iter().next())
                .map(|r| {
                    let v: Vec<String> =
                        r.into_iter().flatten().filter(|s| !s.is_empty()).collect();
                    if v.is_empty() {
                        "none (unencrypted)".to_string()
                    } else {
                        v.join(" ")
                    }
                }),
            None => None,
        };
        let info = self.session.info();
        match self.session.spec() {
            ConnectionSpec::Server(s) => {
                println!(
                    "Connected to {} database {db:?} as user {:?} on {} (sslmode {}).",
                    s.engine,
                    s.user,
                    s.host_port(),
                    s.sslmode
                );
                println!(
                    "  auth:    {} ({})",
                    s.auth,
                    self.session.provider().describe()
                );
                println!("  TLS:     {}", tls.unwrap_or_else(|| "unknown".into()));
            }
            ConnectionSpec::Sqlite { path } => println!("Connected to SQLite database {path:?}."),
        }
        if let Some(v) = info.server_version {
            println!("  server:  {v}");
        }
        if let Some(at) = self.session.provider().token_issued_at() {
            let age = SystemTime::now()
                .duration_since(at)
                .unwrap_or_default()
                .as_secs();
            println!(
                "  IAM token age: {age} s (valid for 900 s from signing; a new connection gets a new token)"
            );
        }
    }

    pub(super) async fn switch_db(&mut self, db: Option<&str>) {
        let Some(db) = db else {
            return eprintln!("error: \\c needs a database name");
        };
        if self.engine == Engine::Sqlite {
            return eprintln!(
                "error: SQLite has one database per file; start rdsql shell sqlite:OTHER.db"
            );
        }
        match self.session.switch_database(db).await {
            Ok(()) => {
                self.label = label(self.session.spec());
                self.set_conn_vars();
                if let Ok(mut n) = self.names.lock() {
                    n.stale = true;
                }
                if let ConnectionSpec::Server(s) = self.session.spec() {
                    println!(
                        "You are now connected to database {db:?} as user {:?}.",
                        s.user
                    );
                }
            }
            Err(e) => eprint!("{}", Failure::from(e).render()),
        }
    }

    /// psql's DBNAME, USER, HOST and PORT variables.
    pub(super) fn set_conn_vars(&mut self) {
        if let ConnectionSpec::Server(s) = self.session.spec() {
            self.vars.set("DBNAME", s.dbname.as_deref().unwrap_or(""));
            self.vars.set("USER", &s.user);
            self.vars.set("HOST", &s.host);
            self.vars.set("PORT", &s.port.to_string());
        } else if let ConnectionSpec::Sqlite { path } = self.session.spec() {
            self.vars.set("DBNAME", path);
        }
    }
}
