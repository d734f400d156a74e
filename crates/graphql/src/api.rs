//! The schema with its limits, and how one operation runs: for a signed-in caller, within
//! their operation budget (checked before anything is read), with every error coded.

use crate::error::with_codes;
use crate::mutation::Mutation;
use crate::query::Query;
use async_graphql::{EmptySubscription, ErrorExtensions, Request, Response, Schema, ServerError};
use classchat_core::rate::{Rate, RateLimiter};
use classchat_core::{ChatError, ChatService, Clock, User, UserId};
use std::sync::Arc;

/// The schema type.
type ChatSchema = Schema<Query, Mutation, EmptySubscription>;

/// Bounds on what one operation may ask for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GraphqlLimits {
    /// Deepest selection nesting.
    pub depth: usize,
    /// Most fields an operation may select (each field counts one, lists included once).
    pub complexity: usize,
    /// Operations per user: a burst, then a sustained rate. Over it, an operation is
    /// refused with `rate_limited` before anything is read.
    pub operations: Rate,
}

impl Default for GraphqlLimits {
    /// Depth 8 (the schema's deepest useful query is 4), complexity 200, and 20
    /// operations a second after a burst of 60, like the frames of a `/chat/ws` socket.
    fn default() -> Self {
        Self {
            depth: 8,
            complexity: 200,
            operations: Rate {
                per_second: 20.0,
                burst: 60.0,
            },
        }
    }
}

/// The GraphQL API over one `ChatService`.
#[derive(Clone)]
pub struct Api {
    schema: ChatSchema,
    service: Arc<ChatService>,
    clock: Arc<dyn Clock>,
    budget: Arc<RateLimiter<UserId>>,
}

/// Who runs an operation, and the service they run it on: each resolver's context.
pub(crate) struct Caller<'a> {
    /// The service.
    pub(crate) service: &'a ChatService,
    /// The signed-in user, as stored now.
    pub(crate) user: &'a User,
}

/// The context data of one operation.
struct Operation {
    service: Arc<ChatService>,
    user: User,
}

/// The caller of the operation a resolver runs in.
pub(crate) fn caller<'a>(ctx: &async_graphql::Context<'a>) -> async_graphql::Result<Caller<'a>> {
    let operation = ctx.data::<Operation>()?;
    Ok(Caller {
        service: &operation.service,
        user: &operation.user,
    })
}

impl Api {
    /// The API over `service`, keeping time for its budgets by `clock`.
    pub fn new(service: Arc<ChatService>, clock: Arc<dyn Clock>, limits: GraphqlLimits) -> Self {
        let schema = Schema::build(Query, Mutation, EmptySubscription)
            .limit_depth(limits.depth)
            .limit_complexity(limits.complexity)
            .finish();
        Self {
            schema,
            service,
            clock,
            budget: Arc::new(RateLimiter::new(limits.operations)),
        }
    }

    /// The schema in SDL: what `schema.graphql` holds.
    pub fn sdl(&self) -> String {
        self.schema.sdl()
    }

    /// Runs one operation for `user`.
    pub async fn execute(&self, user: User, request: Request) -> Response {
        if !self.budget.allow(&user.id, self.clock.now()) {
            return refused(&ChatError::RateLimited);
        }
        let request = request.data(Operation {
            service: Arc::clone(&self.service),
            user,
        });
        with_codes(self.schema.execute(request).await)
    }
}

/// A response of one error and no data.
fn refused(error: &ChatError) -> Response {
    let code = error.code().as_str();
    let mut refusal = ServerError::new(error.to_string(), None);
    let extended = async_graphql::Error::new(error.to_string())
        .extend_with(|_, extensions| extensions.set("code", code));
    refusal.extensions = extended.extensions;
    Response::from_errors(vec![refusal])
}
