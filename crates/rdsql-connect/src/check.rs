//! `rdsql aws check CONN` and the UI's Test button for IAM/SSO
//! connections: each RDS IAM prerequisite checked on its own, with the fix
//! when it fails (docs/aws.md). A check that cannot run (no permission to
//! simulate, a database not found) is "skipped", never "passed".

use crate::iam::IamTokenProvider;
use crate::open::{Interaction, iam_provider};
use crate::report::Failure;
use rdsql_aws::discovery::{self, Database};
use rdsql_aws::identity::{self, Caller, Simulation};
use rdsql_db::{Connection, ConnectionSpec, PasswordProvider, ServerSpec};
use serde::Serialize;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    Fail,
    Skipped,
}

/// One prerequisite.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub name: String,
    pub status: Status,
    /// What was found (may span lines: a policy document).
    pub detail: String,
    /// What to do when it failed or was skipped.
    pub fix: Vec<String>,
}

/// Every check, in order.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub checks: Vec<Check>,
}

impl Report {
    pub fn all_passed(&self) -> bool {
        self.checks.iter().all(|c| c.status == Status::Pass)
    }

    fn add(&mut self, name: &str, status: Status, detail: impl Into<String>, fix: Vec<String>) {
        self.checks.push(Check {
            name: name.into(),
            status,
            detail: detail.into(),
            fix,
        });
    }

    /// The report as text: ✓/✗/– per check, details indented, fixes as
    /// "fix:" lines, and a summary.
    pub fn render(&self) -> String {
        let mut s = String::new();
        for c in &self.checks {
            let mark = match c.status {
                Status::Pass => "✓",
                Status::Fail => "✗",
                Status::Skipped => "–",
            };
            let word = match c.status {
                Status::Pass => "",
                Status::Fail => " (failed)",
                Status::Skipped => " (skipped)",
            };
            s.push_str(&format!("{mark} {}{word}\n", c.name));
            for l in c.detail.lines() {
                s.push_str(&format!("    {l}\n"));
            }
            for f in &c.fix {
                s.push_str(&format!("    fix: {f}\n"));
            }
        }
        let count = |st| self.checks.iter().filter(|c| c.status == st).count();
        s.push_str(&format!(
            "{} passed, {} failed, {} skipped\n",
            count(Status::Pass),
            count(Status::Fail),
            count(Status::Skipped)
        ));
        s
    }
}

const PROBE_TIMEOUT: Duration = Duration::from_secs(5);

/// The AWS CLI command that turns IAM database authentication on for `db`.
pub fn enable_command(db: &Database) -> String {
    match db.kind.as_str() {
        "instance" => format!(
            "aws rds modify-db-instance --region {} --db-instance-identifier {} --enable-iam-database-authentication --apply-immediately",
            db.region, db.identifier
        ),
        "proxy" => format!(
            "aws rds modify-db-proxy --region {} --db-proxy-name {} --auth AuthScheme=SECRETS,SecretArn=…,IAMAuth=REQUIRED",
            db.region, db.identifier
        ),
        _ => format!(
            "aws rds modify-db-cluster --region {} --db-cluster-identifier {} --enable-iam-database-authentication --apply-immediately",
            db.region, db.identifier
        ),
    }
}

