//! The safeguarding inputs of `/openapi.json` carry the constraints the server applies,
//! from the core's constants: reasons and states as enums, reportIds as ULIDs, free text
//! with the message body's character rule and its own length, and the school's edit
//! window and flag rules with their limits. (`openapi_inputs` holds the rest.)

use crate::common::spawn_app;
use crate::openapi_inputs::{body_property, parameter, required_fields, resolve};
use classchat_core::conversation::CONVERSATION_ID_PATTERN;
use classchat_core::moderation::flags::{
    MAX_FLAG_PATTERN_CHARS, MAX_FLAG_PATTERNS, MAX_FLAG_WORD_CHARS, MAX_FLAG_WORDS,
};
use classchat_core::moderation::{
    MAX_EDIT_WINDOW_MINUTES, MAX_PAUSE_REASON_CHARS, MAX_REPORT_DETAILS_CHARS, ReportReason,
    ReportState,
};
use classchat_core::text::MESSAGE_BODY_PATTERN;
use classchat_core::time::TIMESTAMP_PATTERN;
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test]
async fn every_safeguarding_input_carries_the_constraints_the_server_applies() {
    let app = spawn_app().await;
    let doc = app
        .request(Method::GET, "/openapi.json", None, None)
        .await
        .body;
    let string = |pattern: &str, min: usize, max: usize| json!({"type": "string", "pattern": pattern, "minLength": min, "maxLength": max});
    let conversation_id = string(CONVERSATION_ID_PATTERN, 3, 257);
    let timestamp = string(TIMESTAMP_PATTERN, 20, 35);
    let report_id = json!({"type": "string", "minLength": 26, "maxLength": 26,
        "pattern": "^[0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{26}$"});
    let text = |max: usize| string(MESSAGE_BODY_PATTERN, 1, max);
    let reasons: Vec<&str> = ReportReason::CHOSEN.iter().map(|r| r.as_str()).collect();
    let states: Vec<&str> = ReportState::ALL.iter().map(|s| s.as_str()).collect();
    let steps: Vec<&str> = states[1..].to_vec();

    let query = |method: &str, path: &str, name: &str| {
        resolve(&doc, &parameter(&doc, method, path, name)["schema"]).clone()
    };
    let body =
        |method: &str, path: &str, name: &str| body_property(&doc, method, path, name).clone();
    let settings = |name: &str| body("patch", "/admin/settings", name);
    let items = |schema: &Value| resolve(&doc, &schema["items"]).clone();
    let cases: Vec<(&str, Value, Value)> = vec![
        (
            "POST /chat/edit conversationId",
            body("post", "/chat/edit", "conversationId"),
            conversation_id.clone(),
        ),
        (
            "POST /chat/edit timestamp",
            body("post", "/chat/edit", "timestamp"),
            timestamp.clone(),
        ),
        (
            "POST /chat/edit messageBody",
            body("post", "/chat/edit", "messageBody"),
            text(4000),
        ),
        (
            "POST /chat/remove conversationId",
            body("post", "/chat/remove", "conversationId"),
            conversation_id.clone(),
        ),
        (
            "POST /chat/remove timestamp",
            body("post", "/chat/remove", "timestamp"),
            timestamp.clone(),
        ),
        (
            "POST /chat/report conversationId",
            body("post", "/chat/report", "conversationId"),
            conversation_id.clone(),
        ),
        (
            "POST /chat/report timestamp",
            body("post", "/chat/report", "timestamp"),
            timestamp.clone(),
        ),
        (
            "POST /chat/report reason",
            body("post", "/chat/report", "reason"),
            json!({"type": "string", "enum": reasons}),
        ),
        (
            "POST /chat/report details",
            body("post", "/chat/report", "details"),
            text(MAX_REPORT_DETAILS_CHARS),
        ),
        (
            "POST /chat/pause conversationId",
            body("post", "/chat/pause", "conversationId"),
            conversation_id.clone(),
        ),
        (
            "POST /chat/pause reason",
            body("post", "/chat/pause", "reason"),
            text(MAX_PAUSE_REASON_CHARS),
        ),
        (
            "POST /chat/resume conversationId",
            body("post", "/chat/resume", "conversationId"),
            conversation_id.clone(),
        ),
        (
            "GET /admin/reports state",
            query("get", "/admin/reports", "state"),
            json!({"type": "string", "enum": states}),
        ),
        (
            "GET /admin/reports before",
            query("get", "/admin/reports", "before"),
            report_id.clone(),
        ),
        (
            "GET /admin/reports limit",
            query("get", "/admin/reports", "limit"),
            json!({"type": "integer", "minimum": 1, "maximum": 200}),
        ),
        (
            "GET /admin/reports/{reportId} reportId",
            query("get", "/admin/reports/{reportId}", "reportId"),
            report_id.clone(),
        ),
        (
            "GET /admin/reports/{reportId} context",
            query("get", "/admin/reports/{reportId}", "context"),
            json!({"type": "integer", "minimum": 0, "maximum": 50}),
        ),
        (
            "PATCH /admin/reports/{reportId} reportId",
            query("patch", "/admin/reports/{reportId}", "reportId"),
            report_id.clone(),
        ),
        (
            "PATCH /admin/reports/{reportId} state",
            body("patch", "/admin/reports/{reportId}", "state"),
            json!({"type": "string", "enum": steps}),
        ),
        (
            "PATCH /admin/reports/{reportId} note",
            body("patch", "/admin/reports/{reportId}", "note"),
            text(MAX_REPORT_DETAILS_CHARS),
        ),
        (
            "GET /admin/messages/history conversationId",
            query("get", "/admin/messages/history", "conversationId"),
            conversation_id.clone(),
        ),
        (
            "GET /admin/messages/history timestamp",
            query("get", "/admin/messages/history", "timestamp"),
            timestamp.clone(),
        ),
        (
            "PATCH /admin/settings editWindowMinutes",
            settings("editWindowMinutes"),
            json!({"type": "integer", "minimum": 0, "maximum": MAX_EDIT_WINDOW_MINUTES}),
        ),
        (
            "PATCH /admin/settings flagWords",
            settings("flagWords"),
            json!({"maxItems": MAX_FLAG_WORDS}),
        ),
        (
            "PATCH /admin/settings flagWords[]",
            items(&settings("flagWords")),
            json!({"type": "string", "minLength": 1, "maxLength": MAX_FLAG_WORD_CHARS}),
        ),
        (
            "PATCH /admin/settings flagPatterns",
            settings("flagPatterns"),
            json!({"maxItems": MAX_FLAG_PATTERNS}),
        ),
        (
            "PATCH /admin/settings flagPatterns[]",
            items(&settings("flagPatterns")),
            json!({"type": "string", "minLength": 1, "maxLength": MAX_FLAG_PATTERN_CHARS}),
        ),
    ];
    let mut failures = Vec::new();
    for (what, schema, expected) in &cases {
        for (key, value) in expected.as_object().expect("an object") {
            if &schema[key] != value {
                failures.push(format!("{what}: {key} is {}, not {value}", schema[key]));
            }
        }
    }
    // A flag word has no control character and is not all whitespace (the unit tests of
    // `schemas::moderation` check the pattern says exactly that).
    let word = items(&settings("flagWords"));
    if !word["pattern"]
        .as_str()
        .is_some_and(|p| p.starts_with('^') && p.ends_with('$'))
    {
        failures.push(format!("flagWords[] has no anchored pattern: {word}"));
    }
    for (method, path, fields) in [
        (
            "post",
            "/chat/edit",
            vec!["conversationId", "messageBody", "timestamp"],
        ),
        ("post", "/chat/remove", vec!["conversationId", "timestamp"]),
        (
            "post",
            "/chat/report",
            vec!["conversationId", "reason", "timestamp"],
        ),
        ("post", "/chat/pause", vec!["conversationId"]),
        ("post", "/chat/resume", vec!["conversationId"]),
        ("patch", "/admin/reports/{reportId}", vec!["state"]),
    ] {
        let required: Vec<_> = required_fields(&doc, method, path).into_iter().collect();
        if required != fields {
            failures.push(format!(
                "{method} {path}: required {required:?}, not {fields:?}"
            ));
        }
    }
    for (method, path) in [
        ("get", "/admin/reports/{reportId}"),
        ("patch", "/admin/reports/{reportId}"),
    ] {
        let id = parameter(&doc, method, path, "reportId");
        if id["in"] != "path" || id["required"] != true {
            failures.push(format!(
                "{method} {path}: reportId is not a required path parameter: {id}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test]
async fn messages_and_pages_document_edits_removals_and_pauses() {
    let app = spawn_app().await;
    let doc = app
        .request(Method::GET, "/openapi.json", None, None)
        .await
        .body;
    let schemas = &doc["components"]["schemas"];
    let message = &schemas["MessageDto"]["properties"];
    for field in ["editedAt", "removedAt"] {
        assert!(message[field].is_object(), "MessageDto.{field}: {message}");
    }
    let required = &schemas["MessageDto"]["required"];
    assert!(
        !required
            .as_array()
            .expect("required")
            .iter()
            .any(|f| f == "editedAt" || f == "removedAt"),
        "{required}"
    );
    assert!(schemas["ReadResponse"]["properties"]["pause"].is_object());
    let pause = &schemas["PauseDto"]["properties"];
    for field in ["by", "byRole", "at", "reason"] {
        assert!(pause[field].is_object(), "PauseDto.{field}: {pause}");
    }
    for path in [
        "/chat/edit",
        "/chat/remove",
        "/chat/report",
        "/chat/pause",
        "/chat/resume",
    ] {
        let responses = &doc["paths"][path]["post"]["responses"];
        assert!(responses["429"].is_object(), "{path} documents 429");
    }
    let report = &doc["paths"]["/chat/report"]["post"]["responses"];
    assert!(report["202"].is_object(), "{report}");
    let step = &doc["paths"]["/admin/reports/{reportId}"]["patch"]["responses"];
    assert!(
        step["409"]["description"]
            .as_str()
            .is_some_and(|d| d.contains("report_closed"))
    );
    let edit = &doc["paths"]["/chat/edit"]["post"]["responses"];
    assert!(
        edit["409"]["description"]
            .as_str()
            .is_some_and(|d| d.contains("not_editable"))
    );
    assert!(
        edit["403"]["description"]
            .as_str()
            .is_some_and(|d| d.contains("conversation_paused"))
    );
}
