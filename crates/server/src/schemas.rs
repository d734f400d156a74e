//! The OpenAPI schemas of the values clients send, built from the core's own rules.
//!
//! Each type here exists only to carry a schema: request bodies and query parameters keep
//! plain `String` fields (the service validates them, with precise error codes) and name
//! one of these with `value_type`, so the document states exactly what the service
//! accepts: the same patterns and lengths, from the same constants, that the core's tests
//! check against its validators. Named schemas also give client generators one type per
//! kind of value.

use crate::device::MAX_DEVICE_TOKEN_LEN;
use classchat_core::conversation::CONVERSATION_ID_PATTERN;
use classchat_core::ids::{
    CLIENT_MESSAGE_ID_PATTERN, MAX_CLIENT_MESSAGE_ID_LEN, MAX_USER_ID_LEN, USER_ID_PATTERN,
};
use classchat_core::message::MAX_MESSAGE_CHARS;
use classchat_core::notify::email::{EMAIL_PATTERN, MAX_EMAIL_LEN};
use classchat_core::notify::schedule::{CLOCK_PATTERN, DAY_NAMES, MAX_ZONE_LEN};
use classchat_core::notify::subscription::{ENDPOINT_PATTERN, KEY_PATTERN, MAX_ENDPOINT_LEN};
use classchat_core::service::{MAX_PAGE_LIMIT, MAX_TYPED_CODE_LEN, SIGN_IN_CODE_PATTERN};
use classchat_core::text::{DISPLAY_NAME_PATTERN, MESSAGE_BODY_PATTERN};
use classchat_core::time::TIMESTAMP_PATTERN;
use classchat_core::user::{MAX_DISPLAY_NAME_LEN, MAX_PASSWORD_LEN, MIN_PASSWORD_LEN};
use serde_json::json;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, SchemaType, Type};

/// An audit entry id as `ulid` decodes it: 26 characters of Crockford's base32, either case.
const ULID_PATTERN: &str = "^[0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{26}$";

/// A string schema with these bounds and this pattern.
fn string(
    description: &str,
    pattern: &str,
    length: (usize, usize),
    example: &str,
) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(SchemaType::Type(Type::String))
        .description(Some(description))
        .pattern(Some(pattern))
        .min_length(Some(length.0))
        .max_length(Some(length.1))
        .examples([json!(example)])
        .into()
}

/// Declares a schema-only type named `$name` whose schema is `$schema`.
macro_rules! schema {
    ($(#[$doc:meta])* $name:ident => $schema:expr) => {
        $(#[$doc])*
        pub(crate) struct $name;

        impl utoipa::PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                $schema
            }
        }

        impl utoipa::ToSchema for $name {}
    };
}

schema! {
    /// A userId.
    UserId => string(
        "1–128 characters of letters, digits, `.`, `_`, `@` and `-`.",
        USER_ID_PATTERN,
        (1, MAX_USER_ID_LEN),
        "s1",
    )
}

schema! {
    /// A conversationId as a client may write it.
    ConversationId => string(
        "`<studentId>+<teacherId>` (or `<guardianId>+<teacherId>`): two different userIds \
         joined by `+`, in either order \
         (the server answers with the canonical one). A space instead of the `+` is \
         accepted too, because that is what `+` decodes to in a query string: send `%2B`.",
        CONVERSATION_ID_PATTERN,
        (3, 2 * MAX_USER_ID_LEN + 1),
        "s1+t1",
    )
}

schema! {
    /// A timestamp in a cursor or a read marker.
    Timestamp => string(
        "RFC 3339: `YYYY-MM-DDTHH:MM:SS`, an optional fraction of 1–9 digits (truncated to \
         the microsecond), then `Z` or an offset up to ±23:59; a real calendar date, no \
         leap second. The server's own timestamps are UTC with 6 digits, e.g. \
         `2026-11-24T14:01:02.123456Z`, so they sort as text.",
        TIMESTAMP_PATTERN,
        (20, 35),
        "2026-11-24T14:01:02.123456Z",
    )
}

schema! {
    /// A message text as sent.
    MessageBody => string(
        "1–4000 characters (Unicode code points) as sent, not all whitespace, with no \
         control character but tab, line feed and carriage return. Stored with line breaks \
         as `\\n` and surrounding whitespace trimmed. Bidi and zero-width characters are \
         kept: show every body bidi-isolated.",
        MESSAGE_BODY_PATTERN,
        (1, MAX_MESSAGE_CHARS),
        "i am the student!",
    )
}

schema! {
    /// A client's idempotency id.
    ClientMessageId => string(
        "1–64 characters without control characters, unique per author.",
        CLIENT_MESSAGE_ID_PATTERN,
        (1, MAX_CLIENT_MESSAGE_ID_LEN),
        "m-1",
    )
}

schema! {
    /// A display name as sent.
    DisplayName => string(
        "1–100 characters as sent, not all whitespace, with no control, bidi or zero-width \
         character (U+061C, U+200B–U+200F, U+2028–U+202E, U+2060, U+2066–U+2069, U+FEFF). \
         Stored trimmed.",
        DISPLAY_NAME_PATTERN,
        (1, MAX_DISPLAY_NAME_LEN),
        "Ms Rivera",
    )
}

