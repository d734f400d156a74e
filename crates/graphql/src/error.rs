//! `ChatError` as a GraphQL error: the message the REST API would give, and its stable code
//! in `extensions.code` (`forbidden`, `not_linked`, `invalid_message_body`, …). Errors
//! GraphQL itself raises (a query that does not parse or validate, or is over a limit)
//! get `invalid_request`, so every error a client sees has a code.

use async_graphql::{ErrorExtensions, Response};
use classchat_core::ChatError;

/// The code of errors raised by GraphQL itself rather than by the service.
pub(crate) const INVALID_REQUEST: &str = "invalid_request";

/// The GraphQL error of a refused use-case.
pub(crate) fn graphql_error(error: ChatError) -> async_graphql::Error {
    if let ChatError::Internal(detail) = &error {
        tracing::error!(%detail, "internal error on a GraphQL operation");
    }
    coded(error.to_string(), error.code().as_str())
}

/// A GraphQL error saying `message`, with `code` in `extensions.code`.
pub(crate) fn coded(message: impl Into<String>, code: &'static str) -> async_graphql::Error {
    async_graphql::Error::new(message).extend_with(|_, extensions| {
        extensions.set("code", code);
    })
}

/// A refused use-case as a whole response's error (no field, no location).
pub(crate) fn refusal(error: ChatError) -> async_graphql::ServerError {
    let coded = graphql_error(error);
    let mut refusal = async_graphql::ServerError::new(coded.message, None);
    refusal.extensions = coded.extensions;
    refusal
}

/// Lets `?` turn a `ChatError` into a GraphQL error.
pub(crate) trait OrGraphql<T> {
    /// The value, or the GraphQL error of the refusal.
    fn or_graphql(self) -> async_graphql::Result<T>;
}

impl<T> OrGraphql<T> for Result<T, ChatError> {
    fn or_graphql(self) -> async_graphql::Result<T> {
        self.map_err(graphql_error)
    }
}

/// Gives every error of `response` without a code the code `invalid_request`.
pub(crate) fn with_codes(mut response: Response) -> Response {
    for error in &mut response.errors {
        let coded = error
            .extensions
            .as_ref()
            .is_some_and(|extensions| extensions.get("code").is_some());
        if !coded {
            error
                .extensions
                .get_or_insert_with(Default::default)
                .set("code", INVALID_REQUEST);
        }
    }
    response
}
