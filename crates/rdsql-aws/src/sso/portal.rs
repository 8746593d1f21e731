//! The Identity Center portal: role credentials, account and role lists,
//! sign-out.

use super::SsoSession;
use super::login::{LoginError, portal_client};
use aws_credential_types::Credentials;
use rdsql_secret::Secret;
use std::time::{Duration, SystemTime};

fn err(message: String, session: &SsoSession) -> LoginError {
    LoginError {
        message,
        hints: vec![
            format!("the sign-in may have been revoked or expired: {}", session.login_command()),
            "check the account ID and role name (rdsql sso accounts, rdsql sso roles --account-id ID)".into(),
        ],
    }
}

/// `GetRoleCredentials` for `role` in `account`.
pub async fn role_credentials(
    session: &SsoSession,
    token: &Secret,
    account: &str,
    role: &str,
) -> Result<Credentials, LoginError> {
    let client = portal_client(&session.region).await;
    let out = client
        .get_role_credentials()
        .access_token(token.expose())
        .account_id(account)
        .role_name(role)
        .send()
        .await
        .map_err(|e| {
            err(
                format!(
                    "could not get credentials for role {role} in account {account}: {}",
                    crate::errors::error_chain(&e)
                ),
                session,
            )
        })?;
    let rc = out
        .role_credentials()
        .ok_or_else(|| err("the portal returned no role credentials".into(), session))?;
    let expiry = SystemTime::UNIX_EPOCH + Duration::from_millis(rc.expiration().max(0) as u64);
    Ok(Credentials::new(
        rc.access_key_id().unwrap_or_default(),
        rc.secret_access_key().unwrap_or_default(),
        rc.session_token().map(str::to_string),
        Some(expiry),
        "rdsql-sso",
    ))
}

/// An account the sign-in can use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub id: String,
    pub name: String,
    pub email: String,
}

/// Every account (all pages of `ListAccounts`).
pub async fn accounts(session: &SsoSession, token: &Secret) -> Result<Vec<Account>, LoginError> {
    let client = portal_client(&session.region).await;
    let mut out = vec![];
    let mut next: Option<String> = None;
    loop {
        let page = client
            .list_accounts()
            .access_token(token.expose())
            .set_next_token(next.clone())
            .send()
            .await
            .map_err(|e| {
                err(
                    format!(
                        "could not list accounts: {}",
                        crate::errors::error_chain(&e)
                    ),
                    session,
                )
            })?;
        for a in page.account_list() {
            out.push(Account {
                id: a.account_id().unwrap_or_default().to_string(),
                name: a.account_name().unwrap_or_default().to_string(),
                email: a.email_address().unwrap_or_default().to_string(),
            });
        }
        next = page.next_token().map(str::to_string);
        if next.is_none() {
            return Ok(out);
        }
    }
}

/// Every role of `account` (all pages of `ListAccountRoles`).
pub async fn roles(
    session: &SsoSession,
    token: &Secret,
    account: &str,
) -> Result<Vec<String>, LoginError> {
    let client = portal_client(&session.region).await;
    let mut out = vec![];
    let mut next: Option<String> = None;
    loop {
        let page = client
            .list_account_roles()
            .access_token(token.expose())
            .account_id(account)
            .set_next_token(next.clone())
            .send()
            .await
            .map_err(|e| {
                err(
                    format!(
                        "could not list roles of account {account}: {}",
                        crate::errors::error_chain(&e)
                    ),
                    session,
                )
            })?;
        out.extend(
            page.role_list()
                .iter()
                .filter_map(|r| r.role_name().map(str::to_string)),
        );
        next = page.next_token().map(str::to_string);
        if next.is_none() {
            return Ok(out);
        }
    }
}

/// `Logout`: ends the portal session for this token.
pub async fn logout(session: &SsoSession, token: &Secret) -> Result<(), LoginError> {
    let client = portal_client(&session.region).await;
    client
        .logout()
        .access_token(token.expose())
        .send()
        .await
        .map(|_| ())
        .map_err(|e| {
            err(
                format!("sign-out call failed: {}", crate::errors::error_chain(&e)),
                session,
            )
        })
}
