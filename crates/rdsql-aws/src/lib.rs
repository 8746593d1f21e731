//! The AWS side of rdsql: signing regions, credential sources and IAM
//! database auth tokens (RDS spec §1, §2).

pub mod credentials;
pub mod region;
pub mod token;

pub use credentials::{CredentialSource, CredentialsError, ResolvedCredentials};
pub use region::{region_from_rds_host, resolve_region, RegionError, RegionSource};
pub use token::{generate_auth_token, TokenCache, TokenError, TokenRequest};
