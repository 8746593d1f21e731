//! `rdsql completions` and `rdsql man`: scripts that real shells load and
//! that complete saved connection and AWS profile names; a man page that
//! man(1) renders with every command in it.

use crate::harness::*;
use std::process::Command;

fn bin_dir() -> String {
    std::path::Path::new(env!("CARGO_BIN_EXE_rdsql"))
        .parent()
        .unwrap()
        .display()
        .to_string()
}

/// Completions bash offers for `words`, the last being completed.
fn bash_complete(words: &[&str], env: &[(&str, String)]) -> Vec<String> {
    let script = rdsql_env(&["completions", "bash"], &[], None);
    let script = script.ok().stdout.clone();
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let cur = words.last().unwrap();
    let prev = if words.len() > 1 {
        words[words.len() - 2]
    } else {
        ""
    };
    let body = format!(
        "{script}\nCOMP_WORDS=({}); COMP_CWORD={}; _clap_complete_rdsql rdsql '{cur}' '{prev}'; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        quoted.join(" "),
        words.len() - 1
    );
    let mut cmd = Command::new("bash");
    cmd.arg("-c").arg(body).env(
        "PATH",
        format!(
            "{}:{}",
            bin_dir(),
            std::env::var("PATH").unwrap_or_default()
        ),
    );
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
        .collect()
}

#[test]
fn completions_know_commands_saved_connections_and_profiles() {
    let cfg = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(home.path().join(".aws")).unwrap();
    std::fs::write(
        home.path().join(".aws/config"),
        "[profile dev-admin]\nregion = eu-west-1\n\n[profile prod-ro]\nregion = us-east-1\n",
    )
    .unwrap();
    let env = vec![
        ("RDSQL_CONFIG_DIR", cfg.path().display().to_string()),
        ("HOME", home.path().display().to_string()),
    ];
    let envs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    for (name, url) in [
        ("prod-orders", "postgres://app@db.example.com/orders"),
        ("prod-users", "mysql://app@db2.example.com/users"),
    ] {
        rdsql_env(&["conn", "add", name, url], &envs, None).ok();
    }
    assert_eq!(bash_complete(&["rdsql", "qu"], &env), vec!["query"]);
    assert_eq!(
        bash_complete(&["rdsql", "conn", "show", "prod-"], &env),
        vec!["prod-orders", "prod-users"]
    );
    assert_eq!(
        bash_complete(&["rdsql", "query", "prod-o"], &env),
        vec!["prod-orders"]
    );
    assert_eq!(
        bash_complete(&["rdsql", "query", "--aws-profile", "pro"], &env),
        vec!["prod-ro"]
    );
    assert_eq!(
        bash_complete(&["rdsql", "aws", "databases", "--aws-profile", "d"], &env),
        vec!["dev-admin"]
    );
    assert!(
        bash_complete(&["rdsql", "query", "--ssh-a"], &env)
            .contains(&"--ssh-accept-new".to_string())
    );
    // The other shells get their scripts (calling rdsql back the same way).
    for shell in ["zsh", "fish", "powershell", "elvish"] {
        let o = rdsql_env(&["completions", shell], &[], None);
        assert!(o.ok().stdout.contains("RDSQL_COMPLETE"), "{shell}");
    }
    let o = rdsql_env(&["completions", "tcsh"], &[], None);
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("bash"), "{}", o.stderr);
}

#[test]
fn man_page_has_every_command_and_renders() {
    let o = rdsql_env(&["man"], &[], None);
    let page = o.ok().stdout.clone();
    assert!(
        page.contains(".TH rdsql 1"),
        "{}",
        &page[..200.min(page.len())]
    );
    for sub in [
        "rdsql query",
        "rdsql shell",
        "rdsql token",
        "rdsql sso login",
        "rdsql aws databases",
        "rdsql aws check",
        "rdsql conn add",
        "rdsql ui",
        "rdsql proxy",
        "rdsql completions",
    ] {
        assert!(
            page.contains(&format!(".SS \"{}\"", sub.replace('-', "\\-"))),
            "{sub}"
        );
    }
    assert!(page.contains("\\-\\-ssh\\-accept\\-new"));
    // groff reads it without warnings.
    if std::path::Path::new("/usr/bin/groff").exists() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("rdsql.1");
        std::fs::write(&f, &page).unwrap();
        let g = Command::new("groff")
            .args(["-man", "-Tutf8", "-ww", "-z"])
            .arg(&f)
            .output()
            .unwrap();
        assert!(
            g.status.success() && g.stderr.is_empty(),
            "{}",
            String::from_utf8_lossy(&g.stderr)
        );
    }
}
