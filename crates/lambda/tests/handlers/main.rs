//! The Lambda handlers invoked in-process with real API Gateway event payloads, against the
//! DynamoDB emulator (and its Secrets Manager) and a loopback Management API; the template's
//! IAM grants checked against the code, and its other safeguards; and the real binaries
//! under an emulator of the Lambda Runtime API. One test binary for all of them.

mod common;

mod appsync;
mod appsync_families;
mod appsync_matrix;
mod appsync_moderation;
mod cost;
mod fan_out;
mod http;
mod iam;
mod runtime_loop;
mod scenario;
mod secret;
mod template;
mod websocket;
