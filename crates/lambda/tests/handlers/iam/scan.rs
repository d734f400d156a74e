//! What the code calls: every AWS call in the sources a function links, with the
//! resource it targets (see the module's documentation for how each is placed).

use super::{Grants, workspace};
use std::collections::BTreeSet;

/// SDK call → IAM action. Transactions are authorised per item action.
const OPERATIONS: &[(&str, &str)] = &[
    (".get_item()", "dynamodb:GetItem"),
    (".put_item()", "dynamodb:PutItem"),
    (".delete_item()", "dynamodb:DeleteItem"),
    (".update_item()", "dynamodb:UpdateItem"),
    (".query()", "dynamodb:Query"),
    (".scan()", "dynamodb:Scan"),
    (".batch_get_item()", "dynamodb:BatchGetItem"),
    (".batch_write_item()", "dynamodb:BatchWriteItem"),
    (".transact_get_items()", "dynamodb:GetItem"),
    ("Get::builder()", "dynamodb:GetItem"),
    ("Put::builder()", "dynamodb:PutItem"),
    ("Update::builder()", "dynamodb:UpdateItem"),
    ("Delete::builder()", "dynamodb:DeleteItem"),
    ("ConditionCheck::builder()", "dynamodb:ConditionCheckItem"),
    (".post_to_connection()", "execute-api:ManageConnections"),
    (".delete_connection()", "execute-api:ManageConnections"),
    (".get_secret_value()", "secretsmanager:GetSecretValue"),
];

/// Calls this test does not know how to map: finding one fails the test.
const UNMAPPED: &[&str] = &[
    ".execute_statement()",
    ".batch_execute_statement()",
    ".execute_transaction()",
    ".create_table()",
    ".delete_table()",
    ".update_table()",
    ".describe_table()",
    ".update_time_to_live()",
    ".describe_time_to_live()",
    ".get_connection()",
    ".batch_get_secret_value()",
    ".describe_secret()",
    ".list_secrets()",
    ".put_secret_value()",
];

/// The handler of each binary: a function links its own and none of the others'.
const HANDLERS: [(&str, &str); 4] = [
    ("http", "src/http.rs"),
    ("ws", "src/ws/"),
    ("appsync", "src/appsync/resolver.rs"),
    ("appsync-authorizer", "src/appsync/authorizer.rs"),
];

/// The sources that deliver live events: every function links them but the authorizer.
const DELIVERY: [&str; 4] = [
    "src/hub.rs",
    "src/connections.rs",
    "src/appsync/hub.rs",
    "src/appsync/publisher.rs",
];

/// A source file: its path relative to the workspace and its text.
pub(super) struct Source {
    path: String,
    text: String,
}

fn sources(dir: &str, except: &[&str]) -> Vec<Source> {
    let mut found = Vec::new();
    let mut stack = vec![workspace().join(dir)];
    while let Some(path) = stack.pop() {
        if path.is_dir() {
            for entry in std::fs::read_dir(&path).unwrap() {
                stack.push(entry.unwrap().path());
            }
        } else if path.extension().is_some_and(|e| e == "rs")
            && !except.iter().any(|name| path.ends_with(name))
        {
            let text = std::fs::read_to_string(&path).unwrap();
            let path = path.strip_prefix(workspace()).unwrap_or(&path);
            let path = path.to_string_lossy().into_owned();
            found.push(Source { path, text });
        }
    }
    assert!(!found.is_empty(), "no sources under {dir}");
    found.sort_by(|a, b| a.path.cmp(&b.path));
    found
}

