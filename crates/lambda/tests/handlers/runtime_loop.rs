//! The functions' real binaries under the Lambda Runtime API emulator
//! (`classchat_lambda::testing`): their `main`, the cold start from the environment (the
//! secret from the emulator's Secrets Manager, the tables under a fresh prefix), and
//! `lambda_runtime`'s loop with its event (de)serialisation — what the in-process tests
//! leave out. Live frames reach the loopback Management API from the child processes.

use crate::common::{Harness, fixture};
use classchat_lambda::testing::{self, EmulatorError, FunctionSpec, InvokeError, RuntimeEmulator};
use serde_json::{Value, json};

const HTTP_BIN: &str = env!("CARGO_BIN_EXE_classchat-http");
const WS_BIN: &str = env!("CARGO_BIN_EXE_classchat-ws");
const APPSYNC_BIN: &str = env!("CARGO_BIN_EXE_classchat-appsync");
const AUTHORIZER_BIN: &str = env!("CARGO_BIN_EXE_classchat-appsync-authorizer");

/// `bin` with template.yaml's variables pointing at the harness's emulators: its tables,
/// its secret, its Management API. Secrets Manager is reached through the SDK's own
/// `AWS_ENDPOINT_URL_SECRETS_MANAGER` (moto serves it on the DynamoDB port).
fn spec(harness: &Harness, bin: &str, name: &str) -> FunctionSpec {
    let endpoint = classchat_store_dynamodb::testing::emulator_endpoint();
    let prefix = harness
        .connections_table
        .strip_suffix("Connections")
        .expect("the harness's tables have a prefix");
    let management = harness
        .config
        .management_endpoint
        .clone()
        .expect("the harness's Management API");
    FunctionSpec::new(bin, name)
        .env(
            "CLASSCHAT_JWT_SECRET_ARN",
            harness.config.jwt_secret_arn.clone(),
        )
        .env("CLASSCHAT_DYNAMODB_ENDPOINT", endpoint.clone())
        .env("AWS_ENDPOINT_URL_SECRETS_MANAGER", endpoint)
        .env("CLASSCHAT_TABLE_PREFIX", prefix)
        .env("CLASSCHAT_WS_ENDPOINT", management)
        .env("RUST_LOG", "warn")
}

async fn start(harness: &Harness, bin: &str, name: &str) -> RuntimeEmulator {
    RuntimeEmulator::start(spec(harness, bin, name))
        .await
        .unwrap_or_else(|error| panic!("{name}: {error}"))
}

/// An HTTP API (v2) event for `method path` with `token` and a raw `body`.
fn http_event(method: &str, path: &str, token: Option<&str>, body: Option<&str>) -> Value {
    testing::http_event(method, path, token, body).expect("the HTTP fixture")
}

/// Invokes the HTTP function: the status and the JSON body (`Null` when empty).
async fn http(function: &RuntimeEmulator, event: &Value) -> (i64, Value) {
    let response = function
        .invoke(event)
        .await
        .unwrap_or_else(|error| panic!("{error}\n{}", function.logs()));
    let status = response["statusCode"].as_i64().expect("statusCode");
    let body = match response["body"].as_str() {
        None | Some("") => Value::Null,
        Some(text) => serde_json::from_str(text).unwrap_or_else(|_| text.into()),
    };
    (status, body)
}

