//! First sign-in: `POST /admin/sign-in-codes` (an admin issues one-time sign-in codes, as
//! CSV) and `POST /auth/first-sign-in` (a user sets their password with one).

use super::session::signed_in_response;
use crate::auth::AuthUser;
use crate::client_ip::ClientIp;
use crate::dto::{ErrorBody, LoginResponse};
use crate::error::ApiResult;
use crate::extract::JsonBody;
use crate::openapi::{Busy, PayloadTooLarge, TooManyAttempts, Unauthorized};
use crate::schemas;
use crate::state::AppState;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::post;
use axum::{Json, Router};
use classchat_core::service::{Actor, FirstSignIn, SignInCode};
use serde::Deserialize;
use std::time::Duration;
use utoipa::ToSchema;

/// The media type of the codes: CSV (RFC 4180), always UTF-8.
const CSV: &str = "text/csv; charset=utf-8";

/// The body limit of `POST /admin/sign-in-codes`: the 1,000 userIds one call may list
/// fit whatever their length (1,000 × 128 characters, quoted and separated, are 131,000
/// bytes), with room for spaces and line breaks; the API's usual 64 KiB would hold only
/// about 490 of the longest.
const ISSUE_BODY_LIMIT: usize = 160 * 1024;

/// The sign-in code routes.
pub fn router() -> Router<AppState> {
    let issuing = Router::new()
        .route("/admin/sign-in-codes", post(issue))
        .layer(DefaultBodyLimit::max(ISSUE_BODY_LIMIT));
    Router::new()
        .route("/auth/first-sign-in", post(first_sign_in))
        .merge(issuing)
}

/// `POST /admin/sign-in-codes` request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct IssueCodesRequest {
    /// The accounts to issue a code for, 1–1,000 (an id listed twice gets one code). Each
    /// code replaces the account's password and ends its sessions.
    #[schema(value_type = Vec<schemas::UserId>, min_items = 1, max_items = 1000)]
    user_ids: Vec<String>,
    /// How long the codes work, in whole hours; 168 (a week) when absent. (Read as a
    /// number: `48.0` is the integer 48, as JSON Schema counts.)
    #[schema(value_type = Option<i64>, minimum = 1, maximum = 720)]
    valid_for_hours: Option<f64>,
}

/// `POST /auth/first-sign-in` request.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FirstSignInRequest {
    /// The user's id.
    #[schema(value_type = schemas::UserId)]
    user_id: String,
    /// The sign-in code the school gave them.
    #[schema(value_type = schemas::SignInCode)]
    code: String,
    /// The password they choose.
    #[schema(value_type = schemas::NewPassword)]
    new_password: String,
}

/// Issues a one-time sign-in code for each account listed, and answers them as CSV:
/// `userId,code,expiresAt`, a header line first, one line per account in the order
/// listed. Each code replaces the account's password (so it doubles as a reset) and ends
/// its sessions; it is stored only as a hash and shown only here. Admins issue codes
/// for students and teachers; an admin's code comes from the operator (`classchat user
/// codes`). Every id is checked before anything is written: one bad id, and no code is
/// issued. Each code is audited as `user.sign_in_code`.
#[utoipa::path(post, path = "/admin/sign-in-codes", tag = "admin", request_body = IssueCodesRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "`userId,code,expiresAt` lines (RFC 4180, CRLF line ends, header first); `expiresAt` is RFC 3339 UTC", content_type = "text/csv", body = String,
            headers(("Cache-Control" = String, description = "`no-store`: the body holds credentials"))),
        (status = 400, description = "malformed JSON (`invalid_json`), a userId that is not one (`invalid_user_id`, naming its position), none or more than 1,000 userIds, or validForHours outside 1–720 (`invalid_request`)", body = ErrorBody),
        (status = 401, response = Unauthorized),
        (status = 403, description = "not an admin, or an admin's account listed (`forbidden`), or the account is disabled (`account_disabled`)", body = ErrorBody),
        (status = 404, description = "a listed userId does not exist (`not_found`, naming it)", body = ErrorBody),
        (status = 413, description = "the body is larger than 160 KiB (`payload_too_large`)", body = ErrorBody),
        (status = 503, response = Busy),
    ))]
