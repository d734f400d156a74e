//! The Lambda handlers invoked in-process with real API Gateway event payloads, against the
//! DynamoDB emulator and a loopback Management API; and the template's IAM grants checked
//! against the code. One test binary for all of them.

mod common;

mod fan_out;
mod http;
mod iam;
mod scenario;
mod websocket;
