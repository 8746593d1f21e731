//! Saved connections as connection options: each TOML key is checked
//! against the one field table (rdsql-db's `FIELDS`), and the secret comes
//! from the store the connection names.

use crate::Error;
use rdsql_config::{
    ConfigError, ConnectionsFile, FieldValue, SavedConnection, SecretKind, SecretStore, paths,
};
use rdsql_db::ConnectOptions;
use rdsql_db::options::{FIELDS, FieldKind};
use std::path::{Path, PathBuf};

/// A config error with what to do about it.
pub fn config_error(e: ConfigError) -> Error {
    let hints = match &e {
        ConfigError::Malformed { .. } => vec![
            "fix the file at that line and column; rdsql never overwrites a file it cannot read"
                .into(),
        ],
        ConfigError::Unknown { .. } => vec![
            "rdsql conn list shows the saved connections; rdsql conn add NAME URL saves one".into(),
        ],
        ConfigError::Secret(m)
            if m.contains("dismissed") || m.contains("ocked") || m.contains("prompt") =>
        {
            vec![
                "the keyring is locked and no unlock prompt could be shown here (no desktop session)".into(),
                "unlock it: log in to the desktop, or run: gnome-keyring-daemon --unlock (it reads the password on stdin)".into(),
                "or keep this connection's secret in the 0600 file: rdsql conn edit NAME --secret-store file".into(),
            ]
        }
        ConfigError::Secret(_) => vec![
            "the OS keyring (Secret Service over D-Bus) did not answer as expected; RDSQL_SECRET_STORE=file uses the 0600 secrets.toml instead".into(),
        ],
        _ => vec![],
    };
    Error::Saved {
        message: e.to_string(),
        hints,
    }
}

/// The configuration directory (`RDSQL_CONFIG_DIR`, XDG, `~/.config/rdsql`).
pub fn dir() -> Result<PathBuf, Error> {
    paths::config_dir().ok_or_else(|| config_error(ConfigError::NoDir))
}

/// The store a saved connection's secret is in.
pub fn store_of(saved: &SavedConnection, dir: &Path) -> Option<SecretStore> {
    saved
        .secret
        .as_deref()
        .and_then(|n| SecretStore::from_name(n, dir))
}

/// A saved connection's fields as options (no secret).
pub fn to_options(name: &str, saved: &SavedConnection) -> Result<ConnectOptions, Error> {
    let mut o = ConnectOptions::default();
    for (key, value) in &saved.fields {
        o.set(key, &value.to_string()).map_err(|why| Error::Saved {
            message: format!("saved connection {name:?}: bad {key}: {why}"),
            hints: vec![format!(
                "fix it with rdsql conn edit {name} --{} VALUE, or edit connections.toml",
                key.replace('_', "-")
            )],
        })?;
    }
    Ok(o)
}

/// Options as saved fields (numbers as numbers); the password and the
/// secret key are not fields (they go to a secret store).
pub fn from_options(o: &ConnectOptions) -> std::collections::BTreeMap<String, FieldValue> {
    FIELDS
        .iter()
        .filter_map(|f| {
            let v = o.get(f.name)?;
            let value = match (f.kind, v.parse::<u64>()) {
                (FieldKind::Number, Ok(n)) => FieldValue::Number(n),
                _ => FieldValue::Text(v),
            };
            Some((f.name.to_string(), value))
        })
        .collect()
}

/// Checks a saved field against the field table.
pub fn check_field(name: &str, value: &str) -> Result<(), String> {
    ConnectOptions::default().set(name, value)
}

/// The saved connections, every field checked.
pub fn load_file(dir: &Path) -> Result<ConnectionsFile, Error> {
    ConnectionsFile::load(dir, &check_field).map_err(config_error)
}

/// Loads, applies `f`, saves, under the directory lock; a malformed file
/// (syntax or a bad value) fails before anything is written.
pub fn update_file<T>(
    dir: &Path,
    f: impl FnOnce(&mut ConnectionsFile) -> Result<T, ConfigError>,
) -> Result<T, Error> {
    ConnectionsFile::update(dir, &check_field, f).map_err(config_error)
}

/// Loads saved connection `name` with its secrets.
pub fn load(name: &str) -> Result<ConnectOptions, Error> {
    let d = dir()?;
    let file = load_file(&d)?;
    let s = file.get(name).map_err(|e| match config_error(e) {
        Error::Saved { message, mut hints } => {
            hints.push("a connection is a saved name or a URL such as postgres://user@host:5432/db, mysql://user@host/db or sqlite:file.db".into());
            Error::Saved { message, hints }
        }
        other => other,
    })?;
    let mut o = to_options(name, s)?;
    if let Some(store) = store_of(s, &d) {
        o.password = store
            .get(name, SecretKind::Password)
            .map_err(config_error)?;
        o.aws_secret_access_key = store
            .get(name, SecretKind::AwsSecretAccessKey)
            .map_err(config_error)?;
    }
    Ok(o)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Adding under a name that exists fails before any secret is
    /// written: the existing connection's secret is untouched.
    #[test]
    fn adding_an_existing_name_keeps_its_secret() {
        let dir = tempfile::tempdir().unwrap();
        let file = SecretStore::File(dir.path().join("secrets.toml"));
        let opts = |pw: &str| {
            let mut o = rdsql_db::url::parse_url("postgres://app@db.example.test/shop").unwrap();
            o.password = Some(rdsql_db::Secret::new(pw.to_string()));
            o
        };
        let put = save(
            dir.path(),
            "a",
            &opts("one"),
            SaveMode::Add,
            Some(file.clone()),
        )
        .unwrap();
        assert!(matches!(put, SecretSaved::File(_)), "{put:?}");
        let e = save(dir.path(), "a", &opts("two"), SaveMode::Add, None).unwrap_err();
        assert!(e.to_string().contains('a'), "{e}");
        let kept = file.get("a", SecretKind::Password).unwrap().unwrap();
        assert_eq!(kept.expose(), "one");
        // Replace without a new secret keeps the old one where it is.
        let mut no_pw = opts("x");
        no_pw.password = None;
        assert_eq!(
            save(dir.path(), "a", &no_pw, SaveMode::Replace, None).unwrap(),
            SecretSaved::None
        );
        let f = load_file(dir.path()).unwrap();
        assert_eq!(f.get("a").unwrap().secret.as_deref(), Some("file"));
    }

    #[test]
    fn unknown_and_bad_fields_are_named() {
        let mut s = SavedConnection::default();
        s.fields
            .insert("colour".into(), FieldValue::Text("blue".into()));
        let e = to_options("x", &s).unwrap_err().to_string();
        assert!(e.contains("colour"), "{e}");
        let mut s = SavedConnection::default();
        s.fields.insert("port".into(), FieldValue::Number(70000));
        let e = to_options("x", &s).unwrap_err().to_string();
        assert!(e.contains("port") && e.contains("65535"), "{e}");
    }
}

