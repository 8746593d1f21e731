//! The dialog's AWS depth in a real browser: Browse RDS Databases (moto),
//! the MFA Code field (an MFA-demanding STS fake), the Test button's
//! prerequisites report, and the SSH Tunnel fields kept in a saved
//! connection.

use crate::browser::*;
use crate::harness::ca;
use crate::harness::*;
use crate::ui::Ui;
use fantoccini::{Client, Locator};
use rdsql_testkit::iam::*;
use rdsql_testkit::moto::Moto;
use rdsql_testkit::postgres;
use std::time::Duration;

const SERIAL: &str = "arn:aws:iam::123456789012:mfa/browser";

async fn row(c: &Client, id: &str) -> fantoccini::elements::Element {
    c.wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::XPath(&format!(
            "//tr[contains(@class,'rds-row') and @data-identifier='{id}']"
        )))
        .await
        .unwrap_or_else(|e| panic!("no RDS row {id}: {e}"))
}

async fn value(c: &Client, id: &str) -> String {
    c.find(Locator::Id(id))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap()
        .unwrap_or_default()
}

async fn visible(c: &Client, id: &str) -> bool {
    c.execute(
        &format!("const e = document.getElementById('{id}'); return !!e && !e.hidden && !e.closest('[hidden]');"),
        vec![],
    )
    .await
    .unwrap()
    .as_bool()
    .unwrap()
}

async fn check_status(c: &Client, name: &str) -> String {
    let el = c
        .wait()
        .at_most(Duration::from_secs(60))
        .for_element(Locator::XPath(&format!(
            "//li[contains(@class,'check') and @data-check='{name}']"
        )))
        .await
        .unwrap_or_else(|e| panic!("no check {name:?} in the report: {e}"));
    el.attr("class").await.unwrap().unwrap_or_default()
}

