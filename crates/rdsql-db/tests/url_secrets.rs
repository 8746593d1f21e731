//! Property tests: no message made from a URL shows its password or any
//! 4-character piece of it, and URL → options → URL round-trips.

use proptest::prelude::*;
use rdsql_db::url::{parse_url, redact_url, to_url};
use rdsql_testkit::leaks::{encode, shown_piece, url_text};

fn text(min: usize) -> impl Strategy<Value = String> {
    url_text(min, 24)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn no_message_shows_the_password(
        user in text(0),
        password in text(4),
        scheme in prop_oneof![Just("postgres"), Just("mysql"), Just("mariadb"), Just("sqlite"), Just("mongodb")],
        slashes in any::<bool>(),
        host in prop_oneof![Just("db.example.com"), Just("h"), Just("[::1]"), Just("bad host")],
        port in prop_oneof![Just(""), Just(":5432"), Just(":99999"), Just(":x")],
        tail in prop_oneof![Just(""), Just("/db"), Just("/db?sslmode=maybe"), Just("?colour=blue"), Just("/d%ffb")],
        encoded in any::<bool>(),
    ) {
        let (u, p) = if encoded { (encode(&user), encode(&password)) } else { (user.clone(), password.clone()) };
        let sep = if slashes { "://" } else { ":" };
        let url = format!("{scheme}{sep}{u}:{p}@{host}{port}{tail}");
        let rest = format!("{scheme}{sep}{u}: @{host}{port}{tail}");
        // The user's text, raw and percent-encoded, may show; a password
        // piece that is also a piece of it proves nothing.
        let rest = format!("{} {} {}", rest.replace(&p, ""), user, encode(&user));
        let mut outputs = vec![redact_url(&url)];
        match parse_url(&url) {
            Err(e) => outputs.push(format!("{e} {e:?}")),
            Ok(o) => outputs.push(format!("{o:?} {}", to_url(&o, false))),
        }
        for out in outputs {
            for secret in [&password, &p] {
                prop_assert!(
                    shown_piece(&out, secret, &rest).is_none(),
                    "{url:?} → {out:?} shows {:?}", shown_piece(&out, secret, &rest)
                );
            }
        }
    }

    #[test]
    fn url_options_url_round_trips(
        user in text(0),
        password in text(0),
        host in prop_oneof![Just("db.example.com".to_string()), Just("::1".to_string()), Just("10.0.0.5".to_string())],
        port in proptest::option::of(1u16..),
        db in proptest::option::of(text(1)),
        region in proptest::option::of(text(1)),
        scheme in prop_oneof![Just("postgres"), Just("mysql"), Just("mariadb")],
    ) {
        let host_part = if host.contains(':') { format!("[{host}]") } else { host.clone() };
        let mut url = format!("{scheme}://{}:{}@{host_part}", encode(&user), encode(&password));
        if let Some(p) = port { url += &format!(":{p}"); }
        if let Some(d) = &db { url += &format!("/{}", encode(d)); }
        if let Some(r) = &region { url += &format!("?aws_region={}", encode(r)); }
        let first = parse_url(&url).unwrap();
        prop_assert_eq!(first.password.as_ref().map(|s| s.expose().to_string()), Some(password.clone()));
        let again = parse_url(&to_url(&first, true)).unwrap();
        prop_assert_eq!(&again, &first);
        // Without the password, everything else still round-trips.
        let mut no_pw = first.clone();
        no_pw.password = None;
        if user.is_empty() { no_pw.user = None; }
        let mut back = parse_url(&to_url(&first, false)).unwrap();
        if back.user.as_deref() == Some("") { back.user = None; }
        prop_assert_eq!(back, no_pw);
    }
}
