//! `classchat roster import`: a folder and a zip, the dry run, the text and JSON diffs,
//! a second import that changes nothing, and a broken bundle refused with its file and
//! line while the school stays as it was.

use crate::cli::{classchat, db_arg};
use crate::process::succeeds;
use classchat_roster::testing::{Malformation, SchoolSpec, generate, to_zip};
use serde_json::Value;

fn school() -> SchoolSpec {
    SchoolSpec {
        schools: 2,
        teachers: 4,
        students: 60,
        classes: 6,
        min_class_size: 20,
        max_class_size: 25,
        guardians: 2,
        ..SchoolSpec::default()
    }
}

#[test]
fn an_operator_previews_imports_and_reimports_a_folder_and_a_zip() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_arg(&dir.path().join("school.db"));
    let folder = dir.path().join("export");
    std::fs::create_dir(&folder).unwrap();
    let bundle = generate(&school());
    for (name, bytes) in bundle.files() {
        std::fs::write(folder.join(name), bytes).unwrap();
    }
    let zip = dir.path().join("export.zip");
    std::fs::write(&zip, to_zip(&bundle)).unwrap();
    let folder = folder.to_str().unwrap();
    let zip = zip.to_str().unwrap();

    let preview = succeeds(&classchat(
        &["roster", "import", folder, "--dry-run", "--db", &db],
        None,
    ));
    assert!(
        preview.contains("would change (dry run, nothing written)"),
        "{preview}"
    );
    assert!(
        preview.contains("users +67"),
        "admin, 4 teachers, 60 students, 2 guardians: {preview}"
    );
    assert!(preview.contains("; guardians +2 -0"), "{preview}");
    assert!(preview.contains("guardian links added (2):"), "{preview}");
    assert!(
        preview.contains("family.2 guardian of student.00002"),
        "named by the student's row only: {preview}"
    );
    assert!(!preview.contains("skipped ("), "{preview}");
    let nobody = succeeds(&classchat(&["user", "list", "--db", &db], None));
    assert_eq!(nobody.lines().count(), 1, "only the header: {nobody}");

    let applied = succeeds(&classchat(
        &["roster", "import", folder, "--json", "--db", &db],
        None,
    ));
    let report: Value = serde_json::from_str(&applied).unwrap();
    assert_eq!(report["applied"], true);
    assert_eq!(report["counts"]["usersCreated"], 67);
    assert_eq!(report["counts"]["guardiansAdded"], 2);
    assert_eq!(report["counts"]["classesCreated"], 6);
    let listing = succeeds(&classchat(&["user", "list", "--db", &db], None));
    assert!(listing.contains("student.00060"), "{listing}");

    let again = succeeds(&classchat(&["roster", "import", zip, "--db", &db], None));
    assert!(
        again.starts_with(
            "roster import: nothing to change: users +0 ~0; classes +0 ~0 -0; links +0 -0"
        ),
        "{again}"
    );
}

#[test]
fn a_broken_bundle_is_refused_with_its_file_and_line_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_arg(&dir.path().join("school.db"));
    let zip = dir.path().join("broken.zip");
    std::fs::write(
        &zip,
        Malformation::InvalidUsername.apply(&generate(&school())),
    )
    .unwrap();
    let refused = classchat(
        &["roster", "import", zip.to_str().unwrap(), "--db", &db],
        None,
    );
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("users.csv line 3, column username"),
        "{stderr}"
    );
    assert!(stderr.contains("nothing was written"), "{stderr}");
    let listing = succeeds(&classchat(&["user", "list", "--db", &db], None));
    assert_eq!(listing.lines().count(), 1, "{listing}");
}
