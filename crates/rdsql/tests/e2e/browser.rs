//! `rdsql ui` in a real browser: headless Chromium from Debian driven over
//! WebDriver (chromedriver + fantoccini). Each authentication method is
//! filled in by its visible labels, connected, and proven with
//! `select current_user`; SSO signs in through the fake and completes by
//! itself. Without Chromium these tests say so and pass, unless
//! `RDSQL_REQUIRE_BROWSER=1` (as `.ci/run` sets) makes that a failure.
//! `RDSQL_UPDATE_SCREENSHOTS=1` writes the README's screenshots to
//! docs/screenshots/.

use crate::harness::*;
use crate::ui::Ui;
use fantoccini::{Client, ClientBuilder, Locator};
use rdsql_testkit::iam::*;
use rdsql_testkit::{PASSWORD, mariadb, postgres};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

pub struct Driver {
    child: Child,
    port: u16,
    _profile: tempfile::TempDir,
}

impl Driver {
    /// Where the browser saves downloads.
    pub fn downloads(&self) -> std::path::PathBuf {
        let d = self._profile.path().join("downloads");
        std::fs::create_dir_all(&d).unwrap();
        d
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// chromedriver, or None (with the reason printed) when it is missing.
pub fn driver() -> Option<Driver> {
    let missing: Vec<&str> = [CHROMIUM, CHROMEDRIVER]
        .into_iter()
        .filter(|p| !std::path::Path::new(p).exists())
        .collect();
    if !missing.is_empty() {
        let msg = format!(
            "browser tests skipped: {} not found (Debian: apt-get install chromium chromium-driver)",
            missing.join(" and ")
        );
        assert!(
            std::env::var_os("RDSQL_REQUIRE_BROWSER").is_none(),
            "{msg}, but RDSQL_REQUIRE_BROWSER is set"
        );
        crate::harness::skip_unless(false, &msg);
        return None;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Some(Driver {
        child,
        port,
        _profile: tempfile::tempdir().unwrap(),
    })
}

pub async fn browser(d: &Driver) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": CHROMIUM,
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--window-size=1280,1000",
                format!("--user-data-dir={}", d._profile.path().display()),
            ],
            "prefs": {
                "download.default_directory": d.downloads().display().to_string(),
                "download.prompt_for_download": false,
            },
        }),
    );
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{}", d.port))
        .await
        .expect("a WebDriver session")
}

/// The control a visible label names (through its `for`).
pub async fn by_label(c: &Client, label: &str) -> fantoccini::elements::Element {
    let l = c
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::XPath(&format!(
            "//label[normalize-space()='{label}' and not(ancestor::*[@hidden])]"
        )))
        .await
        .unwrap_or_else(|e| panic!("no label {label:?}: {e}"));
    let id = l.attr("for").await.unwrap().expect("label for");
    c.find(Locator::Id(&id)).await.unwrap()
}

pub async fn fill(c: &Client, label: &str, value: &str) {
    let e = by_label(c, label).await;
    e.clear().await.unwrap();
    e.send_keys(value).await.unwrap();
}

pub async fn choose(c: &Client, label: &str, option: &str) {
    by_label(c, label)
        .await
        .select_by_label(option)
        .await
        .unwrap_or_else(|e| panic!("{label}: {option}: {e}"));
}

pub async fn click_button(c: &Client, text: &str) {
    c.find(Locator::XPath(&format!(
        "//button[normalize-space()='{text}' and not(ancestor::*[@hidden])]"
    )))
    .await
    .unwrap_or_else(|e| panic!("no button {text:?}: {e}"))
    .click()
    .await
    .unwrap();
}

/// Advanced → CA Certificate File: the test servers' CA.
pub async fn trust_test_ca(c: &Client) {
    open_advanced(c).await;
    fill(c, "CA Certificate File", &crate::harness::ca()).await;
}

