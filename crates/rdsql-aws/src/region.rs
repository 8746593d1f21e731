//! The AWS region used to sign a token: the database's region (docs/tokens.md, "Region").

/// True for a well-formed AWS region name (`eu-west-1`, `us-gov-east-1`,
/// `cn-north-1`): lower-case words and a final number. A region is pasted
/// into endpoint host names, so anything else (a `/`, a dot) is refused.
pub fn is_region_name(region: &str) -> bool {
    let parts: Vec<&str> = region.split('-').collect();
    parts.len() >= 3
        && parts[..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase()))
        && parts[parts.len() - 1].parse::<u8>().is_ok()
}

/// The region embedded in an RDS host name
/// (`<name>.<id>.<region>.rds.amazonaws.com`, also `.rds.amazonaws.com.cn`),
/// or `None` for any other host.
pub fn region_from_rds_host(host: &str) -> Option<String> {
    let h = host.trim_end_matches('.').to_ascii_lowercase();
    let rest = h
        .strip_suffix(".rds.amazonaws.com")
        .or_else(|| h.strip_suffix(".rds.amazonaws.com.cn"))?;
    let region = rest.rsplit('.').next()?;
    let looks_like_region = region.split('-').count() >= 3
        && region
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    looks_like_region.then(|| region.to_string())
}

#[cfg(test)]
mod region_name_tests {
    use super::*;

    #[test]
    fn region_names() {
        for ok in ["eu-west-1", "us-gov-east-1", "cn-north-1", "ap-southeast-2"] {
            assert!(is_region_name(ok), "{ok}");
        }
        for bad in [
            "evil.example/",
            "eu-west",
            "EU-WEST-1",
            "eu-west-1.evil",
            "",
            "us-east-1/x",
        ] {
            assert!(!is_region_name(bad), "{bad}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_from_hosts() {
        assert_eq!(
            region_from_rds_host("db.abc123xyz.eu-west-1.rds.amazonaws.com").as_deref(),
            Some("eu-west-1")
        );
        assert_eq!(
            region_from_rds_host("x.proxy-abc.us-gov-west-1.rds.amazonaws.com").as_deref(),
            Some("us-gov-west-1")
        );
        assert_eq!(
            region_from_rds_host("DB.ID.CN-NORTH-1.RDS.AMAZONAWS.COM.CN").as_deref(),
            Some("cn-north-1")
        );
        assert_eq!(region_from_rds_host("localhost"), None);
        assert_eq!(region_from_rds_host("rds.amazonaws.com"), None);
    }
}

/// Where the signing region came from, for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegionSource {
    Explicit,
    Host,
    Profile(String),
    Environment(&'static str),
}

impl std::fmt::Display for RegionSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RegionSource::Explicit => f.write_str("--aws-region"),
            RegionSource::Host => f.write_str("the RDS host name"),
            RegionSource::Profile(p) => write!(f, "profile {p}"),
            RegionSource::Environment(v) => f.write_str(v),
        }
    }
}

/// No region could be found; never silently `us-east-1`.
#[derive(Debug, thiserror::Error)]
#[error("no AWS region for signing the IAM token of {host}")]
pub struct RegionError {
    pub host: String,
}

/// Resolves the signing region (docs/tokens.md, "Region"): explicit, else parsed from an
/// RDS host name, else the profile's `region`, else `AWS_REGION` /
/// `AWS_DEFAULT_REGION` (looked up with `env`).
pub fn resolve_region(
    explicit: Option<&str>,
    host: &str,
    profile: Option<(&str, Option<String>)>,
    env: &(dyn Fn(&str) -> Option<String> + Sync),
) -> Result<(String, RegionSource), RegionError> {
    if let Some(r) = explicit.filter(|r| !r.is_empty()) {
        return Ok((r.to_string(), RegionSource::Explicit));
    }
    if let Some(r) = region_from_rds_host(host) {
        return Ok((r, RegionSource::Host));
    }
    if let Some((name, Some(r))) = profile
        && !r.is_empty()
    {
        return Ok((r, RegionSource::Profile(name.to_string())));
    }
    for var in ["AWS_REGION", "AWS_DEFAULT_REGION"] {
        if let Some(r) = env(var).filter(|r| !r.is_empty()) {
            return Ok((r, RegionSource::Environment(var)));
        }
    }
    Err(RegionError {
        host: host.to_string(),
    })
}

#[cfg(test)]
mod resolve_tests {
    use super::*;

    #[test]
    fn precedence() {
        let env = |k: &str| (k == "AWS_DEFAULT_REGION").then(|| "ap-south-1".to_string());
        let rds = "db.x.eu-west-3.rds.amazonaws.com";
        assert_eq!(
            resolve_region(Some("us-east-2"), rds, None, &env)
                .unwrap()
                .0,
            "us-east-2"
        );
        assert_eq!(
            resolve_region(None, rds, Some(("p", Some("sa-east-1".into()))), &env)
                .unwrap()
                .1,
            RegionSource::Host
        );
        let (r, src) = resolve_region(
            None,
            "127.0.0.1",
            Some(("p", Some("sa-east-1".into()))),
            &env,
        )
        .unwrap();
        assert_eq!(
            (r.as_str(), src),
            ("sa-east-1", RegionSource::Profile("p".into()))
        );
        let (r, src) = resolve_region(None, "127.0.0.1", Some(("p", None)), &env).unwrap();
        assert_eq!(
            (r.as_str(), src),
            (
                "ap-south-1",
                RegionSource::Environment("AWS_DEFAULT_REGION")
            )
        );
        assert!(resolve_region(None, "127.0.0.1", None, &|_| None).is_err());
    }
}

/// Where role chains call STS: the profile's region, else AWS_REGION,
/// else us-east-1 (STS's global home); never IMDS, which would hang
/// outside EC2.
pub(crate) fn sts_region(profile_region: Option<String>) -> String {
    profile_region
        .or_else(|| std::env::var("AWS_REGION").ok())
        .or_else(|| std::env::var("AWS_DEFAULT_REGION").ok())
        .filter(|r| !r.is_empty())
        .unwrap_or_else(|| "us-east-1".into())
}

pub(crate) fn provider_config(
    profile_region: Option<String>,
) -> aws_config::provider_config::ProviderConfig {
    aws_config::provider_config::ProviderConfig::without_region()
        .with_region(Some(aws_config::Region::new(sts_region(profile_region))))
}

/// The region to list databases in (no host to read one from): given,
/// else the profile's, else `AWS_REGION` / `AWS_DEFAULT_REGION`.
pub fn listing_region(
    explicit: Option<String>,
    profile_region: Option<String>,
    env: &(dyn Fn(&str) -> Option<String> + Sync),
) -> Option<String> {
    explicit
        .or(profile_region)
        .or_else(|| env("AWS_REGION"))
        .or_else(|| env("AWS_DEFAULT_REGION"))
        .filter(|r| !r.is_empty())
}
