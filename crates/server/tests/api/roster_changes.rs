//! A district changes between two exports: a student moves to another class, a teacher
//! leaves, an enrolment ends. The second import's diff is asserted exactly (the links
//! against a derivation of their own, from the CSV), then applied, then found complete.

use crate::common::{TestApp, spawn_app};
use classchat_roster::Bundle;
use classchat_roster::testing::{SchoolSpec, generate, to_zip};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

/// The day enrolments are judged on, as `YYYY-MM-DD` (string order is date order).
fn today() -> String {
    let days = crate::common::now_secs() / 86_400;
    // Civil from days (Howard Hinnant's algorithm), to stay free of a date crate here.
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

fn text(bundle: &Bundle, file: &str) -> String {
    String::from_utf8(bundle.file(file).unwrap().to_vec()).unwrap()
}

/// The teacher–student pairs of a bundle, derived here from `enrollments.csv` alone:
/// everyone in a class with an enrolment active today, teachers with students. (The
/// generated files have no quoted commas in these columns.)
fn derived_links(bundle: &Bundle) -> BTreeSet<(String, String)> {
    let today = today();
    let mut classes: BTreeMap<String, (Vec<String>, Vec<String>)> = BTreeMap::new();
    for line in text(bundle, "enrollments.csv").lines().skip(1) {
        let fields: Vec<&str> = line.split(',').collect();
        let (class, user, role, begin, end) =
            (fields[3], fields[5], fields[6], fields[8], fields[9]);
        if (!begin.is_empty() && begin > today.as_str())
            || (!end.is_empty() && end < today.as_str())
        {
            continue;
        }
        // Usernames are the sourcedIds with `.` for `-`, as the generator writes them.
        let user = user.replacen('-', ".", 1);
        let members = classes.entry(class.to_owned()).or_default();
        if role == "teacher" {
            members.0.push(user);
        } else {
            members.1.push(user);
        }
    }
    classes
        .values()
        .flat_map(|(teachers, students)| {
            teachers.iter().flat_map(move |teacher| {
                students
                    .iter()
                    .map(move |student| (teacher.clone(), student.clone()))
            })
        })
        .collect()
}

/// The next export: student-00001 moves from class-0001 to class-0004, teacher-0005
/// leaves (row and enrolments gone), and student-00002's enrolment in class-0002 ended on
/// 30 September.
fn next_export(first: &Bundle) -> Bundle {
    let mut next = first.clone();
    let users: String = text(first, "users.csv")
        .lines()
        .filter(|line| !line.starts_with("teacher-0005,"))
        .map(|line| format!("{line}\n"))
        .collect();
    next.insert("users.csv", users);
    let enrollments: String = text(first, "enrollments.csv")
        .lines()
        .filter(|line| !line.contains(",teacher-0005,"))
        .map(|line| {
            if line.starts_with("enr-class-0001-student-00001,") {
                line.replace("class-0001", "class-0004")
            } else if line.starts_with("enr-class-0002-student-00002,") {
                line.replace(",2099-07-31", ",2026-09-30")
            } else {
                line.to_owned()
            }
        })
        .map(|line| format!("{line}\n"))
        .collect();
    next.insert("enrollments.csv", enrollments);
    next
}

fn pairs(links: &Value) -> BTreeSet<(String, String)> {
    links
        .as_array()
        .unwrap()
        .iter()
        .map(|link| {
            (
                link["teacherId"].as_str().unwrap().to_owned(),
                link["studentId"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

async fn import(app: &TestApp, token: &str, query: &str, bundle: &Bundle) -> Value {
    let reply = app
        .post_bytes(
            &format!("/admin/roster{query}"),
            Some(token),
            "application/zip",
            to_zip(bundle),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    reply.body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_next_export_moves_a_student_loses_a_teacher_and_ends_an_enrolment() {
    let app = spawn_app().await;
    let admin = app.login("admin").await;
    let first = generate(&SchoolSpec::default());
    import(&app, &admin, "", &first).await;
    let next = next_export(&first);

    let diff = import(&app, &admin, "?dryRun=true", &next).await;
    assert_eq!(diff["users"]["created"], json!([]));
    assert_eq!(
        diff["users"]["updated"],
        json!([{"sourcedId": "teacher-0005", "userId": "teacher.0005",
                "disabled": {"from": false, "to": true}}])
    );
    assert_eq!(diff["classes"]["created"], json!([]));
    assert_eq!(diff["classes"]["deleted"], json!([]));
    let changed: BTreeMap<String, Value> = diff["classes"]["updated"]
        .as_array()
        .unwrap()
        .iter()
        .map(|class| (class["classId"].as_str().unwrap().to_owned(), class.clone()))
        .collect();
    let change = |teachers_removed: &[&str], students_added: &[&str], students_removed: &[&str]| {
        json!({
            "teachersAdded": [], "teachersRemoved": teachers_removed,
            "studentsAdded": students_added, "studentsRemoved": students_removed,
        })
    };
    let expected = BTreeMap::from([
        ("class-0001", change(&[], &[], &["student.00001"])),
        ("class-0002", change(&[], &[], &["student.00002"])),
        ("class-0004", change(&[], &["student.00001"], &[])),
        ("class-0005", change(&["teacher.0005"], &[], &[])),
        ("class-0065", change(&["teacher.0005"], &[], &[])),
        ("class-0125", change(&["teacher.0005"], &[], &[])),
        ("class-0185", change(&["teacher.0005"], &[], &[])),
    ]);
    assert_eq!(
        changed.keys().map(String::as_str).collect::<Vec<_>>(),
        expected.keys().copied().collect::<Vec<_>>()
    );
    for (class_id, expected) in expected {
        let actual = &changed[class_id];
        for field in [
            "teachersAdded",
            "teachersRemoved",
            "studentsAdded",
            "studentsRemoved",
        ] {
            assert_eq!(actual[field], expected[field], "{class_id} {field}");
        }
        assert!(
            actual.get("previousTitle").is_none(),
            "{class_id}: {actual}"
        );
    }
    let (before, after) = (derived_links(&first), derived_links(&next));
    let added = pairs(&diff["links"]["added"]);
    let removed = pairs(&diff["links"]["removed"]);
    assert_eq!(added, after.difference(&before).cloned().collect());
    assert_eq!(removed, before.difference(&after).cloned().collect());
    assert!(removed.iter().any(|(teacher, _)| teacher == "teacher.0005"));
    assert!(
        !added.is_empty(),
        "student.00001 meets class-0004's teacher"
    );

    let applied = import(&app, &admin, "", &next).await;
    assert_eq!(applied["applied"], true);
    assert_eq!(applied["links"], diff["links"]);
    let links = app.get("/admin/links", &admin).await.body;
    let stored = pairs(&links["links"]);
    let hand = BTreeSet::from([
        ("t1".to_owned(), "s1".to_owned()),
        ("t1".to_owned(), "s2".to_owned()),
        ("t2".to_owned(), "s2".to_owned()),
    ]);
    assert_eq!(stored, after.union(&hand).cloned().collect());
    let teacher = app
        .get("/admin/users?limit=1&after=teacher.0004", &admin)
        .await;
    assert_eq!(teacher.body["users"][0]["userId"], "teacher.0005");
    assert_eq!(
        teacher.body["users"][0]["disabled"], true,
        "left, so disabled"
    );

    let again = import(&app, &admin, "", &next).await;
    assert_eq!(again["applied"], false, "{}", again["summary"]);
}