/// Runs every check for `spec` (an IAM or SSO connection), one step after
/// another; a step that cannot run says why (skipped is never passed).
pub async fn run(
    spec: &ServerSpec,
    ui: &dyn Interaction,
    env: &(dyn Fn(&str) -> Option<String> + Sync),
) -> Result<Report, crate::Error> {
    if !spec.auth.password_is_token() {
        return Err(crate::Error::setup(
            "rdsql aws check is for IAM and SSO connections",
            vec![
                "give --auth iam-keys, iam-profile or sso (or a saved connection that uses one)"
                    .into(),
            ],
        ));
    }
    let mut r = Report { checks: vec![] };
    let sign_host = spec.tls_server_name().to_string();
    // 1. Credentials, and the caller they belong to.
    let provider = credentials(&mut r, spec, ui, env).await?;
    let region = provider.as_ref().map(|p| p.request().region.clone());
    let creds = provider.as_ref().map(|p| p.credentials());
    let caller = caller_identity(&mut r, &creds, &region).await;
    // 2. The database behind the endpoint, with IAM auth on.
    let db = database(&mut r, &creds, &region, &caller, &sign_host).await;
    // 3. The resource to allow, and whether IAM allows it.
    let resource = connect_resource(&mut r, spec, &db, &caller);
    simulation(&mut r, &creds, &region, &caller, &resource).await;
    // 4. The network, TLS, and a real login.
    let reached = network(&mut r, spec, &db).await;
    tls(&mut r, spec, reached.as_ref(), &sign_host).await;
    login(&mut r, spec, provider.as_ref(), reached.is_some()).await;
    Ok(r)
}

type Creds = Option<std::sync::Arc<rdsql_aws::ResolvedCredentials>>;

/// The AWS credentials (a sign-in the surface must run first is returned
/// as the error: the UI runs its browser flow).
async fn credentials(
    r: &mut Report,
    spec: &ServerSpec,
    ui: &dyn Interaction,
    env: &(dyn Fn(&str) -> Option<String> + Sync),
) -> Result<Option<IamTokenProvider>, crate::Error> {
    let provider = match iam_provider(spec, ui, env).await {
        Ok(p) => Some(p),
        // A sign-in the surface must run first (the UI's browser flow).
        Err(e @ crate::Error::SignIn { .. }) => return Err(e),
        Err(e) => {
            let f = Failure::from(e);
            r.add("AWS credentials", Status::Fail, f.headline, f.causes);
            None
        }
    };
    Ok(match provider {
        Some(p) => match p.resolve_credentials().await {
            Ok(()) => {
                r.add(
                    "AWS credentials",
                    Status::Pass,
                    format!(
                        "{} (signing region {}, {})",
                        p.credentials_description(),
                        p.request().region,
                        p.region_source()
                    ),
                    vec![],
                );
                Some(p)
            }
            Err(e) => {
                r.add("AWS credentials", Status::Fail, e.message, e.hints);
                None
            }
        },
        None => None,
    })
}

/// Whose credentials they are (STS GetCallerIdentity).
async fn caller_identity(r: &mut Report, creds: &Creds, region: &Option<String>) -> Option<Caller> {
    match (&creds, &region) {
        (Some(c), Some(reg)) => match identity::caller(c, reg).await {
            Ok(who) => {
                r.add(
                    "Caller identity",
                    Status::Pass,
                    format!("{} (account {})", who.arn, who.account),
                    vec![],
                );
                Some(who)
            }
            Err(e) => {
                r.add(
                    "Caller identity",
                    Status::Fail,
                    format!("sts:GetCallerIdentity failed: {e}"),
                    vec!["the credentials are not valid (expired, revoked, or for another partition)".into()],
                );
                None
            }
        },
        _ => {
            r.add("Caller identity", Status::Skipped, "no credentials", vec![]);
            None
        }
    }
}

