//! The `classchat-http` Lambda function: the REST API behind API Gateway.

use classchat_lambda::{Deployment, LambdaConfig, http};

#[tokio::main]
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
