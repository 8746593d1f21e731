//! The transaction state a client can follow from the statements it runs
//! (the drivers do not expose the server's own status): shared by the shell
//! and the web UI (docs/sessions.md).

use crate::kinds::Engine;

/// Where a session's transaction stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Txn {
    #[default]
    Idle,
    /// `BEGIN` ran; `COMMIT`/`ROLLBACK` has not.
    Open,
    /// A statement failed inside the transaction (PostgreSQL refuses all
    /// but `ROLLBACK` then).
    Failed,
}

/// The first `n` words of a statement, lower-cased, after any leading
/// comments (`/* … */`, `-- …`, MySQL `# …`).
pub fn leading_words(stmt: &str, engine: Engine, n: usize) -> Vec<String> {
    let mut rest = stmt.trim_start();
    loop {
        if let Some(r) = rest.strip_prefix("/*") {
            rest = r
                .split_once("*/")
                .map(|(_, t)| t)
                .unwrap_or("")
                .trim_start();
        } else if rest.starts_with("--") || (engine.is_mysql_family() && rest.starts_with('#')) {
            rest = rest
                .split_once('\n')
                .map(|(_, t)| t)
                .unwrap_or("")
                .trim_start();
        } else {
            break;
        }
    }
    rest.split(|c: char| c.is_whitespace() || c == ';' || c == '(')
        .filter(|w| !w.is_empty())
        .take(n)
        .map(|w| w.to_ascii_lowercase())
        .collect()
}

impl Txn {
    /// The state after `stmt` ran (`ok`) or failed.
    pub fn after(self, stmt: &str, engine: Engine, ok: bool) -> Txn {
        let words = leading_words(stmt, engine, 3);
        let w = |i: usize| words.get(i).map(String::as_str).unwrap_or("");
        let next = match w(0) {
            "begin" | "start" if ok && w(1) != "atomic" => Txn::Open,
            // ROLLBACK [WORK|TRANSACTION] TO SAVEPOINT keeps it open.
            "rollback" if w(1) == "to" || w(2) == "to" => self,
            "commit" | "rollback" | "end" | "abort" => Txn::Idle,
            _ => self,
        };
        if !ok && next == Txn::Open && engine == Engine::Postgres {
            Txn::Failed
        } else {
            next
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_statements() {
        let pg = Engine::Postgres;
        let t = Txn::Idle.after("/* x */ BEGIN", pg, true);
        assert_eq!(t, Txn::Open);
        assert_eq!(
            t.after("insert into nope values (1)", pg, false),
            Txn::Failed
        );
        assert_eq!(
            Txn::Failed.after("rollback to savepoint s", pg, true),
            Txn::Failed
        );
        assert_eq!(Txn::Failed.after("rollback", pg, true), Txn::Idle);
        assert_eq!(Txn::Open.after("commit", pg, true), Txn::Idle);
        assert_eq!(
            Txn::Idle.after("-- c\nstart transaction", Engine::Mysql, true),
            Txn::Open
        );
        assert_eq!(
            Txn::Open.after("select 1/0", Engine::Mysql, false),
            Txn::Open
        );
    }
}