/// The instance, cluster or proxy with this endpoint, and IAM auth on it.
async fn database(
    r: &mut Report,
    creds: &Creds,
    region: &Option<String>,
    caller: &Option<Caller>,
    sign_host: &str,
) -> Option<Database> {
    match (&creds, &region, &caller) {
        (Some(c), Some(reg), Some(_)) => {
            match discovery::find_by_endpoint(c, reg, sign_host).await {
                Ok(Some(db)) if db.iam_auth => {
                    r.add(
                        "Database and IAM authentication",
                        Status::Pass,
                        format!(
                            "{} {} ({}{}) in {}: IAM database authentication enabled",
                            db.kind,
                            db.identifier,
                            db.engine,
                            db.engine_version
                                .as_deref()
                                .map(|v| format!(" {v}"))
                                .unwrap_or_default(),
                            db.region
                        ),
                        vec![],
                    );
                    Some(db)
                }
                Ok(Some(db)) => {
                    r.add(
                        "Database and IAM authentication",
                        Status::Fail,
                        format!(
                            "{} {} in {}: IAM database authentication is disabled",
                            db.kind, db.identifier, db.region
                        ),
                        vec![enable_command(&db)],
                    );
                    Some(db)
                }
                Ok(None) => {
                    r.add(
                        "Database and IAM authentication",
                        Status::Fail,
                        format!("no DB instance, Aurora cluster endpoint or RDS Proxy in {reg} has the endpoint {sign_host}"),
                        vec![
                            "check the host name, the region (--aws-region) and that the credentials are for the database's account".into(),
                            "behind a tunnel, give the real endpoint with --iam-host".into(),
                        ],
                    );
                    None
                }
                Err(e) => {
                    let denied =
                        e.message.contains("AccessDenied") || e.message.contains("not authorized");
                    r.add(
                        "Database and IAM authentication",
                        if denied { Status::Skipped } else { Status::Fail },
                        e.to_string(),
                        vec!["allow rds:DescribeDBInstances, rds:DescribeDBClusters and rds:DescribeDBProxies to let rdsql look the database up".into()],
                    );
                    None
                }
            }
        }
        _ => {
            r.add(
                "Database and IAM authentication",
                Status::Skipped,
                "no credentials",
                vec![],
            );
            None
        }
    }
}

/// The `rds-db:connect` resource ARN to allow.
fn connect_resource(
    r: &mut Report,
    spec: &ServerSpec,
    db: &Option<Database>,
    caller: &Option<Caller>,
) -> Option<String> {
    let resource = match (db, caller) {
        (Some(db), Some(who)) => discovery::connect_arn(db, &who.account, &spec.user),
        _ => None,
    };
    match &resource {
        Some(arn) => r.add(
            "rds-db:connect resource",
            Status::Pass,
            format!(
                "{arn}\npolicy to attach:\n{}",
                identity::policy_document(arn)
            ),
            vec![],
        ),
        None => r.add(
            "rds-db:connect resource",
            Status::Skipped,
            "needs the caller's account and the database's resource ID",
            vec![format!(
                "the form is arn:aws:rds-db:REGION:ACCOUNT:dbuser:RESOURCE_ID/{} (RESOURCE_ID: db-… of the instance, cluster-… of the cluster, prx-… of the proxy)",
                spec.user
            )],
        ),
    }
    resource
}

/// Whether IAM allows the caller `rds-db:connect` on it (simulated).
async fn simulation(
    r: &mut Report,
    creds: &Creds,
    region: &Option<String>,
    caller: &Option<Caller>,
    resource: &Option<String>,
) {
    match (creds, region, caller, resource) {
        (Some(c), Some(reg), Some(who), Some(arn)) => {
            match identity::simulate_connect(c, reg, &who.arn, arn).await {
                Simulation::Allowed { principal } => r.add(
                    "IAM policy simulation",
                    Status::Pass,
                    format!("{principal} is allowed rds-db:connect on it"),
                    vec![],
                ),
                Simulation::Denied {
                    principal,
                    decision,
                } => r.add(
                    "IAM policy simulation",
                    Status::Fail,
                    format!("{principal}: {decision} for rds-db:connect"),
                    vec![format!(
                        "attach the policy above to {principal} (or to its permission set, for SSO)"
                    )],
                ),
                Simulation::Unavailable(why) => r.add(
                    "IAM policy simulation",
                    Status::Skipped,
                    why,
                    vec!["the simulation needs iam:GetRole and iam:SimulatePrincipalPolicy; the login below still tests the policy for real".into()],
                ),
            }
        }
        _ => r.add(
            "IAM policy simulation",
            Status::Skipped,
            "needs the caller and the resource above",
            vec![],
        ),
    }
}

