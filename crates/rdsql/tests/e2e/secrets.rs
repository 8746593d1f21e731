//! No command shows a password from a URL, whatever the URL holds: every
//! output of query, shell, token, conn add|show|list|test, with and
//! without --verbose, is searched for the password and each 4-character
//! piece of it.

use crate::harness::*;
use proptest::prelude::*;
use rdsql_testkit::leaks::{encode, shown_piece, url_text};

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn no_command_shows_a_url_password(
        user in url_text(1, 16),
        password in url_text(6, 16),
        encoded in any::<bool>(),
        scheme in prop_oneof![Just("postgres"), Just("mysql")],
    ) {
        // A closed port: every command fails after parsing, or at connect.
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let (u, p) = if encoded { (encode(&user), encode(&password)) } else { (user.clone(), password.clone()) };
        let url = format!("{scheme}://{u}:{p}@127.0.0.1:{port}/db");
        let cfg = tempfile::tempdir().unwrap();
        let env = [
            ("RDSQL_CONFIG_DIR", cfg.path().to_str().unwrap()),
            ("RDSQL_SECRET_STORE", "file"),
            ("RDSQL_DATA_DIR", cfg.path().to_str().unwrap()),
        ];
        let runs: Vec<Vec<&str>> = vec![
            vec!["query", &url, "-c", "select 1"],
            vec!["--verbose", "query", &url, "-c", "select 1"],
            vec!["shell", &url],
            vec!["--verbose", "shell", &url],
            vec!["token", &url],
            vec!["--verbose", "token", &url, "--auth", "iam-keys", "--aws-access-key-id", "AKIAEXAMPLE"],
            vec!["conn", "add", "c1", &url],
            vec!["conn", "show", "c1"],
            vec!["conn", "show", "c1", "--json"],
            vec!["conn", "list"],
            vec!["conn", "list", "--json"],
            vec!["conn", "test", "c1"],
            vec!["--verbose", "query", "c1", "-c", "select 1"],
        ];
        for args in runs {
            let o = rdsql_env(&args, &env, Some(""));
            let all = format!("{}\n{}", o.stdout, o.stderr);
            for secret in [&password, &p] {
                let found = shown_piece(&all, secret, &format!("{user} {}", encode(&user)));
                prop_assert!(found.is_none(), "{args:?} shows {found:?} of {secret:?}:\n{all}");
            }
        }
    }
}
