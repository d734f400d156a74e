//! The token signing secret comes from Secrets Manager (the emulator's), read once at cold
//! start: a short or unreadable secret stops the function with a clear error, and a
//! running function never reads it again.

use crate::common::{Harness, SECRET, create_secret, secrets_client};
use classchat_lambda::{JwtSecret, LambdaError};

#[tokio::test]
async fn the_secret_is_read_from_secrets_manager_without_its_trailing_newline() {
    let client = secrets_client();
    let arn = create_secret(&format!("{SECRET}\n")).await;
    let secret = JwtSecret::fetch(&client, &arn).await.expect("read");
    assert_eq!(secret.bytes(), SECRET.as_bytes());
    assert!(
        !format!("{secret:?}").contains(SECRET),
        "never in a log line"
    );
}

#[tokio::test]
async fn a_secret_shorter_than_32_bytes_stops_the_cold_start() {
    let client = secrets_client();
    let arn = create_secret(&"s".repeat(31)).await;
    let error = JwtSecret::fetch(&client, &arn).await.unwrap_err();
    assert!(matches!(error, LambdaError::Secret(_)), "{error:?}");
    let message = error.to_string();
    assert!(
        message.contains(&arn) && message.contains("31 bytes") && message.contains("32"),
        "{message}"
    );
}

#[tokio::test]
async fn an_unreadable_secret_stops_the_cold_start_naming_it() {
    let client = secrets_client();
    let arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:classchat-absent-AbCdEf";
    let error = JwtSecret::fetch(&client, arn).await.unwrap_err();
    assert!(matches!(error, LambdaError::Secret(_)), "{error:?}");
    assert!(error.to_string().contains(arn), "{error}");
}

#[tokio::test]
async fn a_running_function_does_not_read_the_secret_again() {
    let harness = Harness::start().await;
    // The secret goes away after the cold start; invocations keep working on the copy.
    harness
        .secrets
        .delete_secret()
        .secret_id(&harness.config.jwt_secret_arn)
        .force_delete_without_recovery(true)
        .send()
        .await
        .expect("delete the secret");
    assert!(
        JwtSecret::fetch(&harness.secrets, &harness.config.jwt_secret_arn)
            .await
            .is_err(),
        "the secret is gone"
    );
    assert_eq!(harness.connect("s1", "conn-after-delete").await, 200);
}
