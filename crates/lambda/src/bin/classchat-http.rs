//! The `classchat-http` Lambda function: the REST API behind API Gateway.

use classchat_lambda::{Deployment, LambdaConfig, http};

// One thread: an execution environment handles one invocation at a time, and at the
// template's 256 MB it has a fraction of a vCPU, so worker threads would only add
// wake-ups between them (and the multi-threaded scheduler's code to the binary).
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    classchat_lambda::init_logging();
    let config = LambdaConfig::from_env()?;
    let deployment = Deployment::connect(&config).await?;
    let app = http::app(&deployment, &config);
    // Through `http::handle`, exactly what the tests invoke.
    lambda_http::run(lambda_http::service_fn(move |request| {
        let app = app.clone();
        async move { Ok::<_, std::convert::Infallible>(http::handle(&app, request).await) }
    }))
    .await
}
