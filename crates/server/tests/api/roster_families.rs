//! Families from the roster: `users.csv` rows of parents, guardians and relatives, linked
//! to students by `agentSourcedIds` on either row, imported through `POST /admin/roster`
//! become guardian accounts whose children's teachers are on their contact list; the same
//! export again changes nothing, and a later export that no longer names a child ends the
//! link.

use crate::common::{SECRET, TestApp, now_secs, sign_token, spawn_app};
use classchat_roster::Bundle;
use classchat_roster::testing::{SchoolSpec, generate, to_zip};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::BTreeSet;

/// 3 schools, 6 teachers, 60 students in 6 classes, and 3 family members: `family-1` a
/// parent whose row and whose child's row name each other, `family-2` a guardian named
/// only by student-00002's row, `family-3` a relative whose row alone names student-00003.
fn school() -> SchoolSpec {
    SchoolSpec {
        teachers: 6,
        students: 60,
        classes: 6,
        guardians: 3,
        ..SchoolSpec::default()
    }
}

async fn import(app: &TestApp, admin: &str, bundle: &Bundle) -> Value {
    let reply = app
        .post_bytes(
            "/admin/roster",
            Some(admin),
            "application/zip",
            to_zip(bundle),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    reply.body
}

/// A signed-in imported account (imported accounts have no password until their owner
/// sets one with a sign-in code).
fn token(user: &str, role: &str) -> String {
    sign_token(SECRET, user, role, now_secs() + 3600)
}

/// `{guardianId, studentId}` pairs, as the API writes guardian links.
fn guardian_links(pairs: &[(&str, &str)]) -> Value {
    pairs
        .iter()
        .map(|(guardian, student)| json!({"guardianId": guardian, "studentId": student}))
        .collect()
}

/// The teachers `student` is linked to, as the admin sees them.
async fn teachers_of(app: &TestApp, admin: &str, student: &str) -> BTreeSet<String> {
    let links = app
        .get(&format!("/admin/links?userId={student}"), admin)
        .await;
    assert_eq!(links.status, StatusCode::OK, "{}", links.body);
    (links.body["links"].as_array().unwrap().iter())
        .map(|link| link["teacherId"].as_str().unwrap().to_owned())
        .collect()
}

/// What a second import must leave as it was: users, guardian links and the audit log.
async fn snapshot(app: &TestApp, admin: &str) -> Value {
    json!({
        "users": app.get("/admin/users?limit=200", admin).await.body,
        "guardians": app.get("/admin/guardians", admin).await.body,
        "audit": app.get("/admin/audit?limit=200", admin).await.body,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_export_with_families_makes_guardians_who_see_their_childrens_teachers() {
    let app = spawn_app().await;
    let admin = app.login("admin").await;
    let bundle = generate(&school());

    let applied = import(&app, &admin, &bundle).await;
    assert_eq!(applied["applied"], true);
    let counts = &applied["counts"];
    assert_eq!(counts["usersCreated"], 1 + 6 + 60 + 3);
    assert_eq!(counts["guardiansAdded"], 3);
    assert_eq!(counts["guardiansRemoved"], 0);
    assert_eq!(counts["skipped"], 0, "{}", applied["skipped"]);
    let added = guardian_links(&[
        ("family.1", "student.00001"),
        ("family.2", "student.00002"),
        ("family.3", "student.00003"),
    ]);
    assert_eq!(applied["guardians"], json!({"added": added, "removed": []}));
    assert!(
        applied["summary"]
            .as_str()
            .unwrap()
            .ends_with("; guardians +3 -0"),
        "{}",
        applied["summary"]
    );
    let parent = (applied["users"]["created"].as_array().unwrap().iter())
        .find(|user| user["sourcedId"] == "family-1")
        .unwrap();
    assert_eq!(parent["userId"], "family.1");
    assert_eq!(parent["role"], "guardian");
    assert_eq!(
        app.get("/admin/guardians", &admin).await.body["guardians"],
        added,
        "the school had no guardians before the import"
    );

    for (guardian, child, name) in [
        ("family.1", "student.00001", "Sam1 Student1"),
        ("family.2", "student.00002", "Sam2 Student2"),
        ("family.3", "student.00003", "Sam3 Student3"),
    ] {
        let expected = teachers_of(&app, &admin, child).await;
        assert!(!expected.is_empty(), "{child} is in a class");
        let teachers = app
            .get("/chat/get_teachers", &token(guardian, "guardian"))
            .await;
        assert_eq!(teachers.status, StatusCode::OK, "{}", teachers.body);
        let lines = teachers.body["teachers"].as_array().unwrap();
        let seen: BTreeSet<String> = (lines.iter())
            .map(|line| line["userId"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(seen, expected, "{guardian} sees {child}'s teachers");
        for line in lines {
            assert_eq!(
                line["children"],
                json!([{"userId": child, "displayName": name}])
            );
            assert_eq!(
                line["conversationId"],
                format!("{guardian}+{}", line["userId"].as_str().unwrap())
            );
        }
    }

    let before = snapshot(&app, &admin).await;
    let again = import(&app, &admin, &bundle).await;
    assert_eq!(again["applied"], false);
    assert_eq!(
        again["summary"],
        "users +0 ~0; classes +0 ~0 -0; links +0 -0"
    );
    assert_eq!(again["guardians"], json!({"added": [], "removed": []}));
    assert_eq!(
        (
            again["counts"]["guardiansAdded"].clone(),
            again["counts"]["guardiansRemoved"].clone()
        ),
        (json!(0), json!(0))
    );
    let after = snapshot(&app, &admin).await;
    assert_eq!(after, before, "the same export again writes nothing");
    let imports = (after["audit"]["entries"].as_array().unwrap().iter())
        .filter(|entry| entry["action"] == "roster.import")
        .count();
    assert_eq!(imports, 1, "one roster.import entry, for the first import");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_later_export_that_no_longer_names_a_child_ends_the_guardian_link() {
    let app = spawn_app().await;
    let admin = app.login("admin").await;
    let first = generate(&school());
    import(&app, &admin, &first).await;

    // family-1 and student-00001 named each other; now neither row names the other.
    let mut next = first.clone();
    let users = String::from_utf8(first.file("users.csv").unwrap().to_vec()).unwrap();
    let users: String = users
        .lines()
        .map(|line| {
            let line = if line.starts_with("family-1,") {
                line.replace(",student-00001,", ",,")
            } else if line.starts_with("student-00001,") {
                line.replace(",family-1,", ",,")
            } else {
                line.to_owned()
            };
            format!("{line}\n")
        })
        .collect();
    next.insert("users.csv", users);

    let applied = import(&app, &admin, &next).await;
    assert_eq!(
        applied["guardians"],
        json!({"added": [], "removed": guardian_links(&[("family.1", "student.00001")])})
    );
    assert_eq!(applied["counts"]["guardiansRemoved"], 1);
    assert!(
        applied["summary"]
            .as_str()
            .unwrap()
            .ends_with("; guardians +0 -1"),
        "{}",
        applied["summary"]
    );
    let teachers = app
        .get("/chat/get_teachers", &token("family.1", "guardian"))
        .await;
    assert_eq!(teachers.body["teachers"], json!([]), "{}", teachers.body);
    assert_eq!(
        app.get("/admin/guardians", &admin).await.body["guardians"],
        guardian_links(&[("family.2", "student.00002"), ("family.3", "student.00003"),])
    );
}
