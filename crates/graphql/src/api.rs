//! The schema with its limits, and how one operation runs: for a signed-in caller, within
//! their operation budget (checked before anything is read), with every error coded.

use crate::error::with_codes;
use crate::mutation::Mutation;
use crate::query::Query;
use crate::subscription::{Feed, Subscription};
use crate::ws::session::{Authenticate, Incoming, Outgoing};
use async_graphql::{Request, Response, Schema, Variables};
use classchat_core::rate::{Rate, RateLimiter};
use classchat_core::{ChatError, ChatService, Clock, User, UserId};
use classchat_live::Live;
use futures::stream::{BoxStream, Stream, StreamExt};
use serde_json::{Map, Value};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// The schema type.
type ChatSchema = Schema<Query, Mutation, Subscription>;

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
    /// How long a new socket may take to send `connection_init` (then 4408).
    pub init_timeout: Duration,
    /// Operations one socket may run at once; one more is refused with an `error`.
    pub subscriptions: usize,
}

impl Default for GraphqlLimits {
    /// Depth 8 (the schema's deepest useful query is 4), complexity 200, 20 operations a
    /// second after a burst of 60 (like the frames of a `/chat/ws` socket), 10 s for
    /// `connection_init`, 32 operations per socket.
    fn default() -> Self {
        Self {
            depth: 8,
            complexity: 200,
            operations: Rate {
                per_second: 20.0,
                burst: 60.0,
            },
            init_timeout: Duration::from_secs(10),
            subscriptions: 32,
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
    limits: GraphqlLimits,
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
        let schema = Schema::build(Query, Mutation::default(), Subscription)
            .limit_depth(limits.depth)
            .limit_complexity(limits.complexity)
            .finish();
        Self {
            schema,
            service,
            clock,
            budget: Arc::new(RateLimiter::new(limits.operations)),
            limits,
        }
    }

    /// The service the operations run on.
    pub(crate) fn service(&self) -> &ChatService {
        &self.service
    }

    /// How long a socket may take to initialise.
    pub(crate) fn init_timeout(&self) -> Duration {
        self.limits.init_timeout
    }

    /// Operations one socket may run at once.
    pub(crate) fn max_subscriptions(&self) -> usize {
        self.limits.subscriptions
    }

    /// Serves one `graphql-transport-ws` socket (see [`crate::ws::session`]): `incoming`
    /// is what the client sends, `outgoing` what to write to it. `live` is the node's live
    /// side, whose registry the connection joins; `header_token` the bearer token of the
    /// upgrade request, if it had one.
    pub async fn serve_socket(
        &self,
        live: &Live,
        authenticate: &dyn Authenticate,
        header_token: Option<String>,
        incoming: impl Stream<Item = Incoming> + Unpin + Send,
        outgoing: mpsc::Sender<Outgoing>,
    ) {
        crate::ws::session::serve(self, live, authenticate, header_token, incoming, outgoing).await;
    }

    /// Starts one operation of a socket for `user`, its subscriptions reading `feed`: its
    /// results as GraphQL responses, or the refusal of an operation over the budget.
    pub(crate) fn execute_stream(
        &self,
        user: User,
        feed: Feed,
        query: String,
        variables: Option<Map<String, Value>>,
        operation_name: Option<String>,
    ) -> Result<BoxStream<'static, Value>, ChatError> {
        if !self.budget.allow(&user.id, self.clock.now()) {
            return Err(ChatError::RateLimited);
        }
        let mut request = Request::new(query)
            .variables(Variables::from_json(Value::Object(
                variables.unwrap_or_default(),
            )))
            .data(Operation {
                service: Arc::clone(&self.service),
                user,
            })
            .data(feed);
        if let Some(name) = operation_name {
            request = request.operation_name(name);
        }
        Ok(self
            .schema
            .execute_stream(request)
            .map(|response| serde_json::to_value(with_codes(response)).unwrap_or(Value::Null))
            .boxed())
    }

    /// The schema in SDL: what `schema.graphql` holds.
    pub fn sdl(&self) -> String {
        self.schema.sdl()
    }

    /// Runs one operation for `user`.
    pub async fn execute(&self, user: User, request: Request) -> Response {
        if !self.budget.allow(&user.id, self.clock.now()) {
            return Response::from_errors(vec![crate::error::refusal(ChatError::RateLimited)]);
        }
        let request = request.data(Operation {
            service: Arc::clone(&self.service),
            user,
        });
        with_codes(self.schema.execute(request).await)
    }
}
