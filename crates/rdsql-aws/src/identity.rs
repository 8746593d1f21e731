//! Who the credentials are, and whether IAM lets them connect: STS
//! `GetCallerIdentity` and IAM `SimulatePrincipalPolicy` for `rds-db:connect`
//! (`rdsql aws check`, docs/aws.md).

use crate::credentials::ResolvedCredentials;
use crate::discovery::sdk_config;
use crate::errors::error_chain;
use std::sync::Arc;

/// The caller behind the credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub account: String,
    pub arn: String,
}

fn message<E>(e: aws_sdk_sts::error::SdkError<E>) -> (Option<String>, String)
where
    E: aws_sdk_sts::error::ProvideErrorMetadata + std::error::Error + 'static,
{
    match &e {
        aws_sdk_sts::error::SdkError::ServiceError(s) => (
            s.err().code().map(str::to_string),
            format!(
                "{}: {}",
                s.err().code().unwrap_or("error"),
                s.err().message().unwrap_or_default()
            ),
        ),
        other => (None, error_chain(other)),
    }
}

/// STS `GetCallerIdentity` (allowed for every principal).
pub async fn caller(creds: &Arc<ResolvedCredentials>, region: &str) -> Result<Caller, String> {
    let client = aws_sdk_sts::Client::new(&sdk_config(creds, region).await);
    let out = client
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| message(e).1)?;
    Ok(Caller {
        account: out.account().unwrap_or_default().to_string(),
        arn: out.arn().unwrap_or_default().to_string(),
    })
}

/// The outcome of a policy simulation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Simulation {
    /// `allowed`.
    Allowed { principal: String },
    /// `implicitDeny` or `explicitDeny`.
    Denied { principal: String, decision: String },
    /// The simulation could not run (no permission for it, not
    /// supported): why.
    Unavailable(String),
}

/// The IAM principal ARN to simulate for a caller ARN: users and roles as
/// they are; an assumed-role session becomes its role (with the role's
/// path, from `GetRole`).
async fn principal(client: &aws_sdk_iam::Client, caller_arn: &str) -> Result<String, String> {
    let Some(rest) = caller_arn.split_once(":assumed-role/").map(|x| x.1) else {
        return Ok(caller_arn.to_string());
    };
    let role = rest.split('/').next().unwrap_or_default();
    let out = client
        .get_role()
        .role_name(role)
        .send()
        .await
        .map_err(|e| match &e {
            aws_sdk_iam::error::SdkError::ServiceError(s) => format!(
                "could not read role {role} (iam:GetRole): {}: {}",
                aws_sdk_iam::error::ProvideErrorMetadata::code(s.err()).unwrap_or("error"),
                aws_sdk_iam::error::ProvideErrorMetadata::message(s.err()).unwrap_or_default()
            ),
            other => error_chain(other),
        })?;
    out.role()
        .map(|r| r.arn().to_string())
        .ok_or_else(|| format!("iam:GetRole returned no role {role}"))
}

/// `SimulatePrincipalPolicy` of `rds-db:connect` on `resource` for the
/// caller.
pub async fn simulate_connect(
    creds: &Arc<ResolvedCredentials>,
    region: &str,
    caller_arn: &str,
    resource: &str,
) -> Simulation {
    let client = aws_sdk_iam::Client::new(&sdk_config(creds, region).await);
    let principal = match principal(&client, caller_arn).await {
        Ok(p) => p,
        Err(e) => return Simulation::Unavailable(e),
    };
    let out = client
        .simulate_principal_policy()
        .policy_source_arn(&principal)
        .action_names("rds-db:connect")
        .resource_arns(resource)
        .send()
        .await;
    match out {
        Ok(o) => {
            let decision = o
                .evaluation_results()
                .first()
                .map(|r| r.eval_decision().as_str().to_string())
                .unwrap_or_default();
            if decision == "allowed" {
                Simulation::Allowed { principal }
            } else {
                Simulation::Denied {
                    principal,
                    decision,
                }
            }
        }
        Err(e) => Simulation::Unavailable(match &e {
            aws_sdk_iam::error::SdkError::ServiceError(s) => format!(
                "iam:SimulatePrincipalPolicy: {}: {}",
                aws_sdk_iam::error::ProvideErrorMetadata::code(s.err()).unwrap_or("error"),
                aws_sdk_iam::error::ProvideErrorMetadata::message(s.err()).unwrap_or_default()
            ),
            other => format!("iam:SimulatePrincipalPolicy: {}", error_chain(other)),
        }),
    }
}

/// A policy document allowing `rds-db:connect` on `resource` (keys in
/// the order AWS writes them).
pub fn policy_document(resource: &str) -> String {
    let r = serde_json::to_string(resource).unwrap_or_default();
    format!(
        "{{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {{\n      \"Effect\": \"Allow\",\n      \"Action\": \"rds-db:connect\",\n      \"Resource\": {r}\n    }}\n  ]\n}}"
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn policy_is_json_in_aws_order() {
        let p = super::policy_document("arn:aws:rds-db:eu-west-1:1:dbuser:db-X/u");
        let v: serde_json::Value = serde_json::from_str(&p).unwrap();
        assert_eq!(v["Statement"][0]["Action"], "rds-db:connect");
        assert!(p.find("Version").unwrap() < p.find("Statement").unwrap());
    }
}
