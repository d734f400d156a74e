//! No query of the store scans a table as data grows: every statement in `src/` gets
//! `EXPLAIN QUERY PLAN` on the migrated schema, and a `SCAN` of a table fails the test.
//! `SEARCH … USING INDEX / PRIMARY KEY` (a point lookup or a range of one key prefix) is what
//! every route should cost.
//!
//! The statements are read from the store's own sources, so a query added or changed there is
//! checked without anyone remembering to copy it here: every string literal that starts with
//! `SELECT`, `INSERT`, `UPDATE`, `DELETE`, `WITH` or `REPLACE` is a statement, `{NAME}`
//! placeholders are filled from the `const NAME: &str` of the sources, and placeholders that
//! vary at run time take each value listed in [`VARIANTS`].

use classchat_store_sqlite::{SqliteOptions, SqliteStore};
use rusqlite::Connection;
use rusqlite::types::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Placeholders filled at run time, with every combination of values the code uses.
/// `contacts::linked` lists a teacher's students from the links' primary key and a
/// student's teachers from `links_by_student`.
const VARIANTS: &[&[(&str, &str)]] = &[
    &[("own_column", "teacher_id"), ("peer_column", "student_id")],
    &[("own_column", "student_id"), ("peer_column", "teacher_id")],
];

/// Tables a statement may scan whole, each with the reason it does not grow with traffic.
/// (table, a fragment of the statement, why)
const ALLOWED_SCANS: &[(&str, &str, &str)] = &[
    (
        // SQLite's plans call `sqlite_schema` by its old name.
        "sqlite_master",
        "SELECT count(*) FROM sqlite_schema",
        "the readiness probe touches the schema, whose size is fixed by the migrations",
    ),
    (
        "links",
        "FROM links ORDER BY teacher_id, student_id",
        "`GET /admin/links` without `userId` lists every link, unpaginated: the scan reads \
         exactly the rows it returns, in primary-key order",
    ),
    (
        "guardians",
        "FROM guardians ORDER BY guardian_id, student_id",
        "listing every guardian link (an admin's, without `userId`) is unpaginated like \
         listing every link: the scan reads exactly the rows it returns, in primary-key order",
    ),
    (
        "r",
        "FROM roster_accounts r JOIN users u",
        "a roster import reads every account earlier imports created, once per import \
         (admin-only and rate-limited): the scan reads exactly the rows it returns",
    ),
    (
        "classes",
        "SELECT sourced_id, title FROM classes",
        "a roster import reads every class, once per import",
    ),
    (
        "class_members",
        "FROM class_members ORDER BY sourced_id, teaches, user_id",
        "a roster import reads every class member, once per import, in primary-key order",
    ),
    (
        "links",
        "FROM links WHERE by_roster = 1",
        "a roster import reads every roster link, once per import, from the partial index \
         that holds only them",
    ),
    (
        "guardians",
        "FROM guardians WHERE by_roster = 1",
        "a roster import reads every roster guardian link, once per import, from the partial \
         index that holds only them",
    ),
];

const SQL_KEYWORDS: [&str; 6] = ["SELECT", "INSERT", "UPDATE", "DELETE", "WITH", "REPLACE"];

/// One statement as the store issues it.
struct Statement {
    /// `file:line` of its literal.
    origin: String,
    sql: String,
}

fn source_files() -> Vec<PathBuf> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    let mut dirs = vec![src];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("read src") {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|ext| ext == "rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// The text of the string literal whose opening quote is at `quote`, and where it ends.
/// Handles `"…"` and `r#"…"#`; the store's SQL contains no escaped quotes.
fn literal_at(text: &str, quote: usize) -> Option<(String, usize)> {
    let raw = text[..quote].ends_with("r#");
    let body = &text[quote + 1..];
    let end = if raw {
        body.find("\"#")?
    } else {
        body.find('"')?
    };
    Some((body[..end].to_owned(), quote + 1 + end))
}

/// `const NAME: &str = "…";` definitions of every source file.
fn string_constants(sources: &[(PathBuf, String)]) -> BTreeMap<String, String> {
    let mut constants = BTreeMap::new();
    for (_, text) in sources {
        let mut rest = 0;
        while let Some(found) = text[rest..].find("const ") {
            let start = rest + found + "const ".len();
            rest = start;
            let Some((name, tail)) = text[start..].split_once(": &str =") else {
                continue;
            };
            if name.contains(char::is_whitespace) || name.is_empty() {
                continue;
            }
            let value_start = start + name.len() + ": &str =".len();
            let skipped = tail.len() - tail.trim_start().len();
            let quote = value_start + skipped;
            if text[quote..].starts_with('"')
                && let Some((value, _)) = literal_at(text, quote)
            {
                constants.insert(name.to_owned(), value);
            }
        }
    }
    constants
}

/// Every SQL statement literal of the sources, placeholders filled.
fn statements() -> Vec<Statement> {
    let sources: Vec<(PathBuf, String)> = source_files()
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).expect("read source");
            (path, text)
        })
        .collect();
    let constants = string_constants(&sources);
    let mut statements = Vec::new();
    for (path, text) in &sources {
        let file = path.file_name().unwrap().to_string_lossy();
        for (quote, _) in text.match_indices('"') {
            let after = &text[quote + 1..];
            let is_sql = SQL_KEYWORDS.iter().any(|keyword| {
                after.starts_with(keyword)
                    && after[keyword.len()..].starts_with(|c: char| c.is_whitespace())
            });
            if !is_sql {
                continue;
            }
            let (sql, _) = literal_at(text, quote).expect("closed literal");
            let line = text[..quote].lines().count();
            let origin = format!("{file}:{line}");
            for sql in expand(&sql, &constants, &origin) {
                statements.push(Statement {
                    origin: origin.clone(),
                    sql,
                });
            }
        }
    }
    statements
}

