//! `rdsql aws profiles | databases | check` (docs/aws.md).

use crate::cli::{AwsCommand, AwsDatabasesArgs};
use crate::connect::{self, Terminal};
use crate::report::{EXIT_CONNECT, EXIT_LOCAL, Failure};
use rdsql_aws::discovery::{self, Database};
use rdsql_aws::{CredentialSource, ResolvedCredentials};
use rdsql_db::{ConnectionSpec, ResultSink};
use std::sync::Arc;

pub async fn run(cmd: AwsCommand) -> Result<(), Failure> {
    match cmd {
        AwsCommand::Profiles { json } => profiles(json).await,
        AwsCommand::Databases(args) => databases(args).await,
        AwsCommand::Check { conn, json } => check(conn, json).await,
    }
}

async fn profiles(json: bool) -> Result<(), Failure> {
    let profiles = rdsql_aws::profiles::list().await.map_err(|e| {
        Failure::local(
            e,
            vec!["fix the AWS config or credentials file at the line named above".into()],
        )
    })?;
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&profiles).unwrap_or_default()
        );
        return Ok(());
    }
    let w = profiles
        .iter()
        .map(|p| p.name.len())
        .max()
        .unwrap_or(4)
        .max(4);
    println!(
        "{:<w$}  {:<18} {:<14} {:<14} {:<13} start_url",
        "name", "kind", "region", "sso_region", "account"
    );
    for p in &profiles {
        let d = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
        println!(
            "{:<w$}  {:<18} {:<14} {:<14} {:<13} {}{}",
            p.name,
            p.kind,
            d(&p.region),
            d(&p.sso_region),
            d(&p.sso_account_id),
            d(&p.sso_start_url),
            p.sso_role_name
                .as_ref()
                .map(|r| format!(" (role {r})"))
                .unwrap_or_default()
        );
    }
    Ok(())
}

fn credentials_failure(e: rdsql_aws::CredentialsError) -> Failure {
    Failure {
        headline: e.to_string(),
        causes: e.hints,
        details: vec![],
        exit_code: EXIT_CONNECT,
    }
}

/// The credentials `rdsql aws databases` uses, and the profile's region.
async fn credentials(
    profile: Option<String>,
) -> Result<(Arc<ResolvedCredentials>, Option<String>), Failure> {
    let source = match profile.or_else(|| connect::env("AWS_PROFILE").filter(|p| !p.is_empty())) {
        Some(p) => rdsql_connect::open::profile_source(p, &Terminal)
            .await
            .map_err(Failure::from)?,
        None => CredentialSource::DefaultChain,
    };
    let (creds, region) = ResolvedCredentials::new(&source)
        .await
        .map_err(credentials_failure)?;
    let region = match (region, &source) {
        (Some(r), _) => Some(r),
        (None, CredentialSource::DefaultChain) => {
            rdsql_aws::profiles::default_profile_region().await
        }
        _ => None,
    };
    Ok((Arc::new(creds), region))
}

