//! The `classchat-appsync-authorizer` Lambda function: the AppSync API's `AWS_LAMBDA`
//! authorizer.

use classchat_lambda::LambdaConfig;
use classchat_lambda::appsync::{Authorizer, AuthorizerRequest, AuthorizerResponse};
use lambda_runtime::{LambdaEvent, service_fn};

#[tokio::main]
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