schema! {
    /// A new password.
    NewPassword => ObjectBuilder::new()
        .schema_type(SchemaType::Type(Type::String))
        .description(Some("8–1024 characters."))
        .min_length(Some(MIN_PASSWORD_LEN))
        .max_length(Some(MAX_PASSWORD_LEN))
        .into()
}

schema! {
    /// A one-time sign-in code as typed.
    SignInCode => string(
        "The code the school handed out: twelve letters and digits (no 0, 1, I or O), \
         printed `XXXX-XXXX-XXXX`; case, spaces and dashes do not matter.",
        SIGN_IN_CODE_PATTERN,
        (12, MAX_TYPED_CODE_LEN),
        "ABCD-EFGH-JKMN",
    )
}

schema! {
    /// A device token, as a sign-in returned it.
    DeviceToken => ObjectBuilder::new()
        .schema_type(SchemaType::Type(Type::String))
        .description(Some(
            "The `deviceToken` of this client's last sign-in to this account, if it kept \
             one: its sign-ins are then counted apart from strangers' guesses and served \
             first. An invalid, expired or other account's token is ignored (a sign-in as \
             a new device).",
        ))
        .max_length(Some(MAX_DEVICE_TOKEN_LEN))
        .into()
}

schema! {
    /// A class's id: its sourcedId in the school's roster.
    ClassId => string(
        "The class's sourcedId from the roster: 1–255 characters without control characters.",
        classchat_core::roster::SOURCED_ID_PATTERN,
        (1, classchat_core::roster::MAX_SOURCED_ID_LEN),
        "class-0001",
    )
}

schema! {
    /// A people search.
    Search => ObjectBuilder::new()
        .schema_type(SchemaType::Type(Type::String))
        .description(Some(
            "Part of a userId or display name, matched ignoring case: at most 100 characters \
             without control characters (surrounding spaces are ignored).",
        ))
        .pattern(Some(classchat_core::service::SEARCH_PATTERN))
        .max_length(Some(classchat_core::service::MAX_SEARCH_LEN))
        .into()
}

schema! {
    /// An account's status.
    AccountStatus => ObjectBuilder::new()
        .schema_type(SchemaType::Type(Type::String))
        .enum_values(Some(["active", "disabled"]))
        .into()
}

schema! {
    /// An IANA time zone name (e.g. `Europe/London`); it must be one the server knows.
    TimeZoneName => string(
        "An IANA time zone name, e.g. Europe/London",
        "^[A-Za-z0-9_+/-]+$",
        (1, MAX_ZONE_LEN),
        "Europe/London",
    )
}

schema! {
    /// A wall-clock time, `HH:MM` from 00:00 to 24:00.
    ClockTime => string("HH:MM, 00:00–24:00", CLOCK_PATTERN, (5, 5), "08:00")
}

schema! {
    /// A day of the week.
    DayName => ObjectBuilder::new()
        .schema_type(SchemaType::Type(Type::String))
        .enum_values(Some(DAY_NAMES))
        .into()
}

schema! {
    /// An email address.
    Email => string(
        "An email address",
        EMAIL_PATTERN,
        (5, MAX_EMAIL_LEN),
        "ms.rivera@school.example",
    )
}

schema! {
    /// Days of the week, each at most once.
    DayList => utoipa::openapi::schema::ArrayBuilder::new()
        .items(<DayName as utoipa::PartialSchema>::schema())
        .min_items(Some(1))
        .max_items(Some(7))
        .unique_items(true)
        .into()
}

schema! {
    /// A push service URL, from the browser's `PushSubscription`.
    PushEndpoint => string(
        "The push service's https URL",
        ENDPOINT_PATTERN,
        (8, MAX_ENDPOINT_LEN),
        "https://push.example/send/abc",
    )
}

schema! {
    /// A key of a push subscription, base64url.
    PushKey => string("base64url", KEY_PATTERN, (1, 128), "BTBZMqHH6r4Tts7J_aSIgg")
}

schema! {
    /// A role.
    Role => ObjectBuilder::new()
        .schema_type(SchemaType::Type(Type::String))
        .enum_values(Some(["student", "teacher", "guardian", "admin"]))
        .into()
}

schema! {
    /// A page size.
    Limit => ObjectBuilder::new()
        .schema_type(SchemaType::Type(Type::Integer))
        .minimum(Some(1))
        .maximum(Some(MAX_PAGE_LIMIT as u32))
        .into()
}

schema! {
    /// The id of an audit entry.
    AuditEntryId => string(
        "A ULID: 26 characters of Crockford's base32.",
        ULID_PATTERN,
        (26, 26),
        "01JDQ1Z8X4V9P3K2M5N7R8T6W0",
    )
}

// After `schema!`, which it uses (a macro is in scope only below its definition).
mod moderation;

pub(crate) use moderation::{
    Context, EditWindowMinutes, FlagPattern, FlagWord, PauseReason, ReportDetails, ReportId,
    ReportNote, ReportReasonChosen, ReportStateFilter, ReportStepState,
};

mod retention;

pub(crate) use retention::{HoldBody, RetentionDays};