pub async fn open_advanced(c: &Client) {
    c.find(Locator::XPath("//summary[normalize-space()='Advanced']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

pub async fn text_appears(c: &Client, text: &str, secs: u64) -> bool {
    for _ in 0..secs * 5 {
        if let Ok(src) = c.source().await
            && src.contains(text)
        {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    false
}

pub async fn screenshot(c: &Client, name: &str) {
    let png = c.screenshot().await.unwrap();
    let dir = if std::env::var_os("RDSQL_UPDATE_SCREENSHOTS").is_some() {
        std::path::PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../docs/screenshots"
        ))
    } else {
        std::env::temp_dir().join("rdsql-screenshots")
    };
    // A screenshot documents; it never fails a test (another user's
    // directory in /tmp, a full disk).
    if let Err(e) = std::fs::create_dir_all(&dir)
        .and_then(|_| std::fs::write(dir.join(format!("{name}.png")), png))
    {
        eprintln!("screenshot {name} not written: {e}");
    }
}

/// Errors the page met (app.js collects them).
pub async fn page_errors(c: &Client) -> serde_json::Value {
    c.execute("return window.pageErrors || []", vec![])
        .await
        .unwrap_or_default()
}

/// Types `sql` into the editor (CodeMirror), replacing what it held, as a
/// user does: click, select all, type.
pub async fn type_sql(c: &Client, sql: &str) {
    let ed = c
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("#editor .cm-content"))
        .await
        .expect("the SQL editor");
    ed.click().await.unwrap();
    ed.send_keys("\u{E009}a\u{E009}").await.unwrap(); // Ctrl-A (Ctrl pressed, released)
    ed.send_keys("\u{E017}").await.unwrap(); // Delete
    ed.send_keys(sql).await.unwrap();
    // Close a completion popup that typing may have opened.
    ed.send_keys("\u{E00C}").await.unwrap(); // Escape
}

/// Presses Ctrl-Enter (run the statement under the cursor) in the editor.
pub async fn ctrl_enter(c: &Client) {
    let ed = c.find(Locator::Css("#editor .cm-content")).await.unwrap();
    ed.send_keys("\u{E009}\u{E007}\u{E009}").await.unwrap();
}

/// The XPath of a grid cell showing exactly `text`.
pub fn cell(text: &str) -> String {
    format!("//div[@id='results']//div[contains(@class,'cell') and normalize-space()='{text}']")
}

pub async fn wait_cell(c: &Client, text: &str, secs: u64) {
    if let Err(e) = c
        .wait()
        .at_most(Duration::from_secs(secs))
        .for_element(Locator::XPath(&cell(text)))
        .await
    {
        fail(c, &format!("no cell {text:?} in the results: {e}")).await;
    }
}

/// Panics with `what`, the page's errors, and a screenshot in the temp dir.
pub async fn fail(c: &Client, what: &str) -> ! {
    let shot = std::env::temp_dir().join("rdsql-failure.png");
    if let Ok(png) = c.screenshot().await {
        let _ = std::fs::write(&shot, png);
    }
    panic!(
        "{what}; page errors: {}; screenshot: {}",
        page_errors(c).await,
        shot.display()
    );
}

/// Connects with the filled dialog and proves it with `select current_user`.
pub async fn connect_and_check(c: &Client, user: &str, shot: &str) {
    screenshot(c, shot).await;
    click_button(c, "Connect").await;
    if let Err(e) = c
        .wait()
        .at_most(Duration::from_secs(60))
        .for_element(Locator::XPath(
            "//section[@id='connected-view' and not(@hidden)]",
        ))
        .await
    {
        panic!(
            "the connected view: {e}; page errors: {}",
            page_errors(c).await
        );
    }
    type_sql(c, "select current_user").await;
    click_button(c, "Run").await;
    if let Err(e) = c
        .wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::XPath(&format!(
            "//div[@id='results']//div[contains(@class,'cell') and starts-with(normalize-space(), '{user}')]"
        )))
        .await
    {
        fail(c, &format!("{user} not in the results grid: {e}")).await;
    }
    if shot == "dialog-password" {
        screenshot(c, "connected").await;
        // Cancel: a long statement stops within 2 s and the session goes on.
        type_sql(c, "select pg_sleep(30)").await;
        click_button(c, "Run").await;
        tokio::time::sleep(Duration::from_millis(800)).await;
        let started = std::time::Instant::now();
        click_button(c, "Cancel").await;
        assert!(
            text_appears(c, "57014", 5).await,
            "the cancelled statement's error"
        );
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );
        type_sql(c, "select 'after' || 'cancel' as s").await;
        click_button(c, "Run").await;
        wait_cell(c, "aftercancel", 10).await;
    }
    click_button(c, "Disconnect").await;
}