/// The tunnel (when there is one) and a TCP connect; where it reached.
async fn network(
    r: &mut Report,
    spec: &ServerSpec,
    db: &Option<Database>,
) -> Option<(String, u16)> {
    let started = Instant::now();
    let (dial_host, dial_port) = match spec.dial().await {
        Ok(d) => d,
        Err(e) => {
            r.add(
                "SSH tunnel",
                Status::Fail,
                e.to_string(),
                vec!["check --ssh, the key and ~/.ssh/known_hosts (docs/ssh.md)".into()],
            );
            (spec.host.clone(), 0)
        }
    };
    let reachable = dial_port != 0;
    let reachable = reachable
        && match rdsql_db::probe::tcp(&dial_host, dial_port, PROBE_TIMEOUT).await {
            Ok(_) => {
                r.add(
                    "Network",
                    Status::Pass,
                    format!(
                        "TCP {} reached in {} ms",
                        spec.host_port(),
                        started.elapsed().as_millis()
                    ),
                    vec![],
                );
                true
            }
            Err(e) => {
                let mut fix = vec![format!(
                    "the database's security group must allow inbound TCP {} from this machine's address",
                    spec.port
                )];
                if db.as_ref().and_then(|d| d.publicly_accessible) == Some(false) {
                    fix.push("the database is not publicly accessible: reach it from inside its VPC, over a VPN, or through an SSH bastion (--ssh user@bastion)".into());
                }
                r.add("Network", Status::Fail, e, fix);
                false
            }
        };
    reachable.then_some((dial_host, dial_port))
}

/// A TLS handshake, verified for the name tokens are signed for.
async fn tls(r: &mut Report, spec: &ServerSpec, reached: Option<&(String, u16)>, sign_host: &str) {
    if let Some((dial_host, dial_port)) = reached {
        match rdsql_db::probe::tls(
            spec.engine,
            dial_host,
            *dial_port,
            sign_host,
            &spec.roots,
            PROBE_TIMEOUT,
        )
        .await
        {
            Ok(v) => r.add(
                "TLS",
                Status::Pass,
                format!("{v}; certificate verified for {sign_host} ({})", spec.roots.describe()),
                vec![],
            ),
            Err(e) => r.add(
                "TLS",
                Status::Fail,
                e,
                vec![
                    "RDS certificates chain to the Amazon RDS CA bundle, which rdsql ships; with --sslrootcert FILE only FILE's CAs count".into(),
                    format!("the certificate must name {sign_host}: behind a tunnel give the real endpoint with --iam-host"),
                ],
            ),
        }
    } else {
        r.add(
            "TLS",
            Status::Skipped,
            "the server is not reachable",
            vec![],
        );
    }
}

/// A real login with an IAM token.
async fn login(
    r: &mut Report,
    spec: &ServerSpec,
    provider: Option<&IamTokenProvider>,
    reachable: bool,
) {
    match (provider, reachable) {
        (Some(p), true) => {
            let conn_spec = ConnectionSpec::Server(spec.clone());
            match Connection::connect(&conn_spec, p as &dyn PasswordProvider).await {
                Ok(c) => {
                    let v = c.session_info().server_version.unwrap_or_default();
                    c.close().await;
                    r.add(
                        "Login",
                        Status::Pass,
                        format!("logged in as {} with an IAM token (server {v})", spec.user),
                        vec![],
                    );
                }
                Err(e) => {
                    let f = Failure::connect(e, Some(p.describe()));
                    r.add("Login", Status::Fail, f.headline, f.causes);
                }
            }
        }
        _ => r.add(
            "Login",
            Status::Skipped,
            "needs credentials and a reachable server",
            vec![],
        ),
    }
}
