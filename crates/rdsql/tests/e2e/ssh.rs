//! The built-in SSH tunnel against a real OpenSSH server: host keys
//! (unknown refused, accept-new, changed refused), password and IAM logins
//! through it with verify-full by the RDS endpoint's own name, MariaDB, and
//! `rdsql proxy` tunnelling.

use crate::harness::*;
use crate::iam::{run, static_env};
use rdsql_testkit::iam::*;
use rdsql_testkit::sshd::Sshd;
use rdsql_testkit::{PASSWORD, mariadb, postgres};

fn home() -> tempfile::TempDir {
    let h = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(h.path().join(".ssh")).unwrap();
    h
}

fn ssh_params(s: &Sshd) -> String {
    format!("&ssh={}&ssh_key={}", s.target(), s.user_key.display())
}

#[test]
fn tunnel_checks_host_keys_and_carries_password_iam_and_tls() {
    if !skip_unless(
        rdsql_testkit::sshd::available(),
        "the SSH tunnel test needs /usr/sbin/sshd (apt-get install openssh-server) and root (sshd and its mount namespace)",
    ) || !iam_ready()
    {
        return;
    }
    let s = Sshd::start();
    let h = home();
    let env = vec![("HOME", h.path().display().to_string())];
    let ca = ca();
    let pg = postgres();
    // The RDS endpoint's name, which only the bastion can resolve: the
    // certificate is verified for it and nothing needs --iam-host.
    let url = format!(
        "postgres://rdsql_scram:{PASSWORD}@{TUNNEL_HOST}:{}/rdsql?sslmode=verify-full&sslrootcert={ca}{}",
        pg.port,
        ssh_params(&s)
    );
    let sql = ["--format", "csv", "-c", "select current_user"];
    let q = |extra: &[&str], env: &[(&'static str, String)]| {
        let mut args = vec!["query", url.as_str()];
        args.extend(extra);
        args.extend(sql);
        run(&args, env)
    };

    // Unknown host key: refused, with its fingerprint; nothing recorded.
    let o = q(&[], &env);
    assert_eq!(o.code, 2, "{}\n{}", o.stderr, s.log());
    assert!(o.stderr.contains("is not known"), "{}", o.stderr);
    assert!(o.stderr.contains(&s.host_fingerprint), "{}", o.stderr);
    let kh = h.path().join(".ssh/known_hosts");
    assert!(!kh.exists());

    // --ssh-accept-new: recorded, and connected through the tunnel.
    let o = q(&["--ssh-accept-new"], &env);
    assert_eq!(o.ok().stdout, "current_user\nrdsql_scram\n");
    assert!(o.stderr.contains("permanently added"), "{}", o.stderr);
    let known = std::fs::read_to_string(&kh).unwrap();
    let key_b64 = s.host_key_pub.split_whitespace().nth(1).unwrap();
    assert!(
        known.contains(&format!("[127.0.0.1]:{}", s.port)) && known.contains(key_b64),
        "{known}"
    );
    // Known now: no flag needed, no warning.
    let o = q(&[], &env);
    assert_eq!(o.ok().stdout, "current_user\nrdsql_scram\n");
    assert!(!o.stderr.contains("permanently added"), "{}", o.stderr);

    // IAM through the tunnel: the token is signed for the endpoint's name
    // (the PAM verifier accepts only that) and TLS is verify-full.
    let iam = format!(
        "postgres://{IAM_USER}@{TUNNEL_HOST}:{}/rdsql?auth=iam-keys&sslrootcert={ca}{}",
        pg.port,
        ssh_params(&s)
    );
    let mut iam_env = static_env();
    iam_env.extend(env.clone());
    let o = run(
        &[
            "query",
            &iam,
            "--format",
            "csv",
            "-c",
            "select current_user",
        ],
        &iam_env,
    );
    assert_eq!(o.ok().stdout, format!("current_user\n{IAM_USER}\n"));

    // MariaDB through the same bastion.
    let my = format!(
        "mariadb://rdsql_native:{PASSWORD}@{TUNNEL_HOST}:{}/rdsql?sslmode=verify-full&sslrootcert={ca}{}",
        mariadb().port,
        ssh_params(&s)
    );
    let o = run(
        &["query", &my, "--format", "csv", "-c", "select 40 + 2 as n"],
        &env,
    );
    assert_eq!(o.ok().stdout, "n\n42\n");

    // rdsql proxy tunnels too: psql reaches the database through it.
    let mut penv = env.clone();
    penv.push(("PGPASSWORD", String::new()));
    let proxy = crate::proxy::Proxy::start(std::slice::from_ref(&url), &[], &env);
    let out = crate::proxy::psql(proxy.ports[0], "rdsql", "select current_user");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "rdsql_scram",
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    drop(proxy);

    // A key the bastion does not accept.
    let other = h.path().join("other_key");
    let kg = std::process::Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(&other)
        .output()
        .unwrap();
    assert!(kg.status.success());
    let o = q(&["--ssh-key", other.to_str().unwrap()], &env);
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("refused the key"), "{}", o.stderr);

    // A changed host key: refused even with --ssh-accept-new.
    let other_pub = std::fs::read_to_string(h.path().join("other_key.pub")).unwrap();
    let fake_line = format!(
        "[127.0.0.1]:{} {}\n",
        s.port,
        other_pub
            .split_whitespace()
            .take(2)
            .collect::<Vec<_>>()
            .join(" ")
    );
    std::fs::write(&kh, fake_line).unwrap();
    let o = q(&["--ssh-accept-new"], &env);
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("has CHANGED"), "{}", o.stderr);
    assert!(o.stderr.contains(&s.host_fingerprint), "{}", o.stderr);
}

