//! `--auth sso`: IAM Identity Center role credentials, signing in first
//! where a person can.

use crate::{Error, Interaction};
use rdsql_aws::CredentialSource;
use rdsql_aws::sso::{self, SsoSession};
use rdsql_db::SsoSignIn;

/// `--auth sso`: an SSO profile, or a custom start URL + SSO region; the
/// account and role from the fields or the profile. Signs in first when no
/// valid token is cached and a person is there to do it.
pub(crate) async fn source(
    sign_in: &SsoSignIn,
    account_id: &Option<String>,
    role_name: &Option<String>,
    ui: &dyn Interaction,
    env: &(dyn Fn(&str) -> Option<String> + Sync),
) -> Result<CredentialSource, Error> {
    let sso_config = |e: sso::SsoConfigError| Error::Setup {
        message: e.message,
        hints: e.hints,
    };
    let (session, account, role, profile_region) = match sign_in {
        SsoSignIn::Custom { start_url, region } => (
            custom_session(start_url, region)?,
            account_id.clone(),
            role_name.clone(),
            None,
        ),
        SsoSignIn::Profile(profile) => {
            let Some(name) = profile.clone().or_else(|| env("AWS_PROFILE")) else {
                return Err(Error::setup(
                    "--auth sso needs an SSO profile (--aws-profile) or --sso-start-url and --sso-region",
                    vec!["rdsql aws profiles lists the SSO profiles found".into()],
                ));
            };
            let p = sso::profile_by_name(&name).await.map_err(sso_config)?;
            (
                p.session,
                account_id.clone().or(p.account_id),
                role_name.clone().or(p.role_name),
                p.region,
            )
        }
    };
    let (Some(account_id), Some(role_name)) = (account, role) else {
        return Err(Error::setup(
            "--auth sso needs an AWS account ID and a role name",
            vec![
                "give --sso-account-id ID --sso-role-name NAME (or set sso_account_id / sso_role_name in the profile)".into(),
                format!("to choose: rdsql sso accounts {0}, then rdsql sso roles --account-id ID {0}", select_flags(&session)),
            ],
        ));
    };
    if let Err(e) = sso::login::valid_token(&session).await {
        if !ui.can_prompt() {
            return Err(Error::SignIn {
                message: e.message,
                hints: e.hints,
            });
        }
        ui.sso_sign_in(&session, &e.message).await?;
    }
    Ok(CredentialSource::Sso {
        session,
        account_id,
        role_name,
        profile_region,
    })
}

/// A custom sign-in, checked: the start URL must be https and the region a
/// region name (it becomes part of the endpoints' host names, so a crafted
/// one could send the SSO tokens elsewhere).
pub fn custom_session(start_url: &str, region: &str) -> Result<SsoSession, Error> {
    if !rdsql_aws::region::is_region_name(region) {
        return Err(Error::setup(
            format!("{region:?} is not an AWS region name"),
            vec!["the SSO region is where IAM Identity Center runs, e.g. us-east-1".into()],
        ));
    }
    if !start_url.starts_with("https://") {
        return Err(Error::setup(
            format!("the SSO start URL {start_url:?} is not an https:// address"),
            vec!["it looks like https://my-org.awsapps.com/start".into()],
        ));
    }
    Ok(SsoSession::custom(start_url, region))
}

/// The `rdsql sso …` flags that name `s`.
pub fn select_flags(s: &SsoSession) -> String {
    match &s.selector {
        sso::Selector::Profile(p) => format!("--profile {p}"),
        sso::Selector::Session(n) => format!("--sso-session {n}"),
        sso::Selector::Custom => {
            format!("--sso-start-url {} --sso-region {}", s.start_url, s.region)
        }
    }
}
