//! `--auth iam-keys`: an access key ID and its secret (flags, the
//! environment, a saved connection, or a prompt), maybe a session token.

use crate::{Error, Interaction};
use rdsql_aws::CredentialSource;
use rdsql_db::Secret;

/// The keys to sign with.
pub(crate) fn source(
    access_key_id: &Option<String>,
    secret_access_key: &Option<Secret>,
    given_token: &Option<Secret>,
    ui: &dyn Interaction,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<CredentialSource, Error> {
    let access_key_id = access_key_id
        .clone()
        .or_else(|| env("AWS_ACCESS_KEY_ID"))
        .ok_or_else(|| {
            Error::setup(
                "--auth iam-keys needs an access key ID",
                vec!["give --aws-access-key-id AKIA… (or set AWS_ACCESS_KEY_ID)".into()],
            )
        })?;
    let (secret, session_token) = match secret_access_key
        .clone()
        .or_else(|| env("AWS_SECRET_ACCESS_KEY").map(Secret::new))
    {
        Some(s) => (
            s,
            given_token
                .clone()
                .or_else(|| env("AWS_SESSION_TOKEN").map(Secret::new)),
        ),
        None if ui.can_prompt() => {
            let s = ui.secret(&format!("AWS secret access key for {access_key_id}: "))?;
            let t = ui.secret("AWS session token (empty if none): ")?;
            let t = env("AWS_SESSION_TOKEN")
                .map(Secret::new)
                .or((!t.expose().is_empty()).then_some(t));
            (s, t)
        }
        None => {
            return Err(Error::setup(
                        format!("no secret access key for {access_key_id}"),
                        vec![
                            "set AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary keys), save it with rdsql conn add, or run on a terminal to be asked".into(),
                            "the secret is never accepted as a command-line argument".into(),
                        ],
                    ));
        }
    };
    Ok(CredentialSource::Keys {
        access_key_id,
        secret_access_key: secret,
        session_token,
    })
}