/// The sources the function running `binary` (see [`FUNCTIONS`]) links.
pub(super) fn sources_of(binary: &str) -> Vec<Source> {
    // The request meter reads items again only where a test or the bench installed it.
    let not_deployed = [
        "tables.rs",
        "testing.rs",
        "metering.rs",
        "metering/model.rs",
        "metering/settle.rs",
    ];
    let mut linked = sources("crates/store-dynamodb/src", &not_deployed);
    linked.extend(
        sources("crates/lambda/src", &[])
            .into_iter()
            .filter(|source| {
                let path = &source.path;
                let other_binary = path.contains("/bin/")
                    && !path.ends_with(&format!("bin/classchat-{binary}.rs"));
                let other_handler = HANDLERS
                    .iter()
                    .any(|(owner, handler)| *owner != binary && path.contains(handler));
                let delivery = binary == "appsync-authorizer"
                    && DELIVERY.iter().any(|file| path.ends_with(file));
                // The Runtime API emulator (feature `test-support`): never in a deployment.
                let test_support = path.contains("/testing/");
                !(other_binary || other_handler || delivery || test_support)
            }),
    );
    linked
}

/// The expression after `start` up to the end of its statement or argument: the builder
/// chain a call begins.
fn chain_after(text: &str, start: usize) -> &str {
    expression(text, start, true)
}

/// The text inside the parentheses that open at `open` (which must be `(`).
fn parenthesised(text: &str, open: usize) -> &str {
    expression(text, open + 1, false)
}

/// The text from `start` to the first unbalanced closing bracket, `;` or (if
/// `stop_at_comma`) `,` outside brackets. String literals are skipped.
fn expression(text: &str, start: usize, stop_at_comma: bool) -> &str {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for (offset, ch) in text[start..].char_indices() {
        if in_string {
            match (escaped, ch) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match ch {
            '"' => in_string = true,
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' if depth == 0 => return &text[start..start + offset],
            ')' | ']' | '}' => depth -= 1,
            ';' if depth == 0 => return &text[start..start + offset],
            ',' if depth == 0 && stop_at_comma => return &text[start..start + offset],
            _ => {}
        }
    }
    &text[start..]
}

/// The argument of the first `.method(…)` in `chain`.
fn argument<'a>(chain: &'a str, method: &str) -> Option<&'a str> {
    let at = chain.find(&format!(".{method}("))?;
    Some(parenthesised(chain, at + method.len() + 1))
}

/// The template resource a table expression of `source` names.
fn table_of(source: &Source, expression: &str) -> Option<&'static str> {
    let expression = expression.trim().trim_start_matches('&');
    if source.path.starts_with("crates/store-dynamodb/") {
        [
            ("tables.message", "MessageTable"),
            ("tables.user_info", "UserInfoTable"),
            ("tables.connections", "ConnectionsTable"),
        ]
        .into_iter()
        .find(|(field, _)| expression.ends_with(field))
        .map(|(_, table)| table)
    } else if source.path.starts_with("crates/lambda/") && expression.ends_with(".table") {
        // `ConnectionTable::table`, which `ConnectionTable::new` takes from
        // `tables.connections` (asserted in `derived`).
        Some("ConnectionsTable")
    } else {
        None
    }
}

/// The name of the function whose body holds `at`.
fn enclosing_function(text: &str, at: usize) -> &str {
    let start = text[..at]
        .rfind("fn ")
        .expect("a call outside any function")
        + 3;
    let rest = &text[start..];
    let end = rest
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(rest.len());
    &rest[..end]
}

/// The tables the callers of `function` pass it, across `linked`.
fn tables_passed_to(function: &str, linked: &[Source]) -> BTreeSet<&'static str> {
    let mut tables = BTreeSet::new();
    let call = format!("{function}(");
    for source in linked {
        for (at, _) in source.text.match_indices(&call) {
            let before = &source.text[..at];
            let is_call = !before.ends_with("fn ")
                && !before.ends_with('.')
                && !before.ends_with(|c: char| c.is_alphanumeric() || c == '_');
            if !is_call {
                continue;
            }
            let arguments = parenthesised(&source.text, at + function.len());
            let passed: Vec<&str> = arguments
                .split(',')
                .filter_map(|argument| table_of(source, argument))
                .collect();
            // A helper that passes on its own `table` parameter (`ops::users` to
            // `ops::batch_get`): the tables are those its callers pass it.
            let forwarded = passed.is_empty()
                && arguments
                    .split(',')
                    .any(|argument| argument.trim() == "table");
            if forwarded {
                let helper = enclosing_function(&source.text, at);
                tables.extend(tables_passed_to(helper, linked));
                continue;
            }
            assert_eq!(
                passed.len(),
                1,
                "{}: cannot tell which table `{function}({arguments})` reads",
                source.path
            );
            tables.extend(passed);
        }
    }
    assert!(!tables.is_empty(), "nobody calls {function} with a table");
    tables
}

