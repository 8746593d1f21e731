//! `\copy` on the session: PostgreSQL's COPY protocol both ways,
//! MySQL/MariaDB `LOAD DATA LOCAL` of the named file only, and rows out
//! in COPY's formats elsewhere (parsing in `copy.rs`).

use super::*;

impl Shell {
    /// `\copy`: see the `copy` module.
    pub(super) async fn copy(&mut self, arg: Option<&str>) {
        let c = match copy::parse(arg.unwrap_or(""), self.engine) {
            Ok(c) => c,
            Err(e) => return eprintln!("error: {e}"),
        };
        if !self.ensure_connected().await {
            return;
        }
        let started = Instant::now();
        let result = match (self.engine, &c.direction) {
            (Engine::Postgres, copy::Direction::From) => self.copy_pg_in(&c).await,
            (Engine::Postgres, copy::Direction::To) => self.copy_pg_out(&c).await,
            (Engine::Sqlite, copy::Direction::From) => Err(
                "\\copy … from is for PostgreSQL and MySQL/MariaDB; for SQLite use the sqlite3 tool's .import, or INSERT statements"
                    .to_string(),
            ),
            (_, copy::Direction::From) => self.copy_mysql_in(&c).await,
            (_, copy::Direction::To) => self.copy_rows_out(&c).await,
        };
        match result {
            Ok(n) => println!("COPY {n}"),
            Err(e) if e.is_empty() => {}
            Err(e) => eprintln!("error: {e}"),
        }
        if self.timing {
            eprintln!("Time: {:.3} ms", started.elapsed().as_secs_f64() * 1000.0);
        }
    }

    /// Renders a query failure (already printed) as an empty error.
    pub(super) fn copy_failed(&mut self, sql: &str, e: QueryError) -> String {
        match e {
            QueryError::ConnectionLost(m) => {
                self.session.connection_lost();
                format!("the connection to the server was lost: {m}")
            }
            QueryError::Output(io) => format!("{io}"),
            e => {
                self.session.track(sql, false);
                // 1148 not allowed, 3948 local files disabled (MySQL),
                // 4166 (MariaDB): the server refuses LOAD DATA LOCAL.
                let refused = matches!(&e, QueryError::Server { code, .. }
                    if ["1148 ", "3948 ", "4166 "].iter().any(|c| code.starts_with(c)));
                let mut f = Failure::query(e);
                if refused {
                    f.causes.push(
                        "the server does not allow LOAD DATA LOCAL: an administrator enables it with SET GLOBAL local_infile = 1 (on RDS: the local_infile parameter of the DB parameter group)".into(),
                    );
                }
                eprint!("{}", f.render());
                String::new()
            }
        }
    }

    pub(super) async fn copy_pg_in(&mut self, c: &copy::Copy) -> Result<u64, String> {
        let copy::Place::File(path) = &c.place else {
            return Err("\\copy from needs a file".into());
        };
        let mut file = std::fs::File::open(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let sql = copy::postgres_sql(c);
        let canceller = self.session.cancel_handle();
        let conn = self.session.connection().expect("connected");
        let (r, _) = cancellable(&mut self.sigint, canceller, conn.copy_in(&sql, &mut file)).await;
        match r {
            Ok(n) => {
                self.session.track(&sql, true);
                Ok(n)
            }
            Err(QueryError::Output(e)) => {
                self.session.track(&sql, false);
                Err(format!(
                    "cannot read {}: {e}; nothing was loaded",
                    path.display()
                ))
            }
            Err(e) => Err(self.copy_failed(&sql, e)),
        }
    }

    pub(super) async fn copy_pg_out(&mut self, c: &copy::Copy) -> Result<u64, String> {
        let sql = copy::postgres_sql(c);
        // Each row is one CopyData message; a header line is one more.
        let header = copy::options(&c.options)
            .map(|o| o.header)
            .unwrap_or_else(|_| {
                c.options
                    .to_ascii_lowercase()
                    .split(|ch: char| !ch.is_ascii_alphanumeric() && ch != '_')
                    .any(|w| w == "header")
            });
        let (mut out, pending) = copy_target(&c.place)?;
        let canceller = self.session.cancel_handle();
        let conn = self.session.connection().expect("connected");
        let (r, _) = cancellable(&mut self.sigint, canceller, conn.copy_out(&sql, &mut out)).await;
        drop(out);
        match r {
            Ok(n) => {
                self.session.track(&sql, true);
                if let Some(p) = pending {
                    p.finish(true)?;
                }
                Ok(n.saturating_sub(u64::from(header)))
            }
            Err(e) => Err(self.copy_failed(&sql, e)),
        }
    }

    pub(super) async fn copy_mysql_in(&mut self, c: &copy::Copy) -> Result<u64, String> {
        let o = copy::options(&c.options)?;
        let sql = copy::mysql_load_sql(c, &o)?;
        let copy::Place::File(path) = &c.place else {
            return Err("\\copy from needs a file".into());
        };
        if let Err(e) = std::fs::metadata(path) {
            return Err(format!("cannot read {}: {e}", path.display()));
        }
        // In a transaction of its own unless the user has one open, so a
        // failure part-way (a read error ends the transfer early, and the
        // server would keep what arrived) loads nothing.
        let own_txn = self.session.txn() == Txn::Idle;
        let canceller = self.session.cancel_handle();
        let conn = self.session.connection().expect("connected");
        if own_txn && let Err(e) = conn.run("START TRANSACTION", &mut Rows::default()).await {
            return Err(self.copy_failed("START TRANSACTION", e));
        }
        let (r, _) = cancellable(
            &mut self.sigint,
            canceller,
            conn.load_data_local(&sql, path.clone()),
        )
        .await;
        let end = if r.is_ok() { "COMMIT" } else { "ROLLBACK" };
        if own_txn
            && let Some(conn) = self.session.connection()
            && let Err(e) = conn.run(end, &mut Rows::default()).await
        {
            return Err(self.copy_failed(end, e));
        }
        match r {
            Ok(n) => {
                self.session.track(&sql, true);
                Ok(n)
            }
            Err(QueryError::Output(e)) => Err(format!(
                "cannot read {}: {e}; nothing was loaded",
                path.display()
            )),
            Err(e) => Err(self.copy_failed(&sql, e)),
        }
    }

    /// `\copy … to` on MySQL/MariaDB and SQLite: the rows of a SELECT in
    /// COPY's text or CSV format.
    pub(super) async fn copy_rows_out(&mut self, c: &copy::Copy) -> Result<u64, String> {
        let o = copy::options(&c.options)?;
        let sql = copy::select_sql(c);
        let (out, pending) = copy_target(&c.place)?;
        let mut w = copy::CopyWriter::new(out, &o)?;
        let canceller = self.session.cancel_handle();
        let conn = self.session.connection().expect("connected");
        let (r, _) = cancellable(
            &mut self.sigint,
            canceller,
            conn.run_statement(&sql, &mut w),
        )
        .await;
        let rows = w.rows;
        let mut out = w.into_inner();
        let flushed = out.flush();
        drop(out);
        match r {
            Ok(()) => {
                flushed.map_err(|e| format!("could not write output: {e}"))?;
                if let Some(p) = pending {
                    p.finish(true)?;
                }
                Ok(rows)
            }
            Err(e) => Err(self.copy_failed(&sql, e)),
        }
    }
}
