//! The schemas of retention's inputs: a legal hold's body and reason, and the school's
//! retention period, from the core's constants.

use super::{ConversationId, UserId, string};
use classchat_core::moderation::{MAX_RETENTION_DAYS, MIN_RETENTION_DAYS};
use classchat_core::service::MAX_HOLD_REASON_CHARS;
use classchat_core::text::MESSAGE_BODY_PATTERN;
use std::borrow::Cow;
use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Schema, SchemaType, Type};
use utoipa::openapi::{Ref, RefOr};
use utoipa::{PartialSchema, ToSchema};

schema! {
    /// Why a user or a conversation is held.
    HoldReason => string(
        "1–500 characters, not all whitespace, with no control character but tab, line \
         feed and carriage return; stored trimmed.",
        MESSAGE_BODY_PATTERN,
        (1, MAX_HOLD_REASON_CHARS),
        "case 2026-14",
    )
}

schema! {
    /// The school's retention period.
    RetentionDays => ObjectBuilder::new()
        .schema_type(SchemaType::Type(Type::Integer))
        .description(Some(
            "Days after its last message that a conversation is deleted (30 days to 100 \
             years); `null` keeps everything.",
        ))
        .minimum(Some(MIN_RETENTION_DAYS))
        .maximum(Some(MAX_RETENTION_DAYS))
        .examples([serde_json::json!(1095)])
        .into()
}

/// `POST /admin/holds` body: exactly one of `userId` or `conversationId`, with an optional
/// reason. Stated as a `oneOf` whose branches each allow the other id only as `null`, so
/// both ids, or neither, is a body the schema refuses, as the server does
/// (`400 invalid_request`).
pub(crate) struct HoldBody;

/// A reference to the component schema `T`.
fn reference<T: ToSchema>() -> RefOr<Schema> {
    Ref::from_schema_name(T::name()).into()
}

/// `T`, or `null` (what the derived request bodies say of an optional field).
fn or_null(schema: RefOr<Schema>) -> RefOr<Schema> {
    OneOfBuilder::new()
        .item(ObjectBuilder::new().schema_type(SchemaType::Type(Type::Null)))
        .item(schema)
        .into()
}

/// A branch of [`HoldBody`]: `id` required, `other` absent or `null`.
fn branch(title: &str, id: (&str, RefOr<Schema>), other: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(SchemaType::Type(Type::Object))
        .title(Some(title))
        .property(id.0, id.1)
        .required(id.0)
        .property(
            other,
            ObjectBuilder::new().schema_type(SchemaType::Type(Type::Null)),
        )
        .property("reason", or_null(reference::<HoldReason>()))
}

impl PartialSchema for HoldBody {
    fn schema() -> RefOr<Schema> {
        OneOfBuilder::new()
            .description(Some(
                "What to hold: a user (every conversation they take part in) or one \
                 conversation (either id order), never both; with a reason, if any.",
            ))
            .item(branch(
                "A user",
                ("userId", reference::<UserId>()),
                "conversationId",
            ))
            .item(branch(
                "A conversation",
                ("conversationId", reference::<ConversationId>()),
                "userId",
            ))
            .into()
    }
}

impl ToSchema for HoldBody {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("HoldRequest")
    }

    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        for (name, schema) in [
            (UserId::name(), UserId::schema()),
            (ConversationId::name(), ConversationId::schema()),
            (HoldReason::name(), HoldReason::schema()),
        ] {
            schemas.push((name.into_owned(), schema));
        }
    }
}