/// Every AWS call in `linked`, as resource → actions. `secret` is the resource the
/// function's secret ARN names in the template.
pub(super) fn calls(linked: &[Source], secret: &str) -> Grants {
    let mut grants = Grants::new();
    for source in linked {
        let text = &source.text;
        for unmapped in UNMAPPED {
            assert!(
                !text.contains(unmapped),
                "{} calls {unmapped}: map it in tests/handlers/iam.rs and grant it in \
                 template.yaml",
                source.path
            );
        }
        // The AppSync publisher's calls, each on the mutation field it names.
        for (at, _) in text.match_indices(".logged(\"") {
            let field = text[at + ".logged(\"".len()..]
                .split('"')
                .next()
                .unwrap_or_default();
            grants
                .entry(format!("GraphQLApi/types/Mutation/fields/{field}"))
                .or_default()
                .insert("appsync:GraphQL".to_owned());
        }
        for (call, action) in OPERATIONS {
            for (at, _) in text.match_indices(call) {
                let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
                if text[line_start..at].trim_start().starts_with("//") {
                    continue;
                }
                // `Put::builder()`, not `SomethingPut::builder()`.
                if call.ends_with("::builder()")
                    && text[..at].ends_with(|c: char| c.is_alphanumeric() || c == '_')
                {
                    continue;
                }
                let chain = chain_after(text, at + call.len());
                let receiver = text[..at].trim_end();
                // `uri.query()` is no DynamoDB Query: an SDK call is made on a client, or
                // its chain names what it targets.
                let on_a_client = call.ends_with("::builder()")
                    || receiver.ends_with("client")
                    || [".table_name(", ".secret_id(", ".connection_id("]
                        .iter()
                        .any(|target| chain.contains(target));
                if !on_a_client {
                    continue;
                }
                let place = format!("{}:{}", source.path, text[..at].lines().count());
                for resource in resources_of(source, linked, at, chain, action, secret, &place) {
                    grants
                        .entry(resource)
                        .or_default()
                        .insert((*action).to_owned());
                }
            }
        }
    }
    grants
}

/// The resources one call at `at` (its `chain` after it) targets.
fn resources_of(
    source: &Source,
    linked: &[Source],
    at: usize,
    chain: &str,
    action: &str,
    secret: &str,
    place: &str,
) -> Vec<String> {
    if action.starts_with("execute-api:") {
        return vec!["WebSocketApi".to_owned()];
    }
    if action.starts_with("secretsmanager:") {
        assert!(
            chain.contains(".secret_id("),
            "{place}: which secret does it read?"
        );
        return vec![secret.to_owned()];
    }
    let tables: BTreeSet<&str> = match argument(chain, "table_name") {
        Some(expression) => BTreeSet::from([table_of(source, expression)
            .unwrap_or_else(|| panic!("{place}: which table is `{expression}`?"))]),
        None => tables_passed_to(enclosing_function(&source.text, at), linked),
    };
    let index = match argument(chain, "index_name") {
        None => String::new(),
        Some("CONNECTIONS_BY_USER") => "/index/userId-index".to_owned(),
        Some(other) => panic!("{place}: which index is `{other}`?"),
    };
    tables
        .into_iter()
        .map(|table| format!("{table}{index}"))
        .collect()
}
