//! The AppSync API's Lambda data source (`classchat-appsync`): every query, every client
//! mutation (`sendMessage`, `markRead`, the safeguarding ones) and the start of a
//! `messageAdded`, `messageEdited` or `messageRemoved` subscription (`appsync/README.md`,
//! "The Lambda data source"). The caller is looked up again from the authorizer's
//! `resolverContext` (a disabled account or a revoked token stops here too), then each
//! field runs through classchat's own GraphQL schema (`classchat-graphql`): the same rules,
//! limits and error codes as `POST /graphql`. Refusals are answers
//! (`{"error": {"code", "message"}}`), never function errors.

use crate::deployment::Deployment;
use classchat_core::{ChatError, ChatService, ErrorCode, SystemClock};
use classchat_graphql::{Api, GraphqlLimits, Request, Variables};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::sync::Arc;

/// The operations run for AppSync's fields, one per field (see the file).
const FIELDS: &str = include_str!("fields.graphql");

/// The subscriptions to one conversation: each starts with `ChatService::follow`.
const FOLLOWING: [&str; 3] = [
    "Subscription.messageAdded",
    "Subscription.messageEdited",
    "Subscription.messageRemoved",
];

/// What AppSync sends for one field.
#[derive(Debug, Deserialize)]
pub struct ResolverEvent {
    /// `Type.field`, e.g. `Query.conversation`.
    pub field: String,
    /// The field's arguments.
    #[serde(default)]
    pub arguments: Option<Map<String, Value>>,
    /// What the authorizer answered.
    pub identity: Identity,
}

/// The caller, as the authorizer vouched for them.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Identity {
    /// The authorizer's `resolverContext`.
    pub resolver_context: ResolverContext,
}

/// The part of the `resolverContext` the data source reads.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResolverContext {
    /// The user.
    pub user_id: String,
    /// Their token version when the token was issued (a string, as AppSync carries it).
    pub token_version: String,
}

/// Runs AppSync's fields on classchat's GraphQL schema.
pub struct Resolver {
    service: Arc<ChatService>,
    api: Api,
}

impl Resolver {
    /// A data source over `service`, running fields on `api`.
    pub fn new(service: Arc<ChatService>, api: Api) -> Self {
        Self { service, api }
    }

    /// The data source of a deployment: its service, with `POST /graphql`'s limits.
    pub fn for_deployment(deployment: &Deployment) -> Self {
        let service = Arc::clone(&deployment.service);
        let api = Api::new(
            Arc::clone(&service),
            Arc::new(SystemClock),
            GraphqlLimits::default(),
        );
        Self::new(service, api)
    }

    /// Answers one event (as JSON): `{"data": …}` or `{"error": {"code", "message"}}`.
    pub async fn resolve(&self, event: Value) -> Value {
        match self.answer(event).await {
            Ok(data) => json!({ "data": data }),
            Err(Refusal { code, message }) => {
                json!({ "error": { "code": code, "message": message } })
            }
        }
    }

    async fn answer(&self, event: Value) -> Result<Value, Refusal> {
        let event: ResolverEvent = serde_json::from_value(event).map_err(|error| Refusal {
            code: ErrorCode::InvalidRequest.as_str().to_owned(),
            message: format!("not a resolver event: {error}"),
        })?;
        let context = &event.identity.resolver_context;
        let version = context
            .token_version
            .parse::<u64>()
            .map_err(|_| Refusal::from(ChatError::unauthorized("invalid token")))?;
        let user = self
            .service
            .authenticate(&context.user_id, version)
            .await
            .map_err(Refusal::from)?;
        let arguments = event.arguments.unwrap_or_default();
        if FOLLOWING.contains(&event.field.as_str()) {
            let raw = arguments
                .get("conversationId")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let conversation = self.service.follow(&user, raw).await?;
            return Ok(json!({ "conversationId": conversation.to_string() }));
        }
        // `Query.conversation` runs the operation `Query_conversation`; a field that names
        // no operation is refused by the schema (`invalid_request`).
        let Some((_, name)) = event.field.split_once('.') else {
            return Err(Refusal {
                code: ErrorCode::InvalidRequest.as_str().to_owned(),
                message: format!("no field {}", event.field),
            });
        };
        let name = name.to_owned();
        let request = Request::new(FIELDS)
            .operation_name(event.field.replace('.', "_"))
            .variables(Variables::from_json(Value::Object(arguments)));
        let response =
            serde_json::to_value(self.api.execute(user, request).await).unwrap_or(Value::Null);
        if let Some(error) = response["errors"]
            .as_array()
            .and_then(|errors| errors.first())
        {
            return Err(Refusal {
                code: error["extensions"]["code"]
                    .as_str()
                    .unwrap_or(ErrorCode::InvalidRequest.as_str())
                    .to_owned(),
                message: error["message"].as_str().unwrap_or_default().to_owned(),
            });
        }
        Ok(response["data"][name.as_str()].clone())
    }
}

/// A refusal, as the resolver answers it.
struct Refusal {
    code: String,
    message: String,
}

impl From<ChatError> for Refusal {
    fn from(error: ChatError) -> Self {
        Self {
            code: error.code().as_str().to_owned(),
            message: error.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::FIELDS;

    /// The root fields of `type <name> { … }` in `schema` that clients call (not the
    /// backend's `@aws_iam` ones).
    fn client_fields<'a>(schema: &'a str, name: &str) -> Vec<&'a str> {
        let start = schema
            .find(&format!("type {name} {{"))
            .unwrap_or_else(|| panic!("type {name}"));
        let body = &schema[start..];
        let body = &body[..body.find("\n}").unwrap_or(body.len())];
        body.lines()
            .skip(1)
            .map(str::trim)
            .filter(|line| !line.is_empty() && !line.starts_with('#'))
            .filter(|line| !line.contains("@aws_iam"))
            .filter_map(|line| line.split(['(', ':']).next())
            .collect()
    }

    /// Every query and mutation AppSync sends to the data source has its operation here,
    /// so no field of `appsync/schema.graphql` is left to answer `invalid_request`.
    #[test]
    fn every_client_field_of_the_appsync_schema_has_an_operation() {
        let schema = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../appsync/schema.graphql"),
        )
        .unwrap();
        let mut count = 0;
        for (root, keyword) in [("Query", "query"), ("Mutation", "mutation")] {
            for field in client_fields(&schema, root) {
                let operation = format!("{keyword} {root}_{field}");
                assert!(FIELDS.contains(&operation), "{operation} is missing");
                count += 1;
            }
        }
        assert_eq!(count, 15, "8 queries and 7 mutations");
    }
}
