//! Looking for a secret in output, for the property tests that no message
//! shows a password: the whole secret, or any 4-character piece of it.

use proptest::prelude::*;

/// Text with every character URLs treat specially, spaces and non-ASCII.
pub fn url_text(min: usize, max: usize) -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            Just('/'),
            Just('?'),
            Just('#'),
            Just('@'),
            Just(':'),
            Just('%'),
            Just(' '),
            Just('é'),
            Just('密'),
            Just('&'),
            Just('='),
            Just('['),
            Just(']'),
            proptest::char::range('a', 'z'),
            proptest::char::range('A', 'Z'),
            proptest::char::range('0', '9'),
        ],
        min..max,
    )
    .prop_map(|v| v.into_iter().collect())
}

/// Percent-encodes everything but letters and digits.
pub fn encode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// A piece of `secret` that `out` shows, if any. Pieces that also occur in
/// `benign` (text allowed to show, such as the user name) prove nothing,
/// and neither do pure punctuation pieces (":// " is in messages' own
/// words).
pub fn shown_piece(out: &str, secret: &str, benign: &str) -> Option<String> {
    let c: Vec<char> = secret.chars().collect();
    let pieces: Vec<String> = if c.len() < 4 {
        vec![secret.to_string()]
    } else {
        c.windows(4).map(|w| w.iter().collect()).collect()
    };
    pieces
        .into_iter()
        .filter(|p| p.chars().any(|c| c.is_alphanumeric()))
        .filter(|p| !benign.contains(p.as_str()))
        .find(|p| out.contains(p.as_str()))
}