async fn login(function: &RuntimeEmulator, user: &str) -> String {
    let body = json!({"userId": user, "password": crate::common::PASSWORD}).to_string();
    let (status, body) = http(
        function,
        &http_event("POST", "/auth/login", None, Some(&body)),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body["token"].as_str().expect("token").to_owned()
}

/// Invokes the WebSocket function on `route` for `connection`: the status.
async fn ws(function: &RuntimeEmulator, route: &str, connection: &str, extra: Value) -> i64 {
    let mut event = match route {
        "$connect" => fixture("ws-connect.json"),
        "$disconnect" => fixture("ws-disconnect.json"),
        _ => fixture("ws-message.json"),
    };
    event["requestContext"]["connectionId"] = connection.into();
    event["requestContext"]["routeKey"] = route.into();
    if let Some(token) = extra.get("token").and_then(Value::as_str) {
        event["queryStringParameters"]["token"] = token.into();
        event["multiValueQueryStringParameters"]["token"] = json!([token]);
    }
    if let Some(body) = extra.get("body").and_then(Value::as_str) {
        event["body"] = body.into();
    }
    let response = function
        .invoke(&event)
        .await
        .unwrap_or_else(|error| panic!("{error}\n{}", function.logs()));
    response["statusCode"].as_i64().expect("statusCode")
}

/// The `userId` of the Connections item of `connection`, if there is one.
async fn connection_owner(harness: &Harness, connection: &str) -> Option<String> {
    let item = harness.connection_item(connection).await?;
    item.get("userId")?.as_s().ok().cloned()
}

#[tokio::test]
async fn the_binaries_serve_a_conversation_under_the_runtime_loop() {
    let harness = Harness::start().await;
    let rest = start(&harness, HTTP_BIN, "classchat-http").await;
    let socket = start(&harness, WS_BIN, "classchat-ws").await;
    assert!(!rest.init_duration().is_zero());

    let student = login(&rest, "s1").await;
    let teacher = login(&rest, "t1").await;

    // The teacher opens a socket: its connection item is the teacher's.
    let status = ws(
        &socket,
        "$connect",
        "teacher-conn",
        json!({"token": teacher}),
    )
    .await;
    assert_eq!(status, 200, "{}", socket.logs());
    assert_eq!(
        connection_owner(&harness, "teacher-conn").await.as_deref(),
        Some("t1")
    );

    // A REST send from the student: its answer, and the frame on the teacher's socket,
    // posted by the HTTP function's process to the Management API.
    harness.fake.clear();
    let send = json!({"conversationId": "s1+t1", "author": "s1", "messageBody": "Over the loop"});
    let event = http_event(
        "POST",
        "/chat/send",
        Some(&student),
        Some(&send.to_string()),
    );
    let (status, body) = http(&rest, &event).await;
    assert!(status == 200 || status == 201, "{status} {body}");
    assert_eq!(body["messageBody"], "Over the loop", "{body}");
    assert_eq!(body["author"], "s1", "{body}");
    let frames = harness.fake.frames_to("teacher-conn");
    assert_eq!(frames.len(), 1, "{frames:?}\n{}", rest.logs());
    assert_eq!(frames[0]["type"], "message");
    assert_eq!(frames[0]["message"]["messageBody"], "Over the loop");

    let read = "/chat/read?conversationId=s1%2Bt1&limit=50";
    let (status, body) = http(&rest, &http_event("GET", read, Some(&teacher), None)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["messages"][0]["messageBody"], "Over the loop",
        "{body}"
    );

    // The teacher answers over the socket, on `$default`: acked on the socket, stored.
    harness.fake.clear();
    let frame = json!({"action": "sendMessage", "conversationId": "s1+t1",
        "messageBody": "Seen", "clientMessageId": "rt-1"});
    let status = ws(
        &socket,
        "$default",
        "teacher-conn",
        json!({"body": frame.to_string()}),
    )
    .await;
    assert_eq!(status, 200);
    let frames = harness.fake.frames_to("teacher-conn");
    assert!(frames.iter().any(|f| f["type"] == "ack"), "{frames:?}");
    let (_, body) = http(&rest, &http_event("GET", read, Some(&student), None)).await;
    assert_eq!(body["messages"].as_array().map(Vec::len), Some(2), "{body}");

    // Malformed input is an answer, not a crash; the loop goes on.
    let event = http_event("POST", "/chat/send", Some(&student), Some("{not json"));
    let (status, body) = http(&rest, &event).await;
    assert!((400..500).contains(&status), "{status} {body}");
    harness.fake.clear();
    let status = ws(
        &socket,
        "$default",
        "teacher-conn",
        json!({"body": "{not json"}),
    )
    .await;
    assert_eq!(status, 200);
    let frames = harness.fake.frames_to("teacher-conn");
    assert_eq!(frames.len(), 1, "{frames:?}");
    assert_eq!(frames[0]["type"], "error", "{frames:?}");
    // Not an API Gateway event at all: the runtime reports the invocation failed…
    match rest.invoke(&json!({"hello": "world"})).await {
        Err(InvokeError::Function(error)) => assert!(!error.error_message.is_empty()),
        other => panic!("expected a failed invocation, got {other:?}"),
    }
    // …and serves the next one.
    let (status, body) = http(&rest, &http_event("GET", "/healthz", None, None)).await;
    assert_eq!((status, &body["status"]), (200, &json!("ok")), "{body}");

    let status = ws(&socket, "$disconnect", "teacher-conn", json!({})).await;
    assert_eq!(status, 200);
    assert_eq!(connection_owner(&harness, "teacher-conn").await, None);

    for function in [rest, socket] {
        let stopped = function.stop().await.expect("stop");
        assert!(stopped.peak_rss_bytes > 1024 * 1024, "{stopped:?}");
    }
}

#[tokio::test]
async fn a_cold_start_without_its_secret_fails_with_the_reason() {
    let harness = Harness::start().await;
    let mut spec = spec(&harness, HTTP_BIN, "classchat-http");
    spec.env
        .retain(|(name, _)| name != "CLASSCHAT_JWT_SECRET_ARN");
    match RuntimeEmulator::start(spec).await {
        Err(EmulatorError::Init { reason, logs }) => {
            assert!(reason.contains("exit"), "{reason}");
            assert!(logs.contains("CLASSCHAT_JWT_SECRET_ARN"), "{logs}");
        }
        Err(other) => panic!("expected a failed cold start, got {other}"),
        Ok(_) => panic!("a function without its secret started"),
    }
}

#[tokio::test]
async fn the_appsync_functions_answer_under_the_runtime_loop() {
    let harness = Harness::start().await;
    let token = harness.token("s1").await;
    let authorizer = start(&harness, AUTHORIZER_BIN, "classchat-appsync-authorizer").await;
    let answer = authorizer
        .invoke(&json!({
            "authorizationToken": token,
            "requestContext": {"apiId": "api", "accountId": "1", "requestId": "r",
                "queryString": "", "operationName": "", "variables": {}},
            "requestHeaders": {},
        }))
        .await
        .unwrap_or_else(|error| panic!("{error}\n{}", authorizer.logs()));
    assert_eq!(answer["isAuthorized"], true, "{answer}");
    assert_eq!(answer["resolverContext"]["userId"], "s1", "{answer}");

    let resolver = start(&harness, APPSYNC_BIN, "classchat-appsync").await;
    let answer = resolver
        .invoke(&crate::appsync::event("Query.me", "s1", json!({})))
        .await
        .unwrap_or_else(|error| panic!("{error}\n{}", resolver.logs()));
    assert_eq!(answer["data"]["userId"], "s1", "{answer}");
}
