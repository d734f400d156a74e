//! `POST /admin/roster`: a generated district (3 schools, 60 teachers, 1,500 students,
//! 200 classes, two with an email address) previewed, applied and imported again; who
//! may; and every way an upload is refused, with the school unchanged after each refusal. Run on SQLite and, with
//! `CLASSCHAT_STORE=dynamodb`, on DynamoDB.

use crate::common::{Reply, SECRET, TestApp, now_secs, sign_token, spawn_app, spawn_app_with};
use classchat_core::Limits;
use classchat_core::rate::Rate;
use classchat_roster::Bundle;
use classchat_roster::testing::{Malformation, SchoolSpec, generate, to_zip};
use classchat_server::LiveConfig;
use reqwest::StatusCode;
use serde_json::{Value, json};

const ZIP: &str = "application/zip";

fn district() -> Bundle {
    generate(&SchoolSpec::default())
}

/// `bundle` with an `email` in the `users.csv` rows of `addresses` (sourcedId, address):
/// the generated rows quote nothing, so fields split at commas.
fn with_emails(mut bundle: Bundle, addresses: &[(&str, &str)]) -> Bundle {
    let users = String::from_utf8(bundle.file("users.csv").unwrap().to_vec()).unwrap();
    let header = users.lines().next().unwrap();
    let column = header.split(',').position(|name| name == "email").unwrap();
    let users: String = users
        .lines()
        .map(|line| {
            let mut fields: Vec<&str> = line.split(',').collect();
            if let Some((_, address)) = addresses.iter().find(|(id, _)| *id == fields[0]) {
                fields[column] = address;
            }
            format!("{}\n", fields.join(","))
        })
        .collect();
    bundle.insert("users.csv", users);
    bundle
}

/// Where `user`'s email digests go, as they see it (signed in: imported accounts have no
/// password yet).
async fn email_of(app: &TestApp, user: &str, role: &str) -> Value {
    let token = sign_token(SECRET, user, role, now_secs() + 3600);
    let prefs = app.get("/me/notifications", &token).await;
    assert_eq!(prefs.status, StatusCode::OK, "{}", prefs.body);
    prefs.body["email"].clone()
}

/// Everything an import could touch, as an admin sees it: users, links, guardian links
/// and the audit log.
async fn snapshot(app: &TestApp, admin: &str) -> Value {
    let mut users = Vec::new();
    let mut after = String::new();
    loop {
        let reply = app
            .get(&format!("/admin/users?limit=200{after}"), admin)
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        let page = reply.body["users"].as_array().unwrap().clone();
        let last = page
            .last()
            .map(|user| user["userId"].as_str().unwrap().to_owned());
        users.extend(page);
        match last {
            Some(last) if reply.body["hasMore"] == json!(true) => after = format!("&after={last}"),
            _ => break,
        }
    }
    let links = app.get("/admin/links", admin).await.body;
    let guardians = app.get("/admin/guardians", admin).await.body;
    let audit = app.get("/admin/audit?limit=200", admin).await.body;
    json!({"users": users, "links": links, "guardians": guardians, "audit": audit})
}

async fn import(app: &TestApp, token: &str, query: &str, zip: Vec<u8>) -> Reply {
    app.post_bytes(&format!("/admin/roster{query}"), Some(token), ZIP, zip)
        .await
}

