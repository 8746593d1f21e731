//! Saved-connection secrets in the real Secret Service: a private D-Bus
//! session (`dbus-run-session`) with `gnome-keyring-daemon` unlocked. A
//! password and an AWS secret key are saved, read back, used to connect
//! (password over SCRAM, IAM keys through PAM), seen with `secret-tool`,
//! deleted — and no `secrets.toml` is written meanwhile. A locked keyring
//! fails at once with a hint.

use crate::harness::*;
use rdsql_testkit::iam::*;
use rdsql_testkit::{PASSWORD, postgres};

const TOOLS: &[(&str, &str)] = &[
    ("/usr/bin/dbus-run-session", "dbus (dbus-bin)"),
    ("/usr/bin/gnome-keyring-daemon", "gnome-keyring"),
    ("/usr/bin/secret-tool", "libsecret-tools"),
    ("/usr/bin/gdbus", "libglib2.0-bin"),
];

#[test]
fn secrets_live_in_the_secret_service_and_leave_with_the_connection() {
    if !iam_ready() {
        return;
    }
    let missing: Vec<&str> = TOOLS
        .iter()
        .filter(|(p, _)| !std::path::Path::new(p).exists())
        .map(|(_, pkg)| *pkg)
        .collect();
    if !skip_unless(
        missing.is_empty(),
        &format!(
            "the Secret Service test needs {} (apt-get install gnome-keyring dbus libsecret-tools libglib2.0-bin)",
            missing.join(", ")
        ),
    ) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let pg = postgres();
    let ca = ca();
    let rdsql = env!("CARGO_BIN_EXE_rdsql");
    let pw_url = format!(
        "postgres://rdsql_scram@127.0.0.1:{}/rdsql?sslmode=verify-full&sslrootcert={ca}",
        pg.port
    );
    let iam_url = format!(
        "postgres://{IAM_USER}@127.0.0.1:{}/rdsql?auth=iam-keys&aws_access_key_id={STATIC_KEY_ID}&aws_region={REGION}&sslrootcert={ca}",
        pg.port
    );
    let script = format!(
        r#"set -u
exec 2>&1
export HOME={d}/home XDG_RUNTIME_DIR={d}/run RDSQL_CONFIG_DIR={d}/cfg
mkdir -p "$HOME" "$XDG_RUNTIME_DIR"; chmod 700 "$XDG_RUNTIME_DIR"
unset RDSQL_SECRET_STORE AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_PROFILE PGPASSWORD
printf 'unlock-pass' | gnome-keyring-daemon --unlock --components=secrets --daemonize >/dev/null 2>&1
# Wait until the unlocked login collection is on the bus.
for i in $(seq 100); do
  gdbus call --session --dest org.freedesktop.secrets --object-path /org/freedesktop/secrets/collection/login --method org.freedesktop.DBus.Properties.Get org.freedesktop.Secret.Collection Locked 2>/dev/null | grep -q false && break
  sleep 0.1
done
step() {{ echo "== $1"; }}
step add-password; printf '%s' '{PASSWORD}' | {rdsql} conn add kpw '{pw_url}' --secret-stdin
step add-iam; printf '%s' '{STATIC_SECRET}' | {rdsql} conn add kiam '{iam_url}' --secret-stdin
step show; {rdsql} conn show kpw
step files; ls -a "$RDSQL_CONFIG_DIR"
step lookup-password; secret-tool lookup service rdsql username kpw/password; echo
step lookup-iam; secret-tool lookup service rdsql username kiam/aws_secret_access_key; echo
step query-password; {rdsql} query kpw --format csv -c 'select current_user' </dev/null
step query-iam; {rdsql} query kiam --format csv -c 'select current_user' </dev/null
step files-after; ls -a "$RDSQL_CONFIG_DIR"
step rm; {rdsql} conn rm kpw; {rdsql} conn rm kiam
step lookup-after; secret-tool lookup service rdsql username kpw/password; echo "lookup-pw-exit=$?"
secret-tool lookup service rdsql username kiam/aws_secret_access_key; echo "lookup-iam-exit=$?"
step files-end; ls -a "$RDSQL_CONFIG_DIR"
step add-again; printf '%s' '{PASSWORD}' | {rdsql} conn add klock '{pw_url}' --secret-stdin
step lock; gdbus call --session --dest org.freedesktop.secrets --object-path /org/freedesktop/secrets --method org.freedesktop.Secret.Service.Lock "['/org/freedesktop/secrets/collection/login']" >/dev/null
step query-locked; timeout 20 {rdsql} query klock -c 'select 1' </dev/null; echo "locked-exit=$?"
step rm-locked; timeout 20 {rdsql} conn rm klock; echo "rm-locked-exit=$?"; {rdsql} conn list
step end
"#,
        d = dir.path().display()
    );
    // The bus daemon gets the same HOME and runtime dir as the script, so a
    // keyring daemon it starts on demand uses the same keyring files.
    std::fs::create_dir_all(dir.path().join("home")).unwrap();
    std::fs::create_dir_all(dir.path().join("run")).unwrap();
    std::fs::set_permissions(
        dir.path().join("run"),
        std::os::unix::fs::PermissionsExt::from_mode(0o700),
    )
    .unwrap();
    let out = std::process::Command::new("timeout")
        .args(["120", "dbus-run-session", "--", "sh", "-c", &script])
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .env("HOME", dir.path().join("home"))
        .env("XDG_RUNTIME_DIR", dir.path().join("run"))
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let part = |name: &str| -> String {
        let start = text
            .find(&format!("== {name}\n"))
            .unwrap_or_else(|| panic!("step {name} missing:\n{text}"));
        let rest = &text[start + name.len() + 4..];
        rest[..rest.find("\n== ").unwrap_or(rest.len())].to_string()
    };
    assert!(part("show").contains("secret: in the OS keyring"), "{text}");
    assert!(!part("files").contains("secrets.toml"), "{text}");
    assert_eq!(part("lookup-password").trim(), PASSWORD, "{text}");
    assert_eq!(part("lookup-iam").trim(), STATIC_SECRET, "{text}");
    assert!(part("query-password").contains("rdsql_scram"), "{text}");
    assert!(part("query-iam").contains(IAM_USER), "{text}");
    assert!(!part("files-after").contains("secrets.toml"), "{text}");
    let after = part("lookup-after");
    assert!(
        after.contains("lookup-pw-exit=1") && after.contains("lookup-iam-exit=1"),
        "{text}"
    );
    assert!(!part("files-end").contains("secrets.toml"), "{text}");
    // Locked: a quick failure with the hint, never a hang; and `conn rm`
    // refuses rather than leave the secret behind unseen.
    let locked = part("query-locked");
    assert!(
        locked.contains("locked-exit=1") && locked.contains("the keyring is locked"),
        "{text}"
    );
    let rm = part("rm-locked");
    assert!(
        rm.contains("rm-locked-exit=1")
            && rm.contains("the keyring is locked")
            && rm.contains("klock"),
        "{text}"
    );
    assert!(text.contains("== end"), "{text}");
}
