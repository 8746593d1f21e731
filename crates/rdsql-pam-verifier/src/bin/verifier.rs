//! `rdsql-iam-verifier --user U --config FILE` with the token on stdin:
//! exit 0 to accept, 1 to reject. Every attempt is logged to
//! `<state_dir>/attempts.log` as `user<TAB>accepted|rejected: reason`.

use rdsql_pam_verifier::verify::{Config, verify};
use std::io::{Read, Write};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let get = |k: &str| {
        args.iter()
            .position(|a| a == k)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let (Some(user), Some(config)) = (get("--user"), get("--config")) else {
        eprintln!("usage: rdsql-iam-verifier --user U --config FILE < token");
        std::process::exit(2);
    };
    let cfg: Config = match std::fs::read_to_string(&config)
        .map_err(|e| e.to_string())
        .and_then(|s| serde_json::from_str(&s).map_err(|e| e.to_string()))
    {
        Ok(c) => c,
        Err(e) => {
            eprintln!("bad config {config}: {e}");
            std::process::exit(2);
        }
    };
    let mut token = String::new();
    let _ = std::io::stdin().read_to_string(&mut token);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let dir = std::path::Path::new(&cfg.state_dir);
    let mut result = verify(&cfg, &user, token.trim_end_matches('\0'), now);
    if result.is_ok() && cfg.reject_first.contains(&user) {
        let marker = dir.join(format!("seen-{user}"));
        if !marker.exists() {
            let _ = std::fs::write(&marker, b"1");
            result = Err("first attempt rejected on purpose (retry test)".into());
        }
    }
    let line = match &result {
        Ok(()) => format!(
            "{user}\taccepted (token {} bytes for {})\n",
            token.len(),
            token.split("/?").next().unwrap_or_default()
        ),
        Err(e) => format!("{user}\trejected: {e}\n"),
    };
    if let Ok(mut f) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("attempts.log"))
    {
        let _ = f.write_all(line.as_bytes());
    }
    std::process::exit(if result.is_ok() { 0 } else { 1 });
}