fn roster_imports(audit: &Value) -> Vec<&Value> {
    audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|entry| entry["action"] == "roster.import")
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_previews_applies_and_imports_the_district_again() {
    let app = spawn_app().await;
    let admin = app.login("admin").await;
    let addresses = [
        ("teacher-0001", "terry.teacher@school.example"),
        ("student-00001", "sam.student@school.example"),
    ];
    let zip = to_zip(&with_emails(district(), &addresses));
    let before = snapshot(&app, &admin).await;

    let preview = import(&app, &admin, "?dryRun=true", zip.clone()).await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.body);
    let counts = &preview.body["counts"];
    assert_eq!(preview.body["dryRun"], true);
    assert_eq!(preview.body["applied"], false);
    // The admin, 60 teachers, 1,500 students and 6 guardians, each linked to a student.
    assert_eq!(counts["usersCreated"], 1567);
    assert_eq!(counts["classesCreated"], 200);
    assert_eq!(counts["guardiansAdded"], 6);
    assert_eq!(counts["skipped"], 0);
    let links = counts["linksAdded"].as_u64().unwrap();
    assert!(
        links > 1500,
        "every student shares a class with a teacher: {links}"
    );
    assert_eq!(
        snapshot(&app, &admin).await,
        before,
        "a dry run writes nothing"
    );

    let applied = import(&app, &admin, "", zip.clone()).await;
    assert_eq!(applied.status, StatusCode::OK, "{}", applied.body);
    assert_eq!(applied.body["applied"], true);
    assert_eq!(applied.body["counts"], preview.body["counts"]);
    let student = &applied.body["users"]["created"]
        .as_array()
        .unwrap()
        .iter()
        .find(|user| user["sourcedId"] == "student-00001")
        .unwrap()
        .clone();
    assert_eq!(student["userId"], "student.00001");
    assert_eq!(student["role"], "student");
    let after = snapshot(&app, &admin).await;
    assert_eq!(after["users"].as_array().unwrap().len(), 6 + 1567);
    let audited = roster_imports(&after["audit"]);
    assert_eq!(audited.len(), 1);
    assert_eq!(audited[0]["target"], applied.body["summary"]);
    assert!(
        (applied.body["summary"].as_str().unwrap()).ends_with("; emails ~2"),
        "{}",
        applied.body["summary"]
    );
    assert_eq!(audited[0]["actor"], "admin");
    assert_eq!(
        email_of(&app, "student.00001", "student").await,
        "sam.student@school.example"
    );
    assert_eq!(
        email_of(&app, "teacher.0001", "teacher").await,
        "terry.teacher@school.example"
    );
    assert_eq!(
        email_of(&app, "student.00002", "student").await,
        Value::Null
    );
    // The links the seeded school made by hand are all still there.
    let all_links = after["links"]["links"].as_array().unwrap();
    for (teacher, student) in [("t1", "s1"), ("t1", "s2"), ("t2", "s2")] {
        assert!(
            all_links.contains(&json!({"teacherId": teacher, "studentId": student})),
            "{teacher}+{student} was made by hand"
        );
    }

    let again = import(&app, &admin, "", zip).await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.body);
    assert_eq!(again.body["applied"], false);
    assert_eq!(
        again.body["summary"],
        "users +0 ~0; classes +0 ~0 -0; links +0 -0"
    );
    assert_eq!(
        snapshot(&app, &admin).await,
        after,
        "a second identical import writes nothing, not even an audit entry"
    );

    // Imported accounts have no password until their owner sets one.
    let login = app
        .request(
            reqwest::Method::POST,
            "/auth/login",
            None,
            Some(json!({"userId": "student.00001", "password": ""})),
        )
        .await;
    assert_eq!(login.status, StatusCode::UNAUTHORIZED, "{}", login.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_admins_import_and_a_refused_caller_changes_nothing() {
    let app = spawn_app().await;
    let admin = app.login("admin").await;
    let before = snapshot(&app, &admin).await;
    // A refusal answers before the upload is read, so the body is kept small: a client
    // still sending a large one when the answer comes may see the connection close first.
    let zip = b"PK".to_vec();
    for caller in ["s1", "s2", "t1", "t2"] {
        let token = app.login(caller).await;
        for query in ["", "?dryRun=true"] {
            let reply = import(&app, &token, query, zip.clone()).await;
            reply.assert_error(403, "forbidden");
        }
    }
    let anonymous = app
        .post_bytes("/admin/roster", None, ZIP, zip.clone())
        .await;
    anonymous.assert_error(401, "unauthorized");
    assert_eq!(snapshot(&app, &admin).await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_malformed_bundle_is_refused_where_it_is_broken_and_nothing_changes() {
    let dir = tempfile::tempdir().unwrap();
    let limits = Limits {
        import: Rate::UNLIMITED,
        ..Limits::default()
    };
    let app = spawn_app_with(
        dir.path().join("classchat.db"),
        limits,
        LiveConfig::default(),
    )
    .await;
    let admin = app.login("admin").await;
    let before = snapshot(&app, &admin).await;
    let district = district();
    for malformation in Malformation::ALL {
        let reply = import(&app, &admin, "", malformation.apply(&district)).await;
        reply.assert_error(422, "invalid_roster");
        let expected = malformation.expected();
        let problems = reply.body["error"]["problems"].as_array().unwrap();
        assert!(
            problems.iter().any(|problem| {
                problem["file"] == expected.file
                    && problem.get("line").and_then(Value::as_u64) == expected.line
            }),
            "{malformation:?} must name {expected:?}: {problems:?}"
        );
    }
    assert_eq!(snapshot(&app, &admin).await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_username_taken_by_an_account_made_by_hand_refuses_the_whole_bundle() {
    let app = spawn_app().await;
    let admin = app.login("admin").await;
    let before = snapshot(&app, &admin).await;
    let mut bundle = district();
    let users = String::from_utf8(bundle.file("users.csv").unwrap().to_vec()).unwrap();
    // student-00002's row (line 64: the admin, 60 teachers, then the students) claims s1.
    let users = users.replace(",student.00002,", ",s1,");
    bundle.insert("users.csv", users);
    let reply = import(&app, &admin, "", to_zip(&bundle)).await;
    reply.assert_error(422, "invalid_roster");
    let problems = reply.body["error"]["problems"].as_array().unwrap();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0]["file"], "users.csv");
    assert_eq!(problems[0]["line"], 64);
    assert_eq!(problems[0]["column"], "username");
    assert_eq!(snapshot(&app, &admin).await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_must_be_zips_within_the_size_limit_and_the_rate() {
    let app = spawn_app().await;
    let admin = app.login("admin").await;
    let before = snapshot(&app, &admin).await;
    let json_upload = app
        .post_bytes(
            "/admin/roster",
            Some(&admin),
            "application/json",
            b"{}".to_vec(),
        )
        .await;
    json_upload.assert_error(415, "unsupported_media_type");
    let huge = import(&app, &admin, "", vec![0; (32 << 20) + 1]).await;
    huge.assert_error(413, "payload_too_large");
    let garbage = import(&app, &admin, "", b"not a zip".to_vec()).await;
    garbage.assert_error(422, "invalid_roster");
    let bad_query = import(&app, &admin, "?dryRun=maybe", to_zip(&district())).await;
    bad_query.assert_error(400, "invalid_query");
    // Six imports in a burst (the four above took three: a malformed query never reached
    // the service), then one every 30 seconds.
    for _ in 0..3 {
        let reply = import(&app, &admin, "", b"x".to_vec()).await;
        reply.assert_error(422, "invalid_roster");
    }
    let limited = import(&app, &admin, "", to_zip(&district())).await;
    limited.assert_error(429, "rate_limited");
    assert_eq!(snapshot(&app, &admin).await, before);
}
