//! RDS discovery: DB instances, Aurora clusters (writer and reader
//! endpoints) and RDS Proxies of a region, through `aws-sdk-rds`
//! (`AWS_ENDPOINT_URL_RDS` honoured by the SDK). docs/aws.md.

use crate::credentials::ResolvedCredentials;
use crate::errors::error_chain;
use aws_credential_types::provider::{
    ProvideCredentials, SharedCredentialsProvider, error, future,
};
use serde::Serialize;
use std::sync::Arc;

/// Regions `--all-regions` asks, those where RDS runs in the commercial
/// partition (2026-11). Regions not enabled for the account answer with
/// an authentication error and are reported as skipped.
pub const RDS_REGIONS: &[&str] = &[
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "af-south-1",
    "ap-east-1",
    "ap-east-2",
    "ap-south-1",
    "ap-south-2",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-7",
    "ca-central-1",
    "ca-west-1",
    "eu-central-1",
    "eu-central-2",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    "mx-central-1",
    "sa-east-1",
];

/// One endpoint a client can connect to.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Database {
    /// `instance`, `cluster-writer`, `cluster-reader` or `proxy`.
    pub kind: String,
    pub identifier: String,
    pub engine: String,
    pub engine_version: Option<String>,
    pub endpoint: Option<String>,
    pub port: Option<i32>,
    /// IAM database authentication (for a proxy: IAM auth required or
    /// allowed on one of its auth entries).
    pub iam_auth: bool,
    pub publicly_accessible: Option<bool>,
    pub status: Option<String>,
    pub region: String,
    /// The resource ID in `rds-db` ARNs (`db-…`, `cluster-…`, `prx-…`).
    pub resource_id: Option<String>,
    pub arn: Option<String>,
}

impl Database {
    /// The engine rdsql connects with (`postgres`, `mysql`, `mariadb`).
    pub fn rdsql_engine(&self) -> &'static str {
        let e = self.engine.to_ascii_lowercase();
        if e.contains("postgres") {
            "postgres"
        } else if e.contains("mariadb") {
            "mariadb"
        } else {
            "mysql"
        }
    }
}

/// A region's listing failed.
#[derive(Debug, thiserror::Error)]
#[error("could not list RDS databases in {region}: {message}")]
pub struct DiscoveryError {
    pub region: String,
    pub message: String,
    /// The account cannot use the region (not enabled): skipped, not failed.
    pub not_enabled: bool,
}

/// Lets the SDK use rdsql's credentials (held, refreshed, MFA cache).
#[derive(Debug, Clone)]
pub struct SdkCredentials(pub Arc<ResolvedCredentials>);

impl ProvideCredentials for SdkCredentials {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::new(async move {
            self.0
                .credentials()
                .await
                .map_err(error::CredentialsError::provider_error)
        })
    }
}

/// An SDK configuration for `region` with these credentials.
pub async fn sdk_config(creds: &Arc<ResolvedCredentials>, region: &str) -> aws_types::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(region.to_string()))
        .credentials_provider(SharedCredentialsProvider::new(SdkCredentials(
            creds.clone(),
        )))
        .load()
        .await
}

fn sdk_error<E>(region: &str, e: aws_sdk_rds::error::SdkError<E>) -> DiscoveryError
where
    E: aws_sdk_rds::error::ProvideErrorMetadata + std::error::Error + 'static,
{
    let code = match &e {
        aws_sdk_rds::error::SdkError::ServiceError(s) => s.err().code().map(str::to_string),
        _ => None,
    };
    let message = match &e {
        aws_sdk_rds::error::SdkError::ServiceError(s) => format!(
            "{}: {}",
            s.err().code().unwrap_or("error"),
            s.err().message().unwrap_or_default()
        ),
        other => error_chain(other),
    };
    DiscoveryError {
        region: region.to_string(),
        not_enabled: matches!(
            code.as_deref(),
            Some("InvalidClientTokenId" | "UnrecognizedClientException" | "AuthFailure")
        ),
        message,
    }
}

