//! `rdsql aws profiles`: the profiles of the AWS config and credentials
//! files, read afresh on every call.

use crate::cli::AwsCommand;
use crate::report::Failure;

pub async fn run(cmd: AwsCommand) -> Result<(), Failure> {
    let AwsCommand::Profiles { json } = cmd;
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
