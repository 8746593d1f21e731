//! Browse RDS Databases: discovery with the dialog's AWS credentials.

use super::*;

/// Browse RDS Databases: the instances, cluster endpoints and proxies the
/// dialog's AWS credentials can see in its region (docs/ui.md).
pub(super) async fn rds_databases(Json(b): Json<FormBody>) -> Response {
    let mut form = b.form.clone();
    // Discovery needs the credentials, not a host: any will do.
    if form
        .get("host")
        .and_then(|h| h.as_str())
        .is_none_or(|h| h.trim().is_empty())
    {
        form.insert("host".into(), json!("rds-discovery.invalid"));
    }
    let spec = match spec_of(&form) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let ConnectionSpec::Server(server) = spec else {
        return failure(
            Failure::local("choose a server engine", vec![]),
            Some("engine"),
        );
    };
    if !server.auth.needs_aws_credentials() {
        return failure(
            Failure::local(
                "choose an AWS authentication method first (IAM keys, AWS profile or SSO)",
                vec![],
            ),
            Some("auth"),
        );
    }
    let ui = sessions::FormInteraction::new(form::mfa_code(&b.form));
    let source = match rdsql_connect::open::credential_source(&server, &ui, &sessions::env).await {
        Ok(s) => s,
        Err(e @ rdsql_connect::Error::SignIn { .. }) => {
            return open_error(OpenError::SignIn(Failure::from(e)));
        }
        Err(e) => {
            let field = match e {
                rdsql_connect::Error::MfaCodeNeeded { .. } => "mfa_code",
                _ => "auth",
            };
            return failure(Failure::from(e), Some(field));
        }
    };
    let (creds, profile_region) = match rdsql_aws::ResolvedCredentials::new(&source).await {
        Ok(c) => c,
        Err(e) => {
            return failure(
                Failure {
                    headline: e.to_string(),
                    causes: e.hints,
                    details: vec![],
                    exit_code: rdsql_connect::report::EXIT_CONNECT,
                },
                Some("auth"),
            );
        }
    };
    let region = rdsql_aws::region::listing_region(
        server.auth.region().map(str::to_string),
        profile_region,
        &sessions::env,
    );
    let Some(region) = region else {
        return failure(
            Failure::local(
                "which region? Type the AWS Region to list its databases",
                vec![],
            ),
            Some("aws_region"),
        );
    };
    let creds = std::sync::Arc::new(creds);
    match rdsql_aws::discovery::list(&creds, &region).await {
        Ok(list) => Json(json!({
            "region": region,
            "databases": list.iter().map(|d| json!({
                "kind": d.kind,
                "identifier": d.identifier,
                "engine": d.engine,
                "rdsql_engine": d.rdsql_engine(),
                "engine_version": d.engine_version,
                "endpoint": d.endpoint,
                "port": d.port,
                "iam_auth": d.iam_auth,
                "publicly_accessible": d.publicly_accessible,
                "status": d.status,
                "enable_iam": rdsql_connect::check::enable_command(d),
            })).collect::<Vec<_>>(),
        }))
        .into_response(),
        Err(e) => failure(
            Failure {
                headline: e.to_string(),
                causes: vec![
                    "the credentials need rds:DescribeDBInstances, rds:DescribeDBClusters and rds:DescribeDBProxies".into(),
                    format!("credentials used: {}", creds.description()),
                ],
                details: vec![],
                exit_code: rdsql_connect::report::EXIT_CONNECT,
            },
            Some("aws_region"),
        ),
    }
}
