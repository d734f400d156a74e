//! Writes the generated district as a OneRoster zip, for the browser tests and the
//! benchmark: `cargo run -p classchat-roster --example school-bundle --features
//! test-support -- OUT.zip [STUDENTS TEACHERS CLASSES [GUARDIANS]]` (default: the issue's
//! district of 1,500 students, 60 teachers and 200 classes, with 6 family members who
//! import as guardians; `GUARDIANS` 0 leaves families out).

use classchat_roster::testing::{SchoolSpec, generate, to_zip};
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(out) = args.first() else {
        eprintln!("usage: school-bundle OUT.zip [STUDENTS TEACHERS CLASSES [GUARDIANS]]");
        return ExitCode::FAILURE;
    };
    let mut spec = SchoolSpec::default();
    let numbers: Vec<usize> = args[1..]
        .iter()
        .filter_map(|arg| arg.parse().ok())
        .collect();
    if let [students, teachers, classes, ..] = numbers[..] {
        spec.students = students;
        spec.teachers = teachers;
        spec.classes = classes;
    }
    if let [_, _, _, guardians] = numbers[..] {
        spec.guardians = guardians;
    }
    match std::fs::write(out, to_zip(&generate(&spec))) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("cannot write {out}: {error}");
            ExitCode::FAILURE
        }
    }
}
