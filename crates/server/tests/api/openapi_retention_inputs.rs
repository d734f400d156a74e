//! Retention's inputs in `/openapi.json` carry the constraints the server applies, from the
//! core's constants: a hold's body is exactly one of a userId or a conversationId (a
//! `oneOf` whose branches allow the other only as `null`), its reason has the message
//! body's character rule and its own length, `DELETE /admin/holds` takes either id in the
//! query, and `retentionDays` is 30–36,500 or `null`.

use crate::common::spawn_app;
use crate::openapi_inputs::{body_property, parameter, resolve};
use classchat_core::conversation::CONVERSATION_ID_PATTERN;
use classchat_core::ids::{MAX_USER_ID_LEN, USER_ID_PATTERN};
use classchat_core::moderation::{MAX_RETENTION_DAYS, MIN_RETENTION_DAYS};
use classchat_core::service::MAX_HOLD_REASON_CHARS;
use classchat_core::text::MESSAGE_BODY_PATTERN;
use reqwest::Method;
use serde_json::{Value, json};

/// Whether every key of `expected` has its value in `schema`; else what differs.
fn carries(what: &str, schema: &Value, expected: &Value) -> Vec<String> {
    expected
        .as_object()
        .expect("an object")
        .iter()
        .filter(|(key, value)| &schema[key.as_str()] != *value)
        .map(|(key, value)| format!("{what}: {key} is {}, not {value}", schema[key.as_str()]))
        .collect()
}

#[tokio::test]
async fn every_retention_input_carries_the_constraints_the_server_applies() {
    let app = spawn_app().await;
    let doc = app
        .request(Method::GET, "/openapi.json", None, None)
        .await
        .body;
    let string = |pattern: &str, min: usize, max: usize| json!({"type": "string", "pattern": pattern, "minLength": min, "maxLength": max});
    let user_id = string(USER_ID_PATTERN, 1, MAX_USER_ID_LEN);
    let conversation_id = string(CONVERSATION_ID_PATTERN, 3, 257);
    let reason = string(MESSAGE_BODY_PATTERN, 1, MAX_HOLD_REASON_CHARS);
    let mut failures = Vec::new();

    // POST /admin/holds: one branch per target, each required, the other only `null`.
    let body = &doc["paths"]["/admin/holds"]["post"]["requestBody"];
    if body["required"] != true {
        failures.push(format!(
            "POST /admin/holds: the body is not required: {body}"
        ));
    }
    let hold = resolve(&doc, &body["content"]["application/json"]["schema"]);
    let branches = hold["oneOf"].as_array().cloned().unwrap_or_default();
    if branches.len() != 2 {
        failures.push(format!("POST /admin/holds: not a oneOf of two: {hold}"));
    }
    for (branch, (id, expected, other)) in branches.iter().zip([
        ("userId", &user_id, "conversationId"),
        ("conversationId", &conversation_id, "userId"),
    ]) {
        let what = format!("POST /admin/holds ({id})");
        if branch["required"] != json!([id]) {
            failures.push(format!("{what}: required is {}", branch["required"]));
        }
        let properties = &branch["properties"];
        failures.extend(carries(
            &format!("{what} {id}"),
            resolve(&doc, &properties[id]),
            expected,
        ));
        if properties[other] != json!({"type": "null"}) {
            failures.push(format!("{what}: {other} is {}", properties[other]));
        }
        let nullable = properties["reason"]["oneOf"]
            .as_array()
            .is_some_and(|options| options.iter().any(|option| option["type"] == "null"));
        if !nullable {
            failures.push(format!("{what}: reason is not nullable"));
        }
        failures.extend(carries(
            &format!("{what} reason"),
            resolve(&doc, &properties["reason"]),
            &reason,
        ));
    }

    // DELETE /admin/holds: either id in the query, neither required on its own.
    for (name, expected) in [("userId", &user_id), ("conversationId", &conversation_id)] {
        let query = parameter(&doc, "delete", "/admin/holds", name);
        if query["in"] != "query" || query["required"] != false {
            failures.push(format!(
                "DELETE /admin/holds {name}: not an optional query parameter: {query}"
            ));
        }
        failures.extend(carries(
            &format!("DELETE /admin/holds {name}"),
            resolve(&doc, &query["schema"]),
            expected,
        ));
    }

    // PATCH /admin/settings retentionDays: an integer in bounds, or null.
    let patch = &doc["paths"]["/admin/settings"]["patch"]["requestBody"]["content"]["application/json"]
        ["schema"];
    let days = &resolve(&doc, patch)["properties"]["retentionDays"];
    let nullable = days["oneOf"]
        .as_array()
        .is_some_and(|options| options.iter().any(|option| option["type"] == "null"));
    if !nullable {
        failures.push(format!(
            "PATCH /admin/settings retentionDays is not nullable: {days}"
        ));
    }
    failures.extend(carries(
        "PATCH /admin/settings retentionDays",
        body_property(&doc, "patch", "/admin/settings", "retentionDays"),
        &json!({"type": "integer", "minimum": MIN_RETENTION_DAYS, "maximum": MAX_RETENTION_DAYS}),
    ));
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test]
async fn the_document_states_what_holds_previews_and_settings_answer() {
    let app = spawn_app().await;
    let doc = app
        .request(Method::GET, "/openapi.json", None, None)
        .await
        .body;
    let schemas = &doc["components"]["schemas"];
    for field in ["userId", "conversationId", "by", "at", "reason"] {
        assert!(
            schemas["HoldDto"]["properties"][field].is_object(),
            "HoldDto.{field}"
        );
    }
    for field in [
        "retentionDays",
        "cutoff",
        "conversations",
        "messages",
        "held",
        "sample",
    ] {
        assert!(
            schemas["RetentionPreviewDto"]["properties"][field].is_object(),
            "RetentionPreviewDto.{field}"
        );
    }
    assert!(schemas["SettingsDto"]["properties"]["retentionDays"].is_object());
    let responses = |method: &str, path: &str| doc["paths"][path][method]["responses"].clone();
    assert!(responses("post", "/admin/holds")["201"].is_object());
    assert!(responses("delete", "/admin/holds")["204"].is_object());
    for (method, path, status) in [
        ("post", "/admin/holds", "422"),
        ("post", "/admin/holds", "404"),
        ("delete", "/admin/holds", "404"),
        ("get", "/admin/holds", "429"),
        ("post", "/admin/retention/preview", "429"),
    ] {
        assert!(
            responses(method, path)[status].is_object(),
            "{method} {path} documents {status}"
        );
    }
    let two_ids = responses("post", "/admin/holds")["400"]["description"].clone();
    assert!(
        two_ids
            .as_str()
            .is_some_and(|text| text.contains("invalid_request")),
        "{two_ids}"
    );
}