/// `sql` with its `{NAME}` placeholders filled: one statement, or one per [`VARIANTS`]
/// entry if it uses run-time placeholders.
fn expand(sql: &str, constants: &BTreeMap<String, String>, origin: &str) -> Vec<String> {
    let mut filled = sql.to_owned();
    for (name, value) in constants {
        filled = filled.replace(&format!("{{{name}}}"), value);
    }
    let variants: Vec<&[(&str, &str)]> = VARIANTS
        .iter()
        .copied()
        .filter(|variant| {
            variant
                .iter()
                .any(|(name, _)| filled.contains(&format!("{{{name}}}")))
        })
        .collect();
    let expanded = if variants.is_empty() {
        vec![filled]
    } else {
        variants
            .iter()
            .map(|variant| {
                variant.iter().fold(filled.clone(), |sql, (name, value)| {
                    sql.replace(&format!("{{{name}}}"), value)
                })
            })
            .collect()
    };
    for sql in &expanded {
        let unknown = sql
            .replace("{{", "")
            .split('{')
            .nth(1)
            .map(|rest| rest.split('}').next().unwrap_or(rest).to_owned());
        if let Some(name) = unknown {
            panic!(
                "{origin}: the placeholder {{{name}}} is neither a string constant of src/ nor \
                 listed in VARIANTS with the values the code gives it"
            );
        }
    }
    expanded
        .into_iter()
        .map(|sql| sql.replace("{{", "{").replace("}}", "}"))
        .collect()
}

/// `EXPLAIN QUERY PLAN` of `sql`: (id, parent, detail) per step.
fn plan(connection: &Connection, sql: &str) -> Vec<(i64, i64, String)> {
    let mut statement = connection
        .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
        .unwrap_or_else(|error| panic!("{error}\n{sql}"));
    // Unbound parameters would be NULL anyway; the plan does not depend on them.
    let nulls = vec![Value::Null; statement.parameter_count()];
    let rows = statement
        .query_map(rusqlite::params_from_iter(nulls), |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(3)?))
        })
        .expect("explain");
    rows.collect::<Result<_, _>>().expect("plan rows")
}

/// The tables a plan scans whole. A `SCAN` of a subquery's result (`CO-ROUTINE x` or
/// `MATERIALIZE x` elsewhere in the plan) costs what that subquery searched, and `SCAN
/// CONSTANT ROW` and `SCAN n-ROW VALUES CLAUSE` (a multi-row `INSERT`'s own rows) are no
/// table at all.
fn scanned_tables(plan: &[(i64, i64, String)]) -> Vec<String> {
    let subqueries: Vec<&str> = plan
        .iter()
        .filter_map(|(_, _, detail)| {
            detail
                .strip_prefix("CO-ROUTINE ")
                .or_else(|| detail.strip_prefix("MATERIALIZE "))
        })
        .map(|name| name.split_whitespace().next().unwrap_or(name))
        .collect();
    plan.iter()
        .filter_map(|(_, _, detail)| detail.strip_prefix("SCAN "))
        .filter(|rest| !rest.starts_with("CONSTANT ROW") && !rest.ends_with("-ROW VALUES CLAUSE"))
        .map(|rest| rest.split_whitespace().next().unwrap_or(rest).to_owned())
        .filter(|name| !subqueries.contains(&name.as_str()))
        .collect()
}

