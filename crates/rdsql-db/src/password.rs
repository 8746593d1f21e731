//! Password providers: where the secret sent at connect time comes from.
//! Called once per physical connection, so IAM tokens stay fresh.

use crate::Secret;
use crate::error::ProviderError;
use std::future::Future;
use std::pin::Pin;

/// A boxed future, as returned by providers.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Supplies the password for one physical connection.
pub trait PasswordProvider: Send + Sync {
    /// The password (or IAM token) to send now.
    fn password(&self) -> BoxFuture<'_, Result<Secret, ProviderError>>;
    /// Called when the server rejected the last password, so a cached
    /// token is not reused. Returns true if a retry may succeed.
    fn invalidate(&self) -> bool {
        false
    }
    /// Gets ready for the next `password()` call — fetches AWS credentials,
    /// say — before the connect timeout starts, under the provider's own
    /// limit (docs/tokens.md, "Timeouts").
    fn prepare(&self) -> BoxFuture<'_, Result<(), ProviderError>> {
        Box::pin(async { Ok(()) })
    }
    /// Where the password comes from, for messages ("password from PGPASSWORD").
    fn describe(&self) -> String;
    /// When the IAM token in use was signed (for `\conninfo`); None for passwords.
    fn token_issued_at(&self) -> Option<std::time::SystemTime> {
        None
    }
}

/// A fixed password (typed, from a variable, from the URL).
pub struct StaticPassword {
    secret: Secret,
    source: String,
}

impl StaticPassword {
    /// `source` describes the origin for messages.
    pub fn new(secret: Secret, source: impl Into<String>) -> Self {
        StaticPassword {
            secret,
            source: source.into(),
        }
    }
}

impl PasswordProvider for StaticPassword {
    fn password(&self) -> BoxFuture<'_, Result<Secret, ProviderError>> {
        let s = self.secret.clone();
        Box::pin(async move { Ok(s) })
    }
    fn describe(&self) -> String {
        self.source.clone()
    }
}