async fn issue(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    JsonBody(body): JsonBody<IssueCodesRequest, ISSUE_BODY_LIMIT>,
) -> ApiResult<impl IntoResponse> {
    let user_ids: Vec<&str> = body.user_ids.iter().map(String::as_str).collect();
    // Anything but a whole number of hours in range (a fraction, a negative, more hours
    // than seconds fit) becomes a validity the service refuses, in its own words.
    let valid_for = body.valid_for_hours.map(|hours| {
        let whole = if hours.fract() == 0.0 {
            hours as u64
        } else {
            0
        };
        Duration::from_secs(whole.saturating_mul(3600))
    });
    let codes = state
        .service
        .issue_sign_in_codes(Actor::User(&caller), &user_ids, valid_for)
        .await?;
    Ok((
        [
            (header::CONTENT_TYPE, CSV),
            (header::CACHE_CONTROL, "no-store"),
        ],
        sign_in_codes_csv(&codes),
    ))
}

/// Sets the password of an account that holds a sign-in code, and signs in: the same
/// answer as `POST /auth/login`. The code then no longer works. Limited like a login, and
/// on the same count (the userId as typed, and the client address), and answered alike:
/// an unknown user, a wrong or expired code, or an account without one all get `401
/// invalid_credentials`.
#[utoipa::path(post, path = "/auth/first-sign-in", tag = "auth", request_body = FirstSignInRequest,
    responses(
        (status = 200, body = LoginResponse),
        (status = 400, description = "malformed JSON, or a field missing or of the wrong type (`invalid_json`)", body = ErrorBody),
        (status = 401, description = "wrong userId or code, an expired code, or no code issued: the same answer for all (`invalid_credentials`)", body = ErrorBody),
        (status = 403, description = "the code is right but the account is disabled (`account_disabled`); the code keeps working once it is enabled", body = ErrorBody),
        (status = 413, response = PayloadTooLarge),
        (status = 422, description = "the new password breaks a rule (`invalid_password`), checked before the code", body = ErrorBody),
        (status = 429, response = TooManyAttempts),
        (status = 503, response = Busy),
    ))]
async fn first_sign_in(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    JsonBody(body): JsonBody<FirstSignInRequest>,
) -> ApiResult<Json<LoginResponse>> {
    let signed_in = state
        .service
        .first_sign_in(FirstSignIn {
            user_id: &body.user_id,
            code: &body.code,
            new_password: &body.new_password,
            client,
        })
        .await?;
    signed_in_response(&state, &signed_in, None)
}

/// Issued codes as CSV (RFC 4180): the header `userId,code,expiresAt`, then one record
/// per code, each line ended by CRLF. What `POST /admin/sign-in-codes` answers and
/// `classchat user codes` prints, so a school's mail merge reads either.
pub fn sign_in_codes_csv(codes: &[SignInCode]) -> String {
    let mut csv = String::from("userId,code,expiresAt\r\n");
    for code in codes {
        let record = [
            field(code.user_id.as_str()),
            field(&code.code),
            field(&code.expires_at.to_string()),
        ];
        csv.push_str(&record.join(","));
        csv.push_str("\r\n");
    }
    csv
}

/// One CSV field, quoted when it must be. (None of today's can need it: userIds, codes
/// and timestamps hold no comma, quote or line break. The quoting keeps it so.)
fn field(value: &str) -> String {
    if value.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use classchat_core::{Timestamp, UserId};

    #[test]
    fn codes_are_rfc_4180_csv_with_a_header() {
        let expires_at = Timestamp::parse("2026-03-09T09:00:00Z").unwrap();
        let code = |id: &str, code: &str| SignInCode {
            user_id: UserId::parse(id).unwrap(),
            code: code.to_owned(),
            expires_at,
        };
        let csv = sign_in_codes_csv(&[
            code("s1", "ABCD-EFGH-JKMN"),
            code("t.1@x", "PQRS-TUVW-XYZ2"),
        ]);
        assert_eq!(
            csv,
            "userId,code,expiresAt\r\n\
             s1,ABCD-EFGH-JKMN,2026-03-09T09:00:00.000000Z\r\n\
             t.1@x,PQRS-TUVW-XYZ2,2026-03-09T09:00:00.000000Z\r\n"
        );
        assert_eq!(sign_in_codes_csv(&[]), "userId,code,expiresAt\r\n");
        assert_eq!(field("a,\"b\""), "\"a,\"\"b\"\"\"");
    }
}
