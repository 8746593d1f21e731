//! The verifier accepts botocore's own tokens and rejects tampered ones.

use rdsql_pam_verifier::verify::{Config, KnownKey, parse_amz_date, verify};

fn vectors() -> Vec<serde_json::Value> {
    let s = include_str!("../../rdsql-aws/tests/data/token_vectors.json");
    let v: serde_json::Value = serde_json::from_str(s).unwrap();
    v["vectors"].as_array().unwrap().clone()
}

fn config_for(v: &serde_json::Value) -> Config {
    let host = v["host"].as_str().unwrap().to_ascii_lowercase();
    Config {
        keys: vec![KnownKey {
            access_key_id: v["access_key_id"].as_str().unwrap().into(),
            secret_access_key: v["secret_access_key"].as_str().unwrap().into(),
            session_token: v["session_token"].as_str().map(str::to_string),
        }],
        endpoints: vec![format!("{host}:{}", v["port"])],
        region: v["region"].as_str().unwrap().into(),
        allowed_users: vec![v["user"].as_str().unwrap().into()],
        reject_first: vec![],
        state_dir: "/nonexistent".into(),
    }
}

#[test]
fn accepts_every_botocore_vector_at_its_time() {
    for v in vectors() {
        let cfg = config_for(&v);
        let t = v["time"].as_str().unwrap().replace(['-', ':'], "");
        let now = parse_amz_date(&t).unwrap() + 60;
        let r = verify(
            &cfg,
            v["user"].as_str().unwrap(),
            v["token"].as_str().unwrap(),
            now,
        );
        assert_eq!(r, Ok(()), "{}", v["label"]);
    }
}

#[test]
fn rejects_tampering_and_staleness() {
    let v = &vectors()[1];
    let cfg = config_for(v);
    let user = v["user"].as_str().unwrap();
    let token = v["token"].as_str().unwrap();
    let now = parse_amz_date("20261128T120000Z").unwrap();
    assert!(
        verify(&cfg, user, token, now + 901)
            .unwrap_err()
            .contains("old")
    );
    assert!(
        verify(&cfg, "someone_else", token, now)
            .unwrap_err()
            .contains("DBUser")
    );
    let mut wrong_region = cfg.clone();
    wrong_region.region = "us-east-1".into();
    assert!(verify(&wrong_region, user, token, now).is_err());
    let mut wrong_secret = cfg.clone();
    wrong_secret.keys[0].secret_access_key.push('x');
    assert!(
        verify(&wrong_secret, user, token, now)
            .unwrap_err()
            .contains("signature")
    );
    let mut not_allowed = cfg.clone();
    not_allowed.allowed_users.clear();
    assert!(
        verify(&not_allowed, user, token, now)
            .unwrap_err()
            .contains("rds-db:connect")
    );
    let unencoded = token.replace("%2F", "/");
    assert!(verify(&cfg, user, &unencoded, now).is_err());
    let reordered = token.replacen(
        "Action=connect&DBUser=app_user",
        "DBUser=app_user&Action=connect",
        1,
    );
    assert!(
        verify(&cfg, user, &reordered, now)
            .unwrap_err()
            .contains("order")
    );
}
