//! The AWS side of rdsql. For now: the signing region of an RDS endpoint
//! (RDS spec §1); credentials, IAM tokens and SSO arrive with their issues.

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
