//! classchat's AppSync API (`appsync/` and the AppSync section of `template.yaml`; the
//! contract is `appsync/README.md`): the authorizer ([`Authorizer`]), the Lambda data
//! source ([`Resolver`]), and the backend's publish and invalidation calls
//! ([`AppSyncPublisher`], through [`AppSyncHub`] beside the WebSocket API's hub).

mod authorizer;
mod documents;
mod hub;
mod publisher;
mod resolver;

pub use authorizer::{Authorizer, AuthorizerRequest, AuthorizerResponse};
pub use documents::{
    END_LINK, END_USER_SESSIONS, PUBLISH_INBOX_EVENT, PUBLISH_MESSAGE, PUBLISH_MESSAGE_EDITED,
    PUBLISH_MESSAGE_REMOVED,
};
pub use hub::AppSyncHub;
pub use publisher::{AppSyncPublisher, PublishError};
pub use resolver::{Resolver, ResolverEvent};
