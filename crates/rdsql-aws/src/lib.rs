//! The AWS side of rdsql: signing regions, credential sources and IAM
//! database auth tokens (docs/tokens.md, docs/sso.md).

pub mod credentials;
pub mod discovery;
mod errors;
pub mod identity;
pub mod mfa;
pub mod profiles;
pub mod region;
pub mod sso;
pub mod token;

pub use credentials::{CredentialSource, CredentialsError, ResolvedCredentials};
pub use region::{RegionError, RegionSource, region_from_rds_host, resolve_region};
pub use token::{TokenCache, TokenError, TokenRequest, generate_auth_token};