/// Which secret a connection saved with `auth` keeps: the password, the
/// secret access key (iam-keys), or none (profiles and SSO keep theirs in
/// the AWS files and the SSO cache).
pub fn secret_kind(auth: Option<rdsql_db::AuthMethod>) -> Option<SecretKind> {
    match auth
        .unwrap_or(rdsql_db::AuthMethod::Password)
        .secret_kind()?
    {
        rdsql_db::SecretField::Password => Some(SecretKind::Password),
        rdsql_db::SecretField::AwsSecretAccessKey => Some(SecretKind::AwsSecretAccessKey),
    }
}

/// What [`save`] did with the secret, for the caller to say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretSaved {
    /// No secret given; a kept one stays where it was.
    None,
    /// In the OS keyring.
    Keyring,
    /// In the 0600 file at this path.
    File(PathBuf),
    /// None kept: asked for at each use.
    Prompt,
}

/// Whether [`save`] may overwrite a connection of that name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaveMode {
    /// A new connection: an existing one of that name is an error (and its
    /// secret is left alone).
    Add,
    /// Overwrite (the UI's Save of an open connection, `rdsql conn edit`
    /// with the fields already merged): a kept secret stays unless a new
    /// one is given.
    Replace,
}

/// Saves connection `name` from `opts` — the one way every surface saves
/// (`rdsql conn add|edit`, the UI's Save): checked as a connection would
/// be, the fields to `connections.toml`, the password or secret access key
/// to `store` (None: where the connection kept it, else the OS keyring,
/// else the 0600 file). The session token is never saved.
pub fn save(
    dir: &Path,
    name: &str,
    opts: &ConnectOptions,
    mode: SaveMode,
    store: Option<SecretStore>,
) -> Result<SecretSaved, Error> {
    rdsql_config::store::check_name(name).map_err(config_error)?;
    if opts.engine.is_none() {
        return Err(Error::setup(
            "a saved connection needs a connection type (engine)",
            vec![],
        ));
    }
    crate::resolve::check(opts)?;
    let existing = load_file(dir)?;
    let old = existing.connections.get(name);
    if mode == SaveMode::Add && old.is_some() {
        // Before any secret is written: the existing one stays intact.
        return Err(config_error(ConfigError::Exists(name.to_string())));
    }
    let kind = secret_kind(opts.auth);
    let secret = match kind {
        Some(SecretKind::Password) => opts.password.clone(),
        Some(SecretKind::AwsSecretAccessKey) => opts.aws_secret_access_key.clone(),
        None => None,
    };
    let chosen = store.or_else(|| old.and_then(|o| store_of(o, dir)));
    let prompt = matches!(chosen, Some(SecretStore::Prompt));
    let mut saved = SavedConnection {
        fields: from_options(opts),
        ..Default::default()
    };
    let mut result = SecretSaved::None;
    if let (Some(kind), Some(secret), false) = (kind, &secret, prompt) {
        // The keyring is probed only when there is a secret to keep.
        let store = chosen.unwrap_or_else(|| SecretStore::default_for(dir));
        store.put(dir, name, kind, secret).map_err(config_error)?;
        saved.secret = Some(store.name().to_string());
        result = match store {
            SecretStore::File(p) => SecretSaved::File(p),
            _ => SecretSaved::Keyring,
        };
    } else if prompt {
        saved.secret = Some("prompt".into());
        result = SecretSaved::Prompt;
    }
    let name = name.to_string();
    update_file(dir, move |f| {
        if mode == SaveMode::Add && f.connections.contains_key(&name) {
            return Err(ConfigError::Exists(name.clone()));
        }
        // A kept secret stays where it is when none was given anew.
        if saved.secret.is_none()
            && let Some(old) = f.connections.get(&name)
        {
            saved.secret = old.secret.clone();
        }
        f.connections.insert(name, saved);
        Ok(())
    })?;
    Ok(result)
}

/// Deletes connection `name` and its secret.
pub fn delete(dir: &Path, name: &str) -> Result<(), Error> {
    // The secret first: if it cannot be deleted (a locked keyring), the
    // connection stays and the error says why — nothing is left behind
    // unseen.
    let file = load_file(dir)?;
    let saved = file.get(name).map_err(config_error)?;
    if let Some(store) = store_of(saved, dir) {
        store.delete(dir, name).map_err(config_error)?;
    }
    update_file(dir, |f| {
        f.get(name)?;
        Ok(f.connections.remove(name))
    })?;
    Ok(())
}
