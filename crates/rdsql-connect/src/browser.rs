//! Opening a page in the user's browser, the way the CLI's SSO sign-in and
//! `rdsql ui` do.

/// Opens `url` with `$BROWSER` (a command; `%s` is replaced by the URL,
/// else the URL is appended), else the desktop's opener.
pub fn open(url: &str) -> bool {
    // Only web pages and our own redirect file, never something that could
    // be taken for an option of the browser command.
    if !["https://", "http://", "file://"]
        .iter()
        .any(|p| url.starts_with(p))
    {
        return false;
    }
    let spawn = |cmd: &str| {
        let mut parts: Vec<String> = cmd.split_whitespace().map(str::to_string).collect();
        if parts.is_empty() {
            return false;
        }
        if parts.iter().any(|p| p.contains("%s")) {
            parts = parts.into_iter().map(|p| p.replace("%s", url)).collect();
        } else {
            parts.push(url.to_string());
        }
        std::process::Command::new(&parts[0])
            .args(&parts[1..])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .is_ok()
    };
    if let Ok(b) = std::env::var("BROWSER") {
        return b.split(':').any(spawn);
    }
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else {
        "xdg-open"
    };
    spawn(opener)
}
