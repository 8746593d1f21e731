//! `--auth password`: the password given (URL, environment, saved), or
//! asked for once when the server wants one and nothing gave it, as psql.

use crate::open::connect_with;
use crate::{Error, Interaction};
use rdsql_db::{
    ConnectFailure, Connection, ConnectionSpec, PasswordProvider, Secret, ServerSpec,
    StaticPassword,
};
use std::sync::Arc;

pub(crate) async fn open_with_password(
    spec: &ConnectionSpec,
    server: &ServerSpec,
    password: Option<Secret>,
    ui: &dyn Interaction,
    env: &(dyn Fn(&str) -> Option<String> + Sync),
) -> Result<(Connection, Arc<dyn PasswordProvider>), Error> {
    let given = password.is_some();
    let provider: Arc<dyn PasswordProvider> = match password {
        Some(p) => Arc::new(StaticPassword::new(p, password_source(env))),
        // No password is sent at all (docs/connection-model.md, "Passwords").
        None => Arc::new(StaticPassword::new(Secret::default(), "no password")),
    };
    match Connection::connect(spec, provider.as_ref()).await {
        // As psql: only when the server wants a password that nothing gave,
        // ask and try once more.
        Err(e) if !given && wants_password(&e.failure) && ui.can_prompt() => {
            let typed = ui.secret(&format!(
                "Password for {}@{}: ",
                server.user,
                server.host_port()
            ))?;
            connect_with(spec, Arc::new(StaticPassword::new(typed, "typed password"))).await
        }
        Err(error) => Err(Error::Connect {
            error,
            tried: Some(provider.describe()),
        }),
        Ok(c) => Ok((c, provider)),
    }
}

fn wants_password(f: &ConnectFailure) -> bool {
    matches!(
        f,
        ConnectFailure::AuthRejected { .. } | ConnectFailure::PasswordRequired
    )
}

fn password_source(env: &(dyn Fn(&str) -> Option<String> + Sync)) -> String {
    for v in ["RDSQL_PASSWORD", "PGPASSWORD", "MYSQL_PWD"] {
        if env(v).is_some() {
            return format!("password from {v}, the URL or a saved connection");
        }
    }
    "password from the URL or a saved connection".into()
}
