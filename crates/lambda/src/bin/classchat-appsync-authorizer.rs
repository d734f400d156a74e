//! The `classchat-appsync-authorizer` Lambda function: the AppSync API's `AWS_LAMBDA`
//! authorizer.

use classchat_lambda::LambdaConfig;
use classchat_lambda::appsync::{Authorizer, AuthorizerRequest, AuthorizerResponse};
use lambda_runtime::{LambdaEvent, service_fn};

// One thread: an execution environment handles one invocation at a time, and at the
// template's 256 MB it has a fraction of a vCPU, so worker threads would only add
// wake-ups between them (and the multi-threaded scheduler's code to the binary).
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    classchat_lambda::init_logging();
    let config = LambdaConfig::from_env()?;
    let authorizer = &Authorizer::connect(&config).await?;
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<AuthorizerRequest>| async move {
            Ok::<AuthorizerResponse, lambda_runtime::Error>(
                authorizer.authorize(&event.payload).await,
            )
        },
    ))
    .await
}
