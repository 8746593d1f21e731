//! `rdsql sso login|logout|accounts|roles`.

use crate::cli::SsoCommand;
use crate::report::Failure;
use crate::signin::{login_failure, session_for, sign_in};
use rdsql_aws::sso::{cache, login, portal};
use std::time::Duration;

pub async fn run(cmd: SsoCommand) -> Result<(), Failure> {
    match cmd {
        SsoCommand::Login(a) => {
            let session = session_for(&a.select).await?;
            let opts = login::LoginOptions {
                use_device_code: a.use_device_code,
                timeout: Duration::from_secs(a.timeout.max(1)),
                ..Default::default()
            };
            sign_in(&session, &opts, !a.no_browser).await?;
            let dir = cache::cache_dir().unwrap_or_default();
            eprintln!(
                "Signed in to {} (SSO region {}); token cached in {} (shared with the AWS CLI).",
                session.start_url,
                session.region,
                cache::cache_path(&dir, &session.cache_key).display()
            );
            Ok(())
        }
        SsoCommand::Logout(select) => {
            let session = session_for(&select).await?;
            let dir =
                cache::cache_dir().ok_or_else(|| Failure::local("HOME is not set", vec![]))?;
            let cached = cache::load(&dir, &session.cache_key)
                .map_err(|e| Failure::local(e.to_string(), vec![]))?;
            let Some(tok) = cached else {
                eprintln!("Not signed in to {}; nothing to do.", session.start_url);
                return Ok(());
            };
            // Remove the local token even if the portal call fails.
            let remote = portal::logout(&session, &tok.access()).await;
            cache::remove(&dir, &session.cache_key)
                .map_err(|e| Failure::local(e.to_string(), vec![]))?;
            match remote {
                Ok(()) => eprintln!("Signed out of {}.", session.start_url),
                Err(e) => eprintln!(
                    "Removed the cached token; the portal sign-out failed: {}",
                    e.message
                ),
            }
            Ok(())
        }
        SsoCommand::Accounts { select, json } => {
            let session = session_for(&select).await?;
            let tok = login::valid_token(&session).await.map_err(login_failure)?;
            let accounts = portal::accounts(&session, &tok.access())
                .await
                .map_err(login_failure)?;
            if json {
                let v: Vec<_> = accounts
                    .iter()
                    .map(|a| serde_json::json!({"account_id": a.id, "account_name": a.name, "email": a.email}))
                    .collect();
                println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
            } else {
                println!("{:<14} {:<30} email", "account_id", "name");
                for a in accounts {
                    println!("{:<14} {:<30} {}", a.id, a.name, a.email);
                }
            }
            Ok(())
        }
        SsoCommand::Roles {
            select,
            account_id,
            json,
        } => {
            let session = session_for(&select).await?;
            let tok = login::valid_token(&session).await.map_err(login_failure)?;
            let roles = portal::roles(&session, &tok.access(), &account_id)
                .await
                .map_err(login_failure)?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&roles).unwrap_or_default()
                );
            } else {
                for r in roles {
                    println!("{r}");
                }
            }
            Ok(())
        }
    }
}