async fn databases(args: AwsDatabasesArgs) -> Result<(), Failure> {
    let (creds, profile_region) = credentials(args.aws_profile.clone()).await?;
    let regions: Vec<String> = if args.all_regions {
        discovery::RDS_REGIONS
            .iter()
            .map(|r| r.to_string())
            .collect()
    } else {
        let r = rdsql_aws::region::listing_region(
            args.aws_region.clone(),
            profile_region,
            &connect::env,
        )
        .ok_or_else(|| {
            Failure::local(
                "no AWS region to list",
                vec![
                    "give --aws-region REGION, or --all-regions".into(),
                    "or set region in the profile, or AWS_REGION".into(),
                ],
            )
        })?;
        vec![r]
    };
    // Regions in parallel: --all-regions is ~30 round trips.
    let mut tasks = tokio::task::JoinSet::new();
    for (i, region) in regions.iter().enumerate() {
        let creds = creds.clone();
        let region = region.clone();
        tasks.spawn(async move { (i, discovery::list(&creds, &region).await) });
    }
    let mut results = vec![];
    while let Some(r) = tasks.join_next().await {
        if let Ok(r) = r {
            results.push(r);
        }
    }
    results.sort_by_key(|r| r.0);
    let mut all: Vec<Database> = vec![];
    let mut skipped = vec![];
    let mut failed = vec![];
    for (_, r) in results {
        match r {
            Ok(dbs) => all.extend(dbs),
            Err(e) if e.not_enabled && args.all_regions => skipped.push(e.region),
            Err(e) => failed.push(e),
        }
    }
    if !failed.is_empty() && (failed.len() == regions.len() || !args.all_regions) {
        let e = &failed[0];
        return Err(Failure {
            headline: e.to_string(),
            causes: vec![
                "the credentials need rds:DescribeDBInstances, rds:DescribeDBClusters and rds:DescribeDBProxies".into(),
                format!("credentials used: {}", creds.description()),
            ],
            details: vec![],
            exit_code: EXIT_CONNECT,
        });
    }
    for e in &failed {
        eprintln!("warning: {e}");
    }
    if !skipped.is_empty() {
        eprintln!(
            "skipped {} region(s) not enabled for this account: {}",
            skipped.len(),
            skipped.join(", ")
        );
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&all).unwrap_or_default());
        return Ok(());
    }
    let mut cols = vec![
        "kind",
        "identifier",
        "engine",
        "version",
        "endpoint",
        "port",
        "iam_auth",
        "public",
        "status",
    ];
    if args.all_regions {
        cols.push("region");
    }
    let out = Box::new(std::io::stdout());
    let mut sink = rdsql_output::sink(
        rdsql_output::Format::Table,
        out,
        rdsql_output::Status { quiet: true },
    );
    let write = |sink: &mut Box<dyn ResultSink>| -> std::io::Result<()> {
        sink.begin_result(&cols.iter().map(|c| c.to_string()).collect::<Vec<_>>())?;
        for d in &all {
            let port = d.port.map(|p| p.to_string());
            let public = d
                .publicly_accessible
                .map(|p| if p { "yes" } else { "no" }.to_string());
            let mut row: Vec<Option<&[u8]>> = vec![
                Some(d.kind.as_bytes()),
                Some(d.identifier.as_bytes()),
                Some(d.engine.as_bytes()),
                d.engine_version.as_deref().map(str::as_bytes),
                d.endpoint.as_deref().map(str::as_bytes),
                port.as_deref().map(str::as_bytes),
                Some(if d.iam_auth { b"on" } else { b"off" }),
                public.as_deref().map(str::as_bytes),
                d.status.as_deref().map(str::as_bytes),
            ];
            if args.all_regions {
                row.push(Some(d.region.as_bytes()));
            }
            sink.row(&row)?;
        }
        sink.end_result(all.len() as u64)
    };
    write(&mut sink).map_err(|e| Failure::local(format!("could not write output: {e}"), vec![]))
}

async fn check(conn: crate::cli::ConnArgs, json: bool) -> Result<(), Failure> {
    let spec = connect::resolve(&conn)?;
    let ConnectionSpec::Server(server) = spec else {
        return Err(Failure::local(
            "rdsql aws check is for IAM and SSO connections to a server",
            vec![],
        ));
    };
    let report = rdsql_connect::check::run(&server, &Terminal, &connect::env)
        .await
        .map_err(Failure::from)?;
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).unwrap_or_default()
        );
    } else {
        print!("{}", report.render());
    }
    if report.all_passed() {
        Ok(())
    } else {
        Err(Failure {
            headline: "not every check passed (see above)".into(),
            causes: vec![],
            details: vec![],
            exit_code: if report
                .checks
                .iter()
                .any(|c| c.status == rdsql_connect::check::Status::Fail)
            {
                EXIT_CONNECT
            } else {
                EXIT_LOCAL
            },
        })
    }
}
