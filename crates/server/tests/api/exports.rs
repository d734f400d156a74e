//! Exports of one person or one conversation over HTTP: an admin downloads JSON Lines,
//! CSV or an HTML transcript, each with its media type and a file name, streamed (no
//! `Content-Length`); every message as stored (originals of removed ones, earlier texts
//! of edited ones); hostile text escaped in HTML and defused in CSV; audited; refused to
//! everyone else and for bad ids and formats. (Who gets what is also in the
//! authorization matrix; memory stays bounded for any length: `exports_memory`.)

use crate::common::{TestApp, spawn_app};
use futures::StreamExt;
use reqwest::header::{self, HeaderMap};
use serde_json::{Value, json};

/// What a download answered: status, headers, body as text.
struct Download {
    status: u16,
    headers: HeaderMap,
    body: String,
}

impl Download {
    fn header(&self, name: header::HeaderName) -> &str {
        self.headers
            .get(&name)
            .and_then(|value| value.to_str().ok())
            .unwrap_or("")
    }

    fn lines(&self) -> Vec<Value> {
        self.body
            .lines()
            .map(|line| serde_json::from_str(line).unwrap_or_else(|_| panic!("{line}")))
            .collect()
    }
}

async fn download(app: &TestApp, token: &str, path: &str) -> Download {
    let response = app
        .client
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .expect("request");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.text().await.expect("body");
    Download {
        status,
        headers,
        body,
    }
}

/// s1+t1 with four messages: a plain one, a hostile one, one edited twice and one
/// removed; returns the admin's token.
async fn conversation_with_history(app: &TestApp) -> String {
    let s1 = app.login("s1").await;
    let t1 = app.login("t1").await;
    let mut sent = Vec::new();
    for (token, author, text) in [
        (&s1, "s1", "Hello, is the homework due Friday?"),
        (&t1, "t1", "<script>alert('x')</script>\n=1+1, \"quoted\""),
        (&s1, "s1", "frist draft"),
        (&s1, "s1", "something I regret"),
    ] {
        let reply = app.send(token, "s1+t1", author, text).await;
        assert_eq!(reply.status, 201, "{}", reply.body);
        sent.push(reply.body["timestamp"].as_str().unwrap().to_owned());
    }
    for text in ["first draft", "final text"] {
        let edited = app
            .post(
                "/chat/edit",
                &s1,
                json!({"conversationId": "s1+t1", "timestamp": sent[2], "messageBody": text}),
            )
            .await;
        assert_eq!(edited.status, 200, "{}", edited.body);
    }
    let removed = app
        .post(
            "/chat/remove",
            &s1,
            json!({"conversationId": "s1+t1", "timestamp": sent[3]}),
        )
        .await;
    assert_eq!(removed.status, 200, "{}", removed.body);
    app.login("admin").await
}

