//! Statements that may carry a secret, so that no history keeps them
//! (docs/ui.md, "History").

/// True when `stmt` looks like it sets or carries a password or key:
/// `CREATE/ALTER USER|ROLE … PASSWORD`, MySQL `IDENTIFIED BY`, `SET
/// PASSWORD`, user mappings' options, and anything else naming a password,
/// secret or key. Errs on the side of forgetting.
pub fn may_hold_secret(stmt: &str) -> bool {
    let lower = stmt.to_ascii_lowercase();
    [
        "password",
        "passwd",
        "identified",
        "secret",
        "access_key",
        "private_key",
        "credential",
        "pgp_sym_encrypt",
        "aes_encrypt",
    ]
    .iter()
    .any(|w| lower.contains(w))
}

#[cfg(test)]
mod tests {
    use super::may_hold_secret;

    #[test]
    fn password_setting_statements_are_recognised() {
        for s in [
            "ALTER ROLE app PASSWORD 'x'",
            "create user u with encrypted password 'x'",
            "CREATE USER 'u'@'%' IDENTIFIED BY 'x'",
            "SET PASSWORD FOR 'u'@'%' = 'x'",
            "alter user mapping for u server s options (set passwd 'x')",
            "select aes_encrypt('a', 'key')",
        ] {
            assert!(may_hold_secret(s), "{s}");
        }
        for s in ["select 1", "create table t (id int primary key)"] {
            assert!(!may_hold_secret(s), "{s}");
        }
    }
}
