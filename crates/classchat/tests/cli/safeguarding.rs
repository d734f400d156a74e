//! `classchat hold` and `classchat retention`, and the retention settings: the operator's
//! legal holds and retention passes, audited as `cli`, with bad input refused.

use crate::cli::{add_link, add_user, classchat, db_arg};
use crate::process::succeeds;

#[test]
fn the_operator_holds_releases_previews_and_runs_retention() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_arg(&dir.path().join("school.db"));
    add_user(&db, "t1", "teacher", "Teacher One", "a-long-password");
    add_user(&db, "s1", "student", "Student One", "a-long-password");
    add_link(&db, "t1", "s1");

    // Without a policy nothing is looked at.
    let preview = succeeds(&classchat(&["retention", "preview", "--db", &db], None));
    assert!(preview.contains("retention-days forever"), "{preview}");

    // Too short a policy is refused and changes nothing; a real one is kept.
    let refused = classchat(
        &["settings", "set", "--retention-days", "7", "--db", &db],
        None,
    );
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("retentionDays is 30"));
    let set = succeeds(&classchat(
        &["settings", "set", "--retention-days", "1095", "--db", &db],
        None,
    ));
    assert!(set.contains("retention-days 1095"), "{set}");

    let held = succeeds(&classchat(
        &[
            "hold",
            "add",
            "--conversation",
            "t1+s1",
            "--reason",
            "case 7",
            "--db",
            &db,
        ],
        None,
    ));
    assert!(held.starts_with("conversation:s1+t1\tcli\t"), "{held}");
    assert!(held.trim_end().ends_with("case 7"), "{held}");
    let both = classchat(
        &[
            "hold",
            "add",
            "--user",
            "s1",
            "--conversation",
            "s1+t1",
            "--db",
            &db,
        ],
        None,
    );
    assert!(!both.status.success(), "one target at a time");
    let listed = succeeds(&classchat(&["hold", "list", "--db", &db], None));
    assert_eq!(listed.lines().count(), 1, "{listed}");

    let run = succeeds(&classchat(&["retention", "run", "--db", &db], None));
    assert!(run.contains("deleted-conversations 0"), "{run}");

    succeeds(&classchat(
        &["hold", "remove", "--conversation", "s1+t1", "--db", &db],
        None,
    ));
    let again = classchat(
        &["hold", "remove", "--conversation", "s1+t1", "--db", &db],
        None,
    );
    assert!(!again.status.success(), "no such hold any more");

    let export = succeeds(&classchat(&["export", "--db", &db], None));
    let actions: Vec<&str> = [
        "settings.update",
        "hold.set",
        "retention.run",
        "hold.release",
    ]
    .into_iter()
    .filter(|action| export.contains(&format!("\"action\":\"{action}\"")))
    .collect();
    assert_eq!(
        actions,
        [
            "settings.update",
            "hold.set",
            "retention.run",
            "hold.release"
        ],
        "each step audited"
    );
}