#[test]
fn browse_rds_mfa_and_the_prerequisites_report() {
    if !moto_ready() || !iam_ready() {
        return;
    }
    let Some(d) = driver() else { return };
    let m = Moto::start();
    m.boto3(
        r#"
rds.create_db_instance(DBInstanceIdentifier="tunnel", Engine="postgres", EngineVersion="16.4",
    DBInstanceClass="db.t3.micro", AllocatedStorage=20, MasterUsername="admin",
    MasterUserPassword="password123", EnableIAMDatabaseAuthentication=True, Port=5432)
rds.create_db_instance(DBInstanceIdentifier="legacy-my", Engine="mysql",
    DBInstanceClass="db.t3.micro", AllocatedStorage=20, MasterUsername="admin",
    MasterUserPassword="password123", Port=3306)
"#,
    );
    let sts = rdsql_testkit::sts::fake_sts_mfa(SERIAL, "271828");
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(home.path().join(".aws")).unwrap();
    std::fs::write(
        home.path().join(".aws/credentials"),
        format!("[static]\naws_access_key_id = {STATIC_KEY_ID}\naws_secret_access_key = {STATIC_SECRET}\n"),
    )
    .unwrap();
    std::fs::write(
        home.path().join(".aws/config"),
        format!(
            "[profile static]\nregion = {REGION}\n\n[profile mfa]\nrole_arn = arn:aws:iam::123456789012:role/rds-connect\nsource_profile = static\nmfa_serial = {SERIAL}\nregion = {REGION}\n"
        ),
    )
    .unwrap();
    let ui = Ui::start(&[
        ("HOME", home.path().display().to_string()),
        ("AWS_ENDPOINT_URL_RDS", m.endpoint.clone()),
        ("AWS_ENDPOINT_URL_IAM", m.endpoint.clone()),
        ("AWS_ENDPOINT_URL_STS", sts.endpoint.clone()),
    ]);
    run(async {
        let c = browser(&d).await;
        c.goto(&ui.url).await.unwrap();
        choose(&c, "Connection Type", "PostgreSQL").await;
        choose(
            &c,
            "Authentication Method",
            "IAM Authentication Using Credentials File",
        )
        .await;
        fill(&c, "AWS Profile", "static").await;
        by_label(&c, "Username").await.click().await.unwrap();
        assert!(
            !visible(&c, "mfa-field").await,
            "no MFA for a static profile"
        );

        // Browse: a database without IAM auth fills the form and warns.
        click_button(&c, "Browse RDS Databases").await;
        row(&c, "legacy-my").await.click().await.unwrap();
        assert_eq!(value(&c, "engine").await, "mysql");
        assert_eq!(value(&c, "port").await, "3306");
        assert!(
            value(&c, "host")
                .await
                .starts_with("legacy-my.aaaaaaaaaa.eu-west-1")
        );
        assert!(
            text_appears(
                &c,
                "IAM database authentication is disabled on legacy-my",
                5
            )
            .await,
            "the warning"
        );
        assert!(text_appears(&c, "--enable-iam-database-authentication", 1).await);
        // One with IAM auth: filled, no warning.
        click_button(&c, "Browse RDS Databases").await;
        let tunnel = row(&c, "tunnel").await;
        screenshot(&c, "ui-browse-rds").await;
        tunnel.click().await.unwrap();
        assert_eq!(value(&c, "engine").await, "postgres");
        assert_eq!(value(&c, "host").await, TUNNEL_HOST);
        assert_eq!(value(&c, "port").await, "5432");
        assert!(!visible(&c, "rds-warning").await);

        // The test database stands in for the endpoint: reach it on
        // loopback, sign for the endpoint's name (Advanced).
        fill(&c, "Host", "127.0.0.1").await;
        fill(&c, "Port", &postgres().port.to_string()).await;
        fill(&c, "Username", IAM_USER).await;
        fill(&c, "Default Database", "rdsql").await;
        open_advanced(&c).await;
        fill(&c, "CA Certificate File", &ca()).await;
        fill(&c, "IAM Signing Host", TUNNEL_HOST).await;
        fill(&c, "IAM Signing Port", "5432").await;

        // Test: the prerequisites report, as `rdsql aws check` prints it.
        click_button(&c, "Test").await;
        for name in [
            "AWS credentials",
            "Caller identity",
            "Database and IAM authentication",
            "Network",
            "TLS",
            "Login",
        ] {
            if !check_status(&c, name).await.contains("pass") {
                let text = c
                    .find(Locator::Id("status"))
                    .await
                    .unwrap()
                    .text()
                    .await
                    .unwrap();
                panic!("{name}: {text}");
            }
        }
        assert!(
            check_status(&c, "IAM policy simulation")
                .await
                .contains("skipped")
        );
        assert!(text_appears(&c, "arn:aws:rds-db:eu-west-1:123456789012:dbuser:db-", 1).await);
        screenshot(&c, "ui-check-report").await;

        // An MFA profile: the field appears; without a code the dialog
        // says so at the field; with it, the report passes the login.
        fill(&c, "AWS Profile", "mfa").await;
        by_label(&c, "Username").await.click().await.unwrap();
        assert!(visible(&c, "mfa-field").await, "the MFA Code field");
        assert!(text_appears(&c, SERIAL, 2).await);
        click_button(&c, "Test").await;
        assert!(
            text_appears(&c, "needs an MFA code", 30).await,
            "asked for the code"
        );
        fill(&c, "MFA Code", "271828").await;
        click_button(&c, "Test").await;
        assert!(check_status(&c, "Login").await.contains("pass"));
        let assumed = sts
            .requests
            .lock()
            .unwrap()
            .iter()
            .filter(|(_, b)| b.contains("Action=AssumeRole") && b.contains("TokenCode=271828"))
            .count();
        assert_eq!(assumed, 1);

        // The SSH Tunnel fields go into a saved connection and come back.
        fill(&c, "SSH Bastion", "ec2-user@bastion.example.com:2222").await;
        fill(&c, "SSH Private Key", "/keys/bastion_ed25519").await;
        c.find(Locator::Id("ssh_accept_new"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        fill(&c, "Connection Name", "via-bastion").await;
        click_button(&c, "Save").await;
        assert!(text_appears(&c, "Saved \"via-bastion\"", 10).await);
        let toml = std::fs::read_to_string(ui.cfg.path().join("connections.toml")).unwrap();
        assert!(
            toml.contains("ssh = \"ec2-user@bastion.example.com:2222\"")
                && toml.contains("ssh_accept_new = \"true\"")
                && !toml.contains("271828"),
            "{toml}"
        );
        click_button(&c, "New connection").await;
        c.find(Locator::XPath("//ul[@id='saved-list']//button[contains(@class,'open') and contains(., 'via-bastion')]"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        assert_eq!(value(&c, "ssh").await, "ec2-user@bastion.example.com:2222");
        assert_eq!(value(&c, "ssh_key").await, "/keys/bastion_ed25519");
        let checked = c
            .find(Locator::Id("ssh_accept_new"))
            .await
            .unwrap()
            .prop("checked")
            .await
            .unwrap();
        assert_eq!(checked.as_deref(), Some("true"));
        assert_eq!(page_errors(&c).await, serde_json::json!([]));
        c.close().await.unwrap();
    });
}
