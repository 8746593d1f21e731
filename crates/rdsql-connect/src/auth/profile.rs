//! `--auth iam-profile`: a named AWS profile (or the default chain); one
//! whose role demands MFA gets its code before any connect timeout.

use crate::{Error, Interaction};
use rdsql_aws::CredentialSource;

/// A named profile; one whose role demands MFA gets its code asked for
/// now — before any connect timeout — unless the shared cache holds valid
/// role credentials (docs/mfa.md).
pub async fn source(name: String, ui: &dyn Interaction) -> Result<CredentialSource, Error> {
    let role = rdsql_aws::mfa::mfa_role(&name).await.map_err(|e| {
        Error::setup(
            e,
            vec![
                "fix the profile in the AWS config file (AWS_CONFIG_FILE, else ~/.aws/config)"
                    .into(),
            ],
        )
    })?;
    let Some(role) = role else {
        return Ok(CredentialSource::Profile(name));
    };
    if role.cached().is_some() {
        return Ok(CredentialSource::MfaProfile { name, code: None });
    }
    let Some(code) = ui.mfa_code(&role.prompt()) else {
        return Err(Error::MfaCodeNeeded {
            message: rdsql_aws::mfa::no_terminal(&role),
            hints: vec![
                "run rdsql on a terminal to be asked for the code, or type it in the UI's MFA Code field".into(),
                format!(
                    "or fill the shared cache first: aws sts get-caller-identity --profile {name} (rdsql uses the AWS CLI's cache)"
                ),
            ],
        });
    };
    let code = code?;
    Ok(CredentialSource::MfaProfile {
        name,
        code: Some(code),
    })
}