/// The dialog takes the same resolve path as the CLI: with Advanced → SSH
/// Tunnel filled, Test and Connect go through the bastion (sshd logs the
/// forward to the RDS endpoint's name, which only the bastion resolves).
#[test]
fn dialog_connects_through_the_bastion() {
    if !skip_unless(
        rdsql_testkit::sshd::available(),
        "the SSH tunnel test needs /usr/sbin/sshd (apt-get install openssh-server) and root (sshd and its mount namespace)",
    ) {
        return;
    }
    let Some(d) = crate::browser::driver() else {
        return;
    };
    use crate::browser::*;
    let s = Sshd::start();
    let h = home();
    let ui = crate::ui::Ui::start(&[("HOME", h.path().display().to_string())]);
    let forwards = |log: &str| {
        log.lines()
            .filter(|l| l.contains("direct_tcpip") && l.contains(TUNNEL_HOST))
            .count()
    };
    run(async {
        let c = browser(&d).await;
        common(
            &c,
            &ui,
            "PostgreSQL",
            postgres().port,
            TUNNEL_HOST,
            "rdsql_scram",
        )
        .await;
        choose(&c, "Authentication Method", "Username / Password").await;
        fill(&c, "Password", PASSWORD).await;
        trust_test_ca(&c).await;
        choose(&c, "SSL Mode", "verify-full").await;
        fill(&c, "SSH Bastion", &s.target()).await;
        fill(&c, "SSH Private Key", &s.user_key.display().to_string()).await;
        c.find(fantoccini::Locator::Id("ssh_accept_new"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        click_button(&c, "Test").await;
        assert!(
            text_appears(&c, "Connection OK", 30).await,
            "Test through the bastion; sshd: {}",
            s.log()
        );
        let tested = forwards(&s.log());
        assert!(tested >= 1, "Test forwarded nothing: {}", s.log());
        connect_and_check(&c, "rdsql_scram", "dialog-ssh").await;
        let connected = forwards(&s.log());
        assert!(
            connected > tested,
            "Connect forwarded nothing ({tested} then {connected}): {}",
            s.log()
        );
        c.close().await.unwrap();
    });
}
