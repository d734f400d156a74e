//! The `classchat-appsync` Lambda function: the AppSync API's Lambda data source.

use classchat_lambda::appsync::Resolver;
use classchat_lambda::{Deployment, LambdaConfig};
use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::Value;

// One thread: an execution environment handles one invocation at a time, and at the
// template's 256 MB it has a fraction of a vCPU, so worker threads would only add
// wake-ups between them (and the multi-threaded scheduler's code to the binary).
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    classchat_lambda::init_logging();
    let config = LambdaConfig::from_env()?;
    let deployment = Deployment::connect(&config).await?;
    let resolver = &Resolver::for_deployment(&deployment);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        Ok::<Value, lambda_runtime::Error>(resolver.resolve(event.payload).await)
    }))
    .await
}
