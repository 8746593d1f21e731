//! `rdsql aws databases` and `rdsql aws check` against moto (server mode),
//! with the real PostgreSQL/MariaDB servers behind the checked endpoint.

use crate::harness::*;
use crate::iam::run;
use rdsql_testkit::iam::*;
use rdsql_testkit::moto::Moto;
use rdsql_testkit::{mariadb, postgres};
use serde_json::Value;

const SETUP: &str = r#"
rds.create_db_instance(DBInstanceIdentifier="tunnel", Engine="postgres", EngineVersion="16.4",
    DBInstanceClass="db.t3.micro", AllocatedStorage=20, MasterUsername="admin",
    MasterUserPassword="password123", EnableIAMDatabaseAuthentication=True,
    PubliclyAccessible=False, Port=5432)
rds.create_db_instance(DBInstanceIdentifier="legacy-my", Engine="mysql",
    DBInstanceClass="db.t3.micro", AllocatedStorage=20, MasterUsername="admin",
    MasterUserPassword="password123", PubliclyAccessible=True, Port=3306)
rds.create_db_cluster(DBClusterIdentifier="aur", Engine="aurora-postgresql",
    MasterUsername="admin", MasterUserPassword="password123", EnableIAMDatabaseAuthentication=True)
vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
s1 = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
s2 = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.2.0/24")["Subnet"]["SubnetId"]
rds.create_db_proxy(DBProxyName="pg-proxy", EngineFamily="POSTGRESQL",
    Auth=[{"AuthScheme": "SECRETS", "SecretArn": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:x", "IAMAuth": "REQUIRED"}],
    RoleArn="arn:aws:iam::123456789012:role/proxy", VpcSubnetIds=[s1, s2])
east = client("rds", "us-east-1")
east.create_db_instance(DBInstanceIdentifier="east-db", Engine="mariadb", EngineVersion="10.11.6",
    DBInstanceClass="db.t3.micro", AllocatedStorage=20, MasterUsername="admin",
    MasterUserPassword="password123", Port=3306)
# More instances than one page (MaxRecords 100) holds.
central = client("rds", "eu-central-1")
for i in range(105):
    central.create_db_instance(DBInstanceIdentifier=f"many-{i:03}", Engine="postgres",
        DBInstanceClass="db.t3.micro", AllocatedStorage=20, MasterUsername="admin",
        MasterUserPassword="password123")
"#;

fn moto_env(m: &Moto) -> Vec<(&'static str, String)> {
    m.env()
}

fn find<'a>(list: &'a [Value], kind: &str, id: &str) -> &'a Value {
    list.iter()
        .find(|d| d["kind"] == kind && d["identifier"] == id)
        .unwrap_or_else(|| panic!("{kind} {id} in {list:#?}"))
}

#[test]
fn databases_lists_instances_clusters_and_proxies() {
    if !moto_ready() {
        return;
    }
    let m = Moto::start();
    m.boto3(SETUP);
    let env = moto_env(&m);
    let o = run(
        &["aws", "databases", "--aws-region", "eu-west-1", "--json"],
        &env,
    );
    let list: Vec<Value> = serde_json::from_str(&o.ok().stdout).unwrap();
    let t = find(&list, "instance", "tunnel");
    assert_eq!(t["endpoint"], TUNNEL_HOST);
    assert_eq!(t["port"], 5432);
    assert_eq!(t["iam_auth"], true);
    assert_eq!(t["publicly_accessible"], false);
    assert_eq!(t["engine"], "postgres");
    assert_eq!(t["status"], "available");
    assert!(t["resource_id"].as_str().unwrap().starts_with("db-"));
    assert_eq!(find(&list, "instance", "legacy-my")["iam_auth"], false);
    let w = find(&list, "cluster-writer", "aur");
    let r = find(&list, "cluster-reader", "aur");
    assert!(w["endpoint"].as_str().unwrap().contains(".cluster-"));
    assert!(r["endpoint"].as_str().unwrap().contains(".cluster-ro-"));
    assert_eq!(w["iam_auth"], true);
    let p = find(&list, "proxy", "pg-proxy");
    assert_eq!(p["iam_auth"], true);
    assert_eq!(p["port"], 5432);
    assert!(p["resource_id"].as_str().unwrap().starts_with("prx-"));
    assert!(!list.iter().any(|d| d["identifier"] == "east-db"));

    // The table.
    let o = run(&["aws", "databases", "--aws-region", "eu-west-1"], &env);
    let text = &o.ok().stdout;
    assert!(text.contains(" kind "), "{text}");
    assert!(
        text.lines()
            .any(|l| l.contains("tunnel") && l.contains(TUNNEL_HOST) && l.contains(" on ")),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.contains("legacy-my") && l.contains(" off ")),
        "{text}"
    );

    // Pagination: 105 instances in one region.
    let o = run(
        &["aws", "databases", "--aws-region", "eu-central-1", "--json"],
        &env,
    );
    let list: Vec<Value> = serde_json::from_str(&o.ok().stdout).unwrap();
    assert_eq!(list.len(), 105);

    // Every region.
    let o = run(&["aws", "databases", "--all-regions", "--json"], &env);
    let list: Vec<Value> = serde_json::from_str(&o.ok().stdout).unwrap();
    assert_eq!(find(&list, "instance", "east-db")["region"], "us-east-1");
    assert_eq!(find(&list, "instance", "tunnel")["region"], "eu-west-1");
    assert_eq!(list.len(), 105 + 6);

    // No region at all: said, with what to give.
    let no_region: Vec<(&str, String)> = env
        .iter()
        .filter(|(k, _)| *k != "AWS_DEFAULT_REGION")
        .cloned()
        .chain([("HOME", "/nonexistent".to_string())])
        .collect();
    let o = run(&["aws", "databases"], &no_region);
    assert_eq!(o.code, 1);
    assert!(o.stderr.contains("--aws-region"), "{}", o.stderr);
}