#[tokio::test]
async fn an_admin_downloads_a_conversation_as_json_lines_with_every_message_as_stored() {
    let app = spawn_app().await;
    let admin = conversation_with_history(&app).await;

    // The `+` is literal in a path; no format means JSON Lines.
    let export = download(&app, &admin, "/admin/export/conversation/s1+t1").await;
    assert_eq!(export.status, 200, "{}", export.body);
    assert_eq!(export.header(header::CONTENT_TYPE), "application/x-ndjson");
    assert_eq!(
        export.header(header::CONTENT_DISPOSITION),
        "attachment; filename=\"classchat-conversation-s1+t1.jsonl\""
    );
    assert_eq!(export.header(header::CACHE_CONTROL), "no-store");
    assert!(
        export.headers.get(header::CONTENT_LENGTH).is_none(),
        "streamed"
    );
    let lines = export.lines();
    let types: Vec<&str> = lines.iter().map(|l| l["type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        [
            "export",
            "conversation",
            "message",
            "message",
            "message",
            "message"
        ]
    );
    assert_eq!(lines[0]["exportedBy"], "admin");
    assert_eq!(lines[1]["participants"][0]["displayName"], "Student One");
    assert_eq!(lines[1]["pause"], Value::Null);
    let edited = &lines[4];
    assert_eq!(edited["messageBody"], "final text");
    assert!(edited["editedAt"].is_string(), "{edited}");
    let earlier: Vec<&str> = edited["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|version| version["messageBody"].as_str().unwrap())
        .collect();
    assert_eq!(earlier, ["frist draft", "first draft"]);
    let removed = &lines[5];
    assert_eq!(
        removed["messageBody"], "something I regret",
        "the original text"
    );
    assert!(removed["removedAt"].is_string(), "{removed}");

    // `%2B` names the same conversation, and so does the other order.
    for path in [
        "/admin/export/conversation/s1%2Bt1?format=jsonl",
        "/admin/export/conversation/t1+s1?format=jsonl",
    ] {
        let again = download(&app, &admin, path).await;
        assert_eq!(again.status, 200, "{path}: {}", again.body);
        assert_eq!(again.lines()[1]["conversationId"], "s1+t1", "{path}");
    }

    // Each export is in the audit log, with its format.
    let audit = app.get("/admin/audit?limit=3", &admin).await;
    let targets: Vec<(&str, &str)> = audit.body["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| {
            (
                entry["action"].as_str().unwrap(),
                entry["target"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(targets, [("export.conversation", "s1+t1 jsonl"); 3]);
}

#[tokio::test]
async fn csv_and_html_downloads_keep_hostile_text_inert() {
    let app = spawn_app().await;
    let admin = conversation_with_history(&app).await;

    let csv = download(
        &app,
        &admin,
        "/admin/export/conversation/s1%2Bt1?format=csv",
    )
    .await;
    assert_eq!(csv.status, 200, "{}", csv.body);
    assert_eq!(csv.header(header::CONTENT_TYPE), "text/csv; charset=utf-8");
    assert_eq!(
        csv.header(header::CONTENT_DISPOSITION),
        "attachment; filename=\"classchat-conversation-s1+t1.csv\""
    );
    assert!(
        csv.headers.get(header::CONTENT_LENGTH).is_none(),
        "streamed"
    );
    assert!(csv.body.starts_with('\u{feff}'), "a byte-order mark");
    // The formula is defused, and the cell quoted for its comma, quotes and line break.
    assert!(
        csv.body
            .contains(",\"<script>alert('x')</script>\n=1+1, \"\"quoted\"\"\","),
        "{}",
        csv.body
    );
    let hostile = app.login("s1").await;
    let formula = app.send(&hostile, "s1+t1", "s1", "=SUM(A1:A9)").await;
    assert_eq!(formula.status, 201);
    let csv = download(&app, &admin, "/admin/export/conversation/s1+t1?format=csv").await;
    assert!(csv.body.contains(",'=SUM(A1:A9),"), "{}", csv.body);
    assert!(!csv.body.contains(",=SUM"), "{}", csv.body);

    let html = download(&app, &admin, "/admin/export/conversation/t1+s1?format=html").await;
    assert_eq!(html.status, 200, "{}", html.body);
    assert_eq!(
        html.header(header::CONTENT_TYPE),
        "text/html; charset=utf-8"
    );
    assert_eq!(
        html.header(header::CONTENT_SECURITY_POLICY),
        "default-src 'none'; style-src 'unsafe-inline'"
    );
    assert_eq!(html.header(header::X_CONTENT_TYPE_OPTIONS), "nosniff");
    assert_eq!(
        html.header(header::CONTENT_DISPOSITION),
        "attachment; filename=\"classchat-conversation-s1+t1.html\""
    );
    let body = &html.body;
    assert!(body.starts_with("<!DOCTYPE html>"), "{body}");
    assert!(body.contains("<meta charset=\"utf-8\">"));
    assert!(!body.contains("<script"), "{body}");
    assert!(body.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;\n=1+1"));
    assert!(
        body.contains("something I regret"),
        "admins see the original"
    );
    assert!(body.contains("Removed by its author"));
    assert!(body.contains("(earlier: 2)"));
    assert!(body.trim_end().ends_with("</html>"));
    // JSON Lines and CSV need no policy: they are not documents a browser runs.
    assert!(csv.headers.get(header::CONTENT_SECURITY_POLICY).is_none());
}

#[tokio::test]
async fn a_persons_download_covers_each_of_their_conversations() {
    let app = spawn_app().await;
    let admin = conversation_with_history(&app).await;
    let s2 = app.login("s2").await;
    for conversation in ["s2+t1", "s2+t2"] {
        let teacher = conversation.split('+').nth(1).unwrap();
        let reply = app
            .send(&s2, conversation, "s2", &format!("hi {teacher}"))
            .await;
        assert_eq!(reply.status, 201, "{}", reply.body);
    }

    let export = download(&app, &admin, "/admin/export/user/t1?format=jsonl").await;
    assert_eq!(export.status, 200, "{}", export.body);
    assert_eq!(
        export.header(header::CONTENT_DISPOSITION),
        "attachment; filename=\"classchat-user-t1.jsonl\""
    );
    let lines = export.lines();
    assert_eq!(lines[0]["scope"], "user");
    assert_eq!(lines[1]["type"], "user");
    assert_eq!(lines[1]["userId"], "t1");
    let mut conversations: Vec<&str> = lines
        .iter()
        .filter(|line| line["type"] == "conversation")
        .map(|line| line["conversationId"].as_str().unwrap())
        .collect();
    conversations.sort_unstable();
    assert_eq!(conversations, ["s1+t1", "s2+t1"]);
    let messages = lines
        .iter()
        .filter(|line| line["type"] == "message")
        .count();
    assert_eq!(messages, 5);

    let html = download(&app, &admin, "/admin/export/user/s2?format=html").await;
    assert_eq!(html.status, 200, "{}", html.body);
    assert_eq!(html.body.matches("<section>").count(), 2, "{}", html.body);
    assert!(
        html.body
            .contains("<h1><bdi>History of Student Two (s2)</bdi></h1>")
    );
}

#[tokio::test]
async fn exports_are_refused_to_everyone_but_admins_and_for_bad_ids_or_formats() {
    let app = spawn_app().await;
    let admin = conversation_with_history(&app).await;
    let audit_before = app.get("/admin/audit", &admin).await.body;
    for user in ["s1", "t1", "s2"] {
        let token = app.login(user).await;
        for path in [
            "/admin/export/conversation/s1+t1",
            "/admin/export/user/s1?format=html",
            "/admin/export/user/nobody",
        ] {
            app.get(path, &token).await.assert_error(403, "forbidden");
        }
    }
    assert_eq!(
        app.get("/admin/audit", &admin).await.body,
        audit_before,
        "refusals are not audited as exports"
    );
    for (path, status, code) in [
        ("/admin/export/user/nobody", 404, "not_found"),
        ("/admin/export/user/no%20body", 400, "invalid_user_id"),
        ("/admin/export/user/s1?format=pdf", 400, "invalid_request"),
        ("/admin/export/user/s1?format=JSONL", 400, "invalid_request"),
        ("/admin/export/conversation/s1+nobody", 404, "not_found"),
        (
            "/admin/export/conversation/s1+s2",
            400,
            "invalid_conversation_id",
        ),
        (
            "/admin/export/conversation/s1",
            400,
            "invalid_conversation_id",
        ),
        (
            "/admin/export/conversation/s1+t1?format=",
            400,
            "invalid_request",
        ),
        ("/admin/export/conversation/%FF", 400, "invalid_path"),
    ] {
        let reply = app.get(path, &admin).await;
        assert_eq!(
            (reply.status.as_u16(), reply.code()),
            (status, code),
            "{path}: {}",
            reply.body
        );
    }
    let no_token = app
        .request(reqwest::Method::GET, "/admin/export/user/s1", None, None)
        .await;
    no_token.assert_error(401, "unauthorized");
}

#[tokio::test]
async fn a_download_streams_a_page_at_a_time_without_a_length() {
    let app = spawn_app().await;
    let s1 = app.login("s1").await;
    let admin = app.login("admin").await;
    // More than one page (200 messages) of the export.
    let total = 250;
    let sends = (0..total).map(|n| {
        let app = &app;
        let s1 = &s1;
        async move {
            let reply = app.send(s1, "s1+t1", "s1", &format!("message {n}")).await;
            assert_eq!(reply.status, 201, "{}", reply.body);
        }
    });
    futures::stream::iter(sends)
        .buffer_unordered(8)
        .collect::<Vec<()>>()
        .await;

    let mut response = app
        .client
        .get(app.url("/admin/export/conversation/s1+t1"))
        .bearer_auth(&admin)
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 200);
    assert!(response.headers().get(header::CONTENT_LENGTH).is_none());
    assert_eq!(
        response
            .headers()
            .get(header::TRANSFER_ENCODING)
            .and_then(|value| value.to_str().ok()),
        Some("chunked")
    );
    let mut chunks = Vec::new();
    while let Some(chunk) = response.chunk().await.expect("a chunk") {
        chunks.push(chunk);
    }
    // The first chunk is the export's header line alone: it was sent before any message
    // was read. Then a page at a time.
    let first = String::from_utf8(chunks[0].to_vec()).unwrap();
    assert_eq!(first.lines().count(), 1, "{first}");
    assert!(first.starts_with("{\"type\":\"export\""), "{first}");
    assert!(chunks.len() >= 3, "{} chunks", chunks.len());
    let body: Vec<u8> = chunks.concat();
    let text = String::from_utf8(body).unwrap();
    let messages = text
        .lines()
        .filter(|line| line.starts_with("{\"type\":\"message\""))
        .count();
    assert_eq!(messages, total);
}

#[tokio::test]
async fn the_document_states_the_export_routes_inputs_and_answers_exactly() {
    use classchat_core::conversation::CONVERSATION_ID_PATTERN;
    use classchat_core::ids::USER_ID_PATTERN;

    let app = spawn_app().await;
    let doc = app
        .request(reqwest::Method::GET, "/openapi.json", None, None)
        .await
        .body;
    for (path, id, schema, pattern) in [
        (
            "/admin/export/user/{userId}",
            "userId",
            "UserId",
            USER_ID_PATTERN,
        ),
        (
            "/admin/export/conversation/{conversationId}",
            "conversationId",
            "ConversationId",
            CONVERSATION_ID_PATTERN,
        ),
    ] {
        let operation = &doc["paths"][path]["get"];
        let parameters = operation["parameters"].as_array().expect("parameters");
        let named = |name: &str| {
            parameters
                .iter()
                .find(|parameter| parameter["name"] == name)
                .unwrap_or_else(|| panic!("{path} documents {name}"))
        };
        let id = named(id);
        assert_eq!((&id["in"], &id["required"]), (&json!("path"), &json!(true)));
        let reference = format!("#/components/schemas/{schema}");
        assert_eq!(id["schema"]["$ref"], reference.as_str(), "{path}");
        assert_eq!(doc["components"]["schemas"][schema]["pattern"], pattern);
        let format = named("format");
        assert_eq!(format["in"], "query");
        assert_eq!(format["required"], false);
        assert_eq!(format["schema"]["enum"], json!(["jsonl", "csv", "html"]));
        assert_eq!(format["schema"]["default"], "jsonl");
        assert_eq!(parameters.len(), 2, "{path}");
        let ok = &operation["responses"]["200"];
        let mut types: Vec<&String> = ok["content"].as_object().unwrap().keys().collect();
        types.sort();
        assert_eq!(
            types,
            [
                "application/x-ndjson",
                "text/csv; charset=utf-8",
                "text/html; charset=utf-8"
            ],
            "{path}"
        );
        for header in [
            "Content-Disposition",
            "Cache-Control",
            "Content-Security-Policy",
        ] {
            assert!(
                ok["headers"][header].is_object(),
                "{path} documents {header}"
            );
        }
        for status in ["400", "401", "403", "404", "429", "503"] {
            assert!(
                operation["responses"][status].is_object(),
                "{path} documents {status}"
            );
        }
    }
}