/// Every instance, cluster endpoint and proxy of `region`, paginated.
pub async fn list(
    creds: &Arc<ResolvedCredentials>,
    region: &str,
) -> Result<Vec<Database>, DiscoveryError> {
    let client = aws_sdk_rds::Client::new(&sdk_config(creds, region).await);
    let mut out = vec![];
    let instances = client
        .describe_db_instances()
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(|e| sdk_error(region, e))?;
    for i in instances {
        let ep = i.endpoint();
        out.push(Database {
            kind: "instance".into(),
            identifier: i.db_instance_identifier().unwrap_or_default().into(),
            engine: i.engine().unwrap_or_default().into(),
            engine_version: i.engine_version().map(str::to_string),
            endpoint: ep.and_then(|e| e.address()).map(str::to_string),
            port: ep.and_then(|e| e.port()),
            iam_auth: i.iam_database_authentication_enabled().unwrap_or(false),
            publicly_accessible: i.publicly_accessible(),
            status: i.db_instance_status().map(str::to_string),
            region: region.to_string(),
            resource_id: i.dbi_resource_id().map(str::to_string),
            arn: i.db_instance_arn().map(str::to_string),
        });
    }
    let clusters = client
        .describe_db_clusters()
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(|e| sdk_error(region, e))?;
    for c in clusters {
        let base = Database {
            kind: "cluster-writer".into(),
            identifier: c.db_cluster_identifier().unwrap_or_default().into(),
            engine: c.engine().unwrap_or_default().into(),
            engine_version: c.engine_version().map(str::to_string),
            endpoint: c.endpoint().map(str::to_string),
            port: c.port(),
            iam_auth: c.iam_database_authentication_enabled().unwrap_or(false),
            publicly_accessible: c.publicly_accessible(),
            status: c.status().map(str::to_string),
            region: region.to_string(),
            resource_id: c.db_cluster_resource_id().map(str::to_string),
            arn: c.db_cluster_arn().map(str::to_string),
        };
        let reader = c.reader_endpoint().map(|r| Database {
            kind: "cluster-reader".into(),
            endpoint: Some(r.to_string()),
            ..base.clone()
        });
        out.push(base);
        out.extend(reader);
    }
    let proxies = client
        .describe_db_proxies()
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(|e| sdk_error(region, e))?;
    for p in proxies {
        let family = p.engine_family().unwrap_or_default().to_string();
        let iam = p.auth().iter().any(|a| {
            a.iam_auth().is_some_and(|m| {
                m.as_str().eq_ignore_ascii_case("REQUIRED")
                    || m.as_str().eq_ignore_ascii_case("ENABLED")
            })
        });
        let arn = p.db_proxy_arn().map(str::to_string);
        out.push(Database {
            kind: "proxy".into(),
            identifier: p.db_proxy_name().unwrap_or_default().into(),
            port: Some(if family.eq_ignore_ascii_case("POSTGRESQL") {
                5432
            } else {
                3306
            }),
            engine: family.to_ascii_lowercase(),
            engine_version: None,
            endpoint: p.endpoint().map(str::to_string),
            iam_auth: iam,
            publicly_accessible: None,
            status: p.status().map(|s| s.as_str().to_string()),
            region: region.to_string(),
            resource_id: arn
                .as_deref()
                .and_then(|a| a.rsplit(':').next())
                .map(str::to_string),
            arn,
        });
    }
    Ok(out)
}

/// The database whose endpoint is `host` (case-insensitive), searching
/// `region`.
pub async fn find_by_endpoint(
    creds: &Arc<ResolvedCredentials>,
    region: &str,
    host: &str,
) -> Result<Option<Database>, DiscoveryError> {
    Ok(list(creds, region).await?.into_iter().find(|d| {
        d.endpoint
            .as_deref()
            .is_some_and(|e| e.eq_ignore_ascii_case(host.trim_end_matches('.')))
    }))
}

/// The `rds-db:connect` resource for `user` on `db`.
pub fn connect_arn(db: &Database, account: &str, user: &str) -> Option<String> {
    let partition = if db.region.starts_with("cn-") {
        "aws-cn"
    } else if db.region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    };
    Some(format!(
        "arn:{partition}:rds-db:{}:{account}:dbuser:{}/{user}",
        db.region,
        db.resource_id.as_deref()?
    ))
}