fn check(url: &str, env: &[(&'static str, String)]) -> (i32, Vec<Value>, String) {
    let o = run(&["aws", "check", url, "--json"], env);
    let report: Value = serde_json::from_str(&o.stdout)
        .unwrap_or_else(|e| panic!("{e}: {} / {}", o.stdout, o.stderr));
    (
        o.code,
        report["checks"].as_array().unwrap().clone(),
        o.stderr,
    )
}

fn status<'a>(checks: &'a [Value], name: &str) -> &'a str {
    checks
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("{name} in {checks:#?}"))["status"]
        .as_str()
        .unwrap()
}

#[test]
fn check_reports_each_prerequisite() {
    if !moto_ready() || !iam_ready() {
        return;
    }
    let m = Moto::start();
    m.boto3(SETUP);
    let mut env = moto_env(&m);
    env.retain(|(k, _)| !k.starts_with("AWS_ACCESS") && !k.starts_with("AWS_SECRET"));
    env.extend(crate::iam::static_env());
    let ca = ca();
    let url = |host: &str, port: u16, extra: &str| {
        format!(
            "postgres://{IAM_USER}@{host}:{port}/rdsql?auth=iam-keys&iam_host={TUNNEL_HOST}&iam_port={TUNNEL_PORT}&sslrootcert={ca}{extra}"
        )
    };
    let pg = postgres();

    // Everything that can be checked here passes; moto cannot simulate
    // policies, which is reported as skipped — so the exit is not 0.
    let (code, checks, _) = check(&url("127.0.0.1", pg.port, ""), &env);
    for name in [
        "AWS credentials",
        "Caller identity",
        "Database and IAM authentication",
        "rds-db:connect resource",
        "Network",
        "TLS",
        "Login",
    ] {
        assert_eq!(status(&checks, name), "pass", "{name}: {checks:#?}");
    }
    assert_eq!(status(&checks, "IAM policy simulation"), "skipped");
    assert_eq!(code, 1, "skipped is not passed");
    let resource = checks
        .iter()
        .find(|c| c["name"] == "rds-db:connect resource")
        .unwrap();
    let detail = resource["detail"].as_str().unwrap();
    assert!(
        detail.starts_with("arn:aws:rds-db:eu-west-1:123456789012:dbuser:db-")
            && detail.contains(&format!("/{IAM_USER}\n"))
            && detail.contains("\"Action\": \"rds-db:connect\""),
        "{detail}"
    );

    // The human report: marks, fixes and a summary.
    let o = run(&["aws", "check", &url("127.0.0.1", pg.port, "")], &env);
    assert!(o.stdout.contains("✓ Login"), "{}", o.stdout);
    assert!(
        o.stdout.contains("– IAM policy simulation (skipped)"),
        "{}",
        o.stdout
    );
    assert!(
        o.stdout.contains("7 passed, 0 failed, 1 skipped"),
        "{}",
        o.stdout
    );

    // MariaDB: the TLS probe speaks MySQL's protocol.
    let my = format!(
        "mariadb://{IAM_USER}@127.0.0.1:{}/rdsql?auth=iam-keys&iam_host={TUNNEL_HOST}&iam_port={TUNNEL_PORT}&sslrootcert={ca}",
        mariadb().port
    );
    let (_, checks, _) = check(&my, &env);
    assert_eq!(status(&checks, "TLS"), "pass", "{checks:#?}");
    assert_eq!(status(&checks, "Login"), "pass", "{checks:#?}");

    // Unreachable: the network fails with the private-database hint;
    // TLS and login are skipped, not failed.
    let closed = rdsql_testkit::free_port();
    let (code, checks, _) = check(&url("127.0.0.1", closed, ""), &env);
    assert_eq!(code, 2);
    assert_eq!(status(&checks, "Network"), "fail");
    let net = checks.iter().find(|c| c["name"] == "Network").unwrap();
    assert!(
        net["fix"].to_string().contains("not publicly accessible"),
        "{net}"
    );
    assert_eq!(status(&checks, "TLS"), "skipped");
    assert_eq!(status(&checks, "Login"), "skipped");

    // A certificate that does not chain to the trusted CAs.
    let (_, checks, _) = check(
        &format!(
            "postgres://{IAM_USER}@127.0.0.1:{}/rdsql?auth=iam-keys&iam_host={TUNNEL_HOST}&iam_port={TUNNEL_PORT}&sslrootcert=system",
            pg.port
        ),
        &env,
    );
    assert_eq!(status(&checks, "TLS"), "fail", "{checks:#?}");

    // IAM authentication turned off on the instance: the fix is the
    // command that turns it on.
    m.boto3(
        "rds.modify_db_instance(DBInstanceIdentifier='tunnel', EnableIAMDatabaseAuthentication=False, ApplyImmediately=True)",
    );
    let (code, checks, _) = check(&url("127.0.0.1", pg.port, ""), &env);
    assert_eq!(code, 2);
    assert_eq!(status(&checks, "Database and IAM authentication"), "fail");
    let db = checks
        .iter()
        .find(|c| c["name"] == "Database and IAM authentication")
        .unwrap();
    assert!(
        db["fix"].to_string().contains(
            "aws rds modify-db-instance --region eu-west-1 --db-instance-identifier tunnel --enable-iam-database-authentication"
        ),
        "{db}"
    );

    // A password connection is not what the command checks.
    let o = run(&["aws", "check", &pg.url("rdsql_scram", "127.0.0.1")], &env);
    assert_eq!(o.code, 1);
    assert!(
        o.stderr.contains("for IAM and SSO connections"),
        "{}",
        o.stderr
    );
}