fn render(plan: &[(i64, i64, String)]) -> String {
    plan.iter()
        .map(|(_, _, detail)| format!("    {detail}"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn no_statement_of_the_store_scans_a_table() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plans.db");
    // The schema exactly as the store migrates it (no ANALYZE: the planner's choices here
    // are the ones a production database gets).
    let store = SqliteStore::open(&path, SqliteOptions::default()).expect("open store");
    let connection = Connection::open(&path).expect("open connection");

    let statements = statements();
    assert!(
        statements.len() >= 25,
        "found only {} statements in src/: is the literal scanner broken?",
        statements.len()
    );
    let mut failures = Vec::new();
    let mut allowed_used = vec![false; ALLOWED_SCANS.len()];
    for statement in &statements {
        let plan = plan(&connection, &statement.sql);
        for table in scanned_tables(&plan) {
            let allowed = ALLOWED_SCANS.iter().position(|(name, fragment, _)| {
                *name == table && squash(&statement.sql).contains(&squash(fragment))
            });
            match allowed {
                Some(index) => allowed_used[index] = true,
                None => failures.push(format!(
                    "{}: SCAN {table}\n  {}\n{}",
                    statement.origin,
                    squash(&statement.sql),
                    render(&plan)
                )),
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} statement(s) scan a table:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // An exception that no longer matches anything is stale: remove it.
    for ((table, fragment, _), used) in ALLOWED_SCANS.iter().zip(allowed_used) {
        assert!(
            used,
            "ALLOWED_SCANS lists `{table}` for `{fragment}`, but no statement scans it"
        );
    }
    drop(store);
}

#[test]
fn the_literal_scanner_sees_the_queries_of_every_concern() {
    let statements = statements();
    let tables_touched = |table: &str| {
        statements
            .iter()
            .filter(|statement| {
                let sql = squash(&statement.sql);
                [" FROM ", "INSERT INTO ", "UPDATE "]
                    .iter()
                    .any(|verb| sql.contains(&format!("{verb}{table}")))
            })
            .count()
    };
    for (table, at_least) in [
        ("users", 4),
        ("links", 4),
        ("messages", 6),
        ("conversations", 4),
        ("audit", 2),
        ("guardians", 4),
        ("settings", 2),
        ("notify_prefs", 2),
        ("push_subscriptions", 4),
        ("pending_notices", 3),
        ("leases", 1),
        ("message_versions", 2),
        ("pauses", 3),
        ("reports", 5),
        ("report_steps", 2),
        ("holds", 1),
    ] {
        let found = tables_touched(table);
        assert!(
            found >= at_least,
            "only {found} statements on `{table}` found in src/, expected at least {at_least}"
        );
    }
}

/// Pending notices are sent in the order they are listed, so the listing of those due must
/// come from `pending_notices_by_due` already in that order (no sort of every due row to
/// return the first few), and taking one is a point lookup by its primary key. (Their
/// upserts, and the lease's, have no plan: the conflict is found through the key.)
#[test]
fn pending_notices_are_listed_from_their_index_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plans.db");
    let _store = SqliteStore::open(&path, SqliteOptions::default()).expect("open store");
    let connection = Connection::open(&path).expect("open connection");
    let statements = statements();
    let find = |fragment: &str| {
        let found: Vec<&Statement> = statements
            .iter()
            .filter(|statement| squash(&statement.sql).contains(fragment))
            .collect();
        assert_eq!(found.len(), 1, "one statement of src/ has `{fragment}`");
        plan(&connection, &found[0].sql)
    };
    let listing = find("FROM pending_notices WHERE due <=");
    assert!(
        listing.iter().any(|(_, _, detail)| detail
            .starts_with("SEARCH pending_notices USING INDEX pending_notices_by_due")),
        "the due listing must search pending_notices_by_due:\n{}",
        render(&listing)
    );
    assert!(
        !listing
            .iter()
            .any(|(_, _, detail)| detail.contains("TEMP B-TREE")),
        "the due listing must come in the index's order, unsorted:\n{}",
        render(&listing)
    );
    let take = find("DELETE FROM pending_notices");
    assert!(
        take.iter()
            .any(|(_, _, detail)| detail.starts_with("SEARCH pending_notices USING PRIMARY KEY")),
        "taking a pending notice must be a primary-key lookup:\n{}",
        render(&take)
    );
}

#[test]
fn the_check_catches_a_scan() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plans.db");
    let _store = SqliteStore::open(&path, SqliteOptions::default()).expect("open store");
    let connection = Connection::open(&path).expect("open connection");
    // Only the partial index on clientMessageIds leads with `author`, and it needs one.
    let unindexed = plan(&connection, "SELECT * FROM messages WHERE author = ?1");
    assert_eq!(scanned_tables(&unindexed), ["messages"], "{unindexed:?}");
    let subquery = plan(
        &connection,
        "SELECT * FROM (SELECT author FROM messages WHERE conversation_id = ?1 LIMIT 5) AS m \
         ORDER BY author",
    );
    assert!(scanned_tables(&subquery).is_empty(), "{subquery:?}");
}

/// `sql` with every run of whitespace made one space, for matching and messages.
fn squash(sql: &str) -> String {
    sql.split_whitespace().collect::<Vec<_>>().join(" ")
}
