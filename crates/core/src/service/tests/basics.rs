//! The small pieces of the service: page-size parsing and the dummy hash that keeps
//! unknown users' sign-ins as slow as known ones'.

use crate::error::ErrorCode;
use crate::service::{DUMMY_HASH, parse_limit};

#[test]
fn the_dummy_hash_costs_what_a_real_one_does() {
    use argon2::password_hash::PasswordHash;
    let parsed = PasswordHash::new(DUMMY_HASH).unwrap();
    assert_eq!(parsed.algorithm.as_str(), "argon2id");
    let params = argon2::Params::try_from(&parsed).unwrap();
    let today = argon2::Params::default();
    assert_eq!(
        (params.m_cost(), params.t_cost(), params.p_cost()),
        (today.m_cost(), today.t_cost(), today.p_cost())
    );
    assert_eq!(
        parsed.hash.unwrap().len(),
        argon2::Params::DEFAULT_OUTPUT_LEN
    );
}

#[test]
fn limits_default_and_stay_in_range() {
    assert_eq!(parse_limit(None, 50), Ok(50));
    assert_eq!(parse_limit(Some("1"), 50), Ok(1));
    assert_eq!(parse_limit(Some("200"), 50), Ok(200));
    for bad in [
        "0",
        "201",
        "abc",
        "-1",
        "",
        "1.5",
        "99999999999999999999999",
    ] {
        assert_eq!(
            parse_limit(Some(bad), 50).unwrap_err().code(),
            ErrorCode::InvalidLimit,
            "{bad}"
        );
    }
}
