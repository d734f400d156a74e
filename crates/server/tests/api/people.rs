//! `GET /admin/users` in a school of hundreds: a search by part of a userId or name,
//! filters by role, status and class, and paging by `nextAfter`; bad filters are refused.

use crate::common::{TestApp, spawn_app};
use classchat_roster::testing::{SchoolSpec, generate, to_zip};
use reqwest::StatusCode;
use serde_json::Value;

/// Two schools, 6 teachers, 300 students, 10 classes of 20–30.
fn district() -> SchoolSpec {
    SchoolSpec {
        schools: 2,
        teachers: 6,
        students: 300,
        classes: 10,
        min_class_size: 20,
        max_class_size: 30,
        guardians: 0,
        ..SchoolSpec::default()
    }
}

async fn imported() -> (TestApp, String) {
    let app = spawn_app().await;
    let admin = app.login("admin").await;
    let reply = app
        .post_bytes(
            "/admin/roster",
            Some(&admin),
            "application/zip",
            to_zip(&generate(&district())),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    (app, admin)
}

fn ids(reply: &Value) -> Vec<&str> {
    reply["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|user| user["userId"].as_str().unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_finds_people_by_search_role_status_and_class_page_by_page() {
    let (app, admin) = imported().await;
    // Part of a userId, any case.
    let found = app.get("/admin/users?q=STUDENT.0001", &admin).await;
    assert_eq!(found.status, StatusCode::OK, "{}", found.body);
    let expected: Vec<String> = (10..20).map(|n| format!("student.{n:05}")).collect();
    assert_eq!(ids(&found.body), expected);
    assert_eq!(found.body["hasMore"], false);
    // Part of a display name, with the seeded school's own people too.
    let teachers = app.get("/admin/users?q=teacher&role=teacher", &admin).await;
    let teacher_ids = ids(&teachers.body);
    assert_eq!(teacher_ids.len(), 6 + 2, "{teacher_ids:?}");
    // Paging: three at a time until the end, following nextAfter.
    let mut seen = Vec::new();
    let mut after = String::new();
    loop {
        let page = app
            .get(
                &format!("/admin/users?q=teacher&role=teacher&limit=3{after}"),
                &admin,
            )
            .await;
        seen.extend(ids(&page.body).into_iter().map(str::to_owned));
        if page.body["hasMore"] != true {
            break;
        }
        after = format!("&after={}", page.body["nextAfter"].as_str().unwrap());
    }
    assert_eq!(seen, teacher_ids);
    // A class: its teacher and its students.
    let class = app
        .get("/admin/users?classId=class-0001&limit=200", &admin)
        .await;
    let members = ids(&class.body);
    let spec = district();
    assert_eq!(members.len(), 1 + spec.class_students(0).len());
    assert!(members.contains(&"teacher.0001"), "{members:?}");
    let class_teachers = app
        .get("/admin/users?classId=class-0001&role=teacher", &admin)
        .await;
    assert_eq!(ids(&class_teachers.body), ["teacher.0001"]);
    // Status: nobody is disabled until an admin disables someone.
    let disabled = app.get("/admin/users?status=disabled", &admin).await;
    assert!(ids(&disabled.body).is_empty());
    let patched = app
        .request(
            reqwest::Method::PATCH,
            "/admin/users/student.00007",
            Some(&admin),
            Some(serde_json::json!({"disabled": true})),
        )
        .await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.body);
    let disabled = app.get("/admin/users?status=disabled", &admin).await;
    assert_eq!(ids(&disabled.body), ["student.00007"]);
    let active = app
        .get("/admin/users?status=active&q=student.0000", &admin)
        .await;
    assert_eq!(ids(&active.body).len(), 8, "00001–00009 but 00007");

    // The links of a class: its teacher with each of its students.
    let links = app.get("/admin/links?classId=class-0001", &admin).await;
    assert_eq!(links.status, StatusCode::OK, "{}", links.body);
    let links = links.body["links"].as_array().unwrap().clone();
    assert_eq!(links.len(), spec.class_students(0).len());
    assert!(links.iter().all(|link| link["teacherId"] == "teacher.0001"));
    let one = app
        .get(
            "/admin/links?classId=class-0001&userId=student.00001",
            &admin,
        )
        .await;
    assert_eq!(
        one.body["links"].as_array().unwrap().len(),
        1,
        "{}",
        one.body
    );
    app.get("/admin/links?classId=nope", &admin)
        .await
        .assert_error(404, "not_found");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_lists_and_finds_classes_page_by_page() {
    let (app, admin) = imported().await;
    let all = app.get("/admin/classes", &admin).await;
    assert_eq!(all.status, StatusCode::OK, "{}", all.body);
    let classes = all.body["classes"].as_array().unwrap();
    assert_eq!(classes.len(), 10);
    assert_eq!(classes[0]["classId"], "class-0001");
    assert_eq!(
        classes[0]["teacherIds"],
        serde_json::json!(["teacher.0001"])
    );
    assert_eq!(
        classes[0]["studentCount"],
        district().class_students(0).len()
    );
    let found = app.get("/admin/classes?q=CLASS%2010", &admin).await;
    let titles: Vec<&str> = found.body["classes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|class| class["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["Class 10"]);
    let first = app.get("/admin/classes?limit=4", &admin).await;
    assert_eq!(first.body["hasMore"], true);
    let next = first.body["nextAfter"].as_str().unwrap();
    assert_eq!(next, "class-0004");
    let rest = app
        .get(&format!("/admin/classes?limit=100&after={next}"), &admin)
        .await;
    assert_eq!(rest.body["classes"].as_array().unwrap().len(), 6);
    assert_eq!(rest.body["hasMore"], false);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_filters_are_refused_and_only_admins_search() {
    let (app, admin) = imported().await;
    for (query, status, code) in [
        ("status=maybe", 400, "invalid_request"),
        ("q=a%07b", 400, "invalid_request"),
        ("role=wizard", 400, "invalid_role"),
        ("classId=nope", 404, "not_found"),
    ] {
        app.get(&format!("/admin/users?{query}"), &admin)
            .await
            .assert_error(status, code);
    }
    let long = "x".repeat(101);
    app.get(&format!("/admin/users?q={long}"), &admin)
        .await
        .assert_error(400, "invalid_request");
    let teacher = app.login("t1").await;
    app.get("/admin/users?q=student", &teacher)
        .await
        .assert_error(403, "forbidden");
}