pub fn run<F: std::future::Future<Output = ()>>(f: F) {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

pub async fn common(c: &Client, ui: &Ui, engine: &str, port: u16, host: &str, user: &str) {
    c.goto(&ui.url).await.unwrap();
    assert!(
        c.current_url().await.unwrap().as_str().ends_with('/'),
        "token taken out of the address bar"
    );
    choose(c, "Connection Type", engine).await;
    fill(c, "Host", host).await;
    fill(c, "Port", &port.to_string()).await;
    fill(c, "Username", user).await;
    fill(c, "Default Database", "rdsql").await;
}

#[test]
fn every_method_in_a_real_browser() {
    if !iam_ready() {
        return;
    }
    let Some(d) = driver() else { return };
    run(async {
        // Username / Password, then a wrong one.
        let ui = Ui::start(&[]);
        let c = browser(&d).await;
        common(
            &c,
            &ui,
            "PostgreSQL",
            postgres().port,
            "127.0.0.1",
            "rdsql_scram",
        )
        .await;
        choose(&c, "Authentication Method", "Username / Password").await;
        fill(&c, "Password", "wrong-password").await;
        click_button(&c, "Connect").await;
        assert!(
            text_appears(&c, "authentication failed", 30).await,
            "the access-denied headline"
        );
        assert!(
            text_appears(&c, "the password is wrong", 5).await,
            "its hints"
        );
        screenshot(&c, "error-access-denied").await;
        fill(&c, "Password", PASSWORD).await;
        connect_and_check(&c, "rdsql_scram", "dialog-password").await;
        c.close().await.unwrap();
        drop(ui);

        // IAM with an access key and secret key.
        let ui = Ui::start(&[]);
        let c = browser(&d).await;
        common(
            &c,
            &ui,
            "PostgreSQL",
            postgres().port,
            "localhost",
            IAM_USER,
        )
        .await;
        choose(
            &c,
            "Authentication Method",
            "IAM Authentication Using Access Key and Secret Key",
        )
        .await;
        fill(&c, "Access Key ID", STATIC_KEY_ID).await;
        fill(&c, "Secret Access Key", STATIC_SECRET).await;
        fill(&c, "AWS Region", REGION).await;
        trust_test_ca(&c).await;
        connect_and_check(&c, IAM_USER, "dialog-iam-keys").await;
        c.close().await.unwrap();
        drop(ui);

        // IAM with the credentials file (MariaDB).
        let home = crate::iam::aws_home();
        let ui = Ui::start(&[("HOME", home.path().display().to_string())]);
        let c = browser(&d).await;
        common(&c, &ui, "MariaDB", mariadb().port, "localhost", IAM_USER).await;
        choose(
            &c,
            "Authentication Method",
            "IAM Authentication Using Credentials File",
        )
        .await;
        fill(&c, "AWS Profile", "dev").await;
        trust_test_ca(&c).await;
        // Leaving the profile box filled the region from the profile.
        let region = by_label(&c, "AWS Region")
            .await
            .prop("value")
            .await
            .unwrap();
        assert_eq!(region.as_deref(), Some(REGION), "region from the profile");
        connect_and_check(&c, IAM_USER, "dialog-iam-profile").await;
        c.close().await.unwrap();
        drop(ui);

        // AWS SSO: no sign-in yet; the dialog signs in (the fake plays
        // the user in the "browser") and connects by itself.
        let w = crate::sso::World::new();
        let ui = Ui::start(&w.env());
        let c = browser(&d).await;
        common(
            &c,
            &ui,
            "PostgreSQL",
            postgres().port,
            "localhost",
            IAM_USER,
        )
        .await;
        choose(&c, "Authentication Method", "AWS SSO / Identity Center").await;
        choose(&c, "SSO Profile", "modern").await;
        let start = by_label(&c, "SSO Start URL")
            .await
            .prop("value")
            .await
            .unwrap();
        assert_eq!(
            start.as_deref(),
            Some(crate::sso::START),
            "the profile filled the start URL"
        );
        trust_test_ca(&c).await;
        connect_and_check(&c, IAM_USER, "dialog-sso").await;
        c.close().await.unwrap();
    });
}
