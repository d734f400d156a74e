//! Whether an answer is what the matrix expects: a REST status and error code, or a
//! GraphQL answer (always 200) with or without an error carrying the same code.

use super::table::Expect;
use serde_json::Value;

/// Checks one reply against an expectation; `Err` describes the mismatch.
pub(super) fn check(reply: &crate::common::Reply, expect: Expect) -> Result<(), String> {
    if reply.body.get("data").is_some() || reply.body.get("errors").is_some() {
        return check_graphql(reply, expect);
    }
    let status = reply.status.as_u16();
    let (wanted_status, wanted_code) = match expect {
        Expect::Ok(status) => (status, None),
        Expect::Refused(status, code) => (status, Some(code)),
    };
    if status != wanted_status {
        return Err(format!(
            "status {status}, wanted {wanted_status}; body {}",
            reply.body
        ));
    }
    if let Some(code) = wanted_code {
        if reply.code() != code {
            return Err(format!(
                "code {:?}, wanted {code:?}; body {}",
                reply.code(),
                reply.body
            ));
        }
        if reply.body["error"]["message"]
            .as_str()
            .is_none_or(str::is_empty)
        {
            return Err(format!("no error message; body {}", reply.body));
        }
    }
    Ok(())
}

/// `expect` of a GraphQL response: always `200`; a success has no errors, a refusal an
/// error with the REST code in `extensions.code` and no data.
fn check_graphql(reply: &crate::common::Reply, expect: Expect) -> Result<(), String> {
    if reply.status.as_u16() != 200 {
        return Err(format!("status {}; body {}", reply.status, reply.body));
    }
    let errors = reply.body["errors"].as_array().cloned().unwrap_or_default();
    match expect {
        Expect::Ok(_) if errors.is_empty() => Ok(()),
        Expect::Ok(_) => Err(format!("errors, wanted none; body {}", reply.body)),
        Expect::Refused(_, code) => {
            let codes: Vec<_> = errors
                .iter()
                .map(|error| error["extensions"]["code"].as_str().unwrap_or(""))
                .collect();
            let explained = errors
                .iter()
                .all(|error| error["message"].as_str().is_some_and(|m| !m.is_empty()));
            // No data: none at all, or the refused (nullable) field null.
            let data = &reply.body["data"];
            let nothing = data.is_null()
                || data
                    .as_object()
                    .is_some_and(|fields| fields.values().all(Value::is_null));
            if codes == [code] && explained && nothing {
                Ok(())
            } else {
                Err(format!(
                    "codes {codes:?}, wanted [{code:?}]; body {}",
                    reply.body
                ))
            }
        }
    }
}
