//! The `classchat-ws` Lambda function: every route of the WebSocket API.

use aws_lambda_events::apigw::{ApiGatewayProxyResponse, ApiGatewayWebsocketProxyRequest};
use classchat_lambda::ws::WsHandler;
use classchat_lambda::{Deployment, LambdaConfig};
use lambda_runtime::{LambdaEvent, service_fn};

// One thread: an execution environment handles one invocation at a time, and at the
// template's 256 MB it has a fraction of a vCPU, so worker threads would only add
// wake-ups between them (and the multi-threaded scheduler's code to the binary).
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    classchat_lambda::init_logging();
    let config = LambdaConfig::from_env()?;
    let deployment = Deployment::connect(&config).await?;
    let handler = &WsHandler::new(&deployment, &config);
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<ApiGatewayWebsocketProxyRequest>| async move {
            Ok::<ApiGatewayProxyResponse, lambda_runtime::Error>(
                handler.handle(event.payload).await,
            )
        },
    ))
    .await
}
