//! Least privilege, checked: every AWS call each function's code can make is found in the
//! sources it links, with the resource it targets — a table, an index, the secret, the
//! WebSocket API — and `template.yaml` must grant exactly those actions on exactly those
//! resources: a grant the code never uses fails, and so does a call with no grant.
//!
//! Which sources each function runs:
//! - all: the store (`crates/store-dynamodb/src`, minus `tables.rs`, which only the
//!   operator's `classchat tables create` runs, and `testing.rs`) and `crates/lambda/src`
//!   (config, secret, deployment);
//! - all but the AppSync authorizer, which only reads the user and the secret: the
//!   deliveries (connections, hub, and AppSync's hub and publisher);
//! - each its own handler and binary: `http.rs`, `ws/`, `appsync/resolver.rs`,
//!   `appsync/authorizer.rs`.
//!
//! How a call's resource is found: the builder chain after it names the table
//! (`.table_name(&store.tables.message)`) and any index (`.index_name(CONNECTIONS_BY_USER)`);
//! a call whose table is a function parameter (the batch read of profiles) takes the tables
//! its callers pass. The secret is the one the function's `CLASSCHAT_JWT_SECRET_ARN` names
//! in the template, since that is the only one the code reads; posts go to this stack's
//! WebSocket API; AppSync calls (`appsync:GraphQL`) go to the mutation fields the publisher
//! names (`self.logged("<field>", …)`) on this stack's GraphQL API. Anything the scanner cannot place fails the test, rather than letting
//! the template fall behind the code.

use serde_yaml::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Resource → actions granted on it (or called on it).
type Grants = BTreeMap<String, BTreeSet<String>>;

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

/// The environment variable naming the secret the functions read (`LambdaConfig`).
const SECRET_ARN_VARIABLE: &str = "CLASSCHAT_JWT_SECRET_ARN";

/// The functions of the template and the binary each one runs.
const FUNCTIONS: [(&str, &str); 4] = [
    ("HttpFunction", "http"),
    ("WsFunction", "ws"),
    ("AppSyncFunction", "appsync"),
    ("AppSyncAuthorizerFunction", "appsync-authorizer"),
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

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A source file: its path relative to the workspace and its text.
struct Source {
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
fn sources_of(binary: &str) -> Vec<Source> {
    let mut linked = sources("crates/store-dynamodb/src", &["tables.rs", "testing.rs"]);
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
                !(other_binary || other_handler || delivery)
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
fn calls(linked: &[Source], secret: &str) -> Grants {
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

/// What the code of each function calls, per template resource.
fn derived(template: &Value) -> BTreeMap<String, Grants> {
    let connections =
        std::fs::read_to_string(workspace().join("crates/lambda/src/connections.rs")).unwrap();
    assert!(
        connections.contains("table: tables.connections.clone()"),
        "ConnectionTable::table must be the Connections table (see `table_of`)"
    );
    let config = std::fs::read_to_string(workspace().join("crates/lambda/src/config.rs")).unwrap();
    assert!(
        config.contains(&format!("lookup(\"{SECRET_ARN_VARIABLE}\")")),
        "the functions read their secret's ARN from {SECRET_ARN_VARIABLE}"
    );
    FUNCTIONS
        .into_iter()
        .map(|(function, binary)| {
            let secret = environment_value(template, function, SECRET_ARN_VARIABLE)
                .map(|value| resource_name(&value))
                .unwrap_or_else(|| panic!("{function} has no {SECRET_ARN_VARIABLE}"));
            (function.to_owned(), calls(&sources_of(binary), &secret))
        })
        .collect()
}

/// `!GetAtt X.Arn` → `X`; `!Sub "${X.Arn}/index/i"` → `X/index/i`; an execute-api ARN of
/// `${WebSocketApi}` → `WebSocketApi`; `!Ref X` → `X`; `!If [c, a, b]` → `c ? a : b`.
/// Anything else (a literal ARN, a wildcard) is refused: grants name this stack's
/// resources only.
fn resource_name(value: &Value) -> String {
    let Value::Tagged(tagged) = value else {
        panic!("resources must be !GetAtt, !Sub, !Ref or !If of this stack's: {value:?}");
    };
    let tag = tagged.tag.to_string();
    if tag == "!If" {
        let branches = tagged.value.as_sequence().expect("!If [condition, a, b]");
        let condition = branches[0].as_str().expect("a condition name");
        return format!(
            "{condition} ? {} : {}",
            resource_name(&branches[1]),
            resource_name(&branches[2])
        );
    }
    let text = tagged.value.as_str().expect("a string");
    match tag.as_str() {
        "!GetAtt" => text.strip_suffix(".Arn").expect(".Arn").to_owned(),
        "!Ref" => text.to_owned(),
        "!Sub" if text.contains(":execute-api:") => {
            assert!(
                text.ends_with(":${WebSocketApi}/live/POST/@connections/*"),
                "ManageConnections only on this API's connections: {text}"
            );
            "WebSocketApi".to_owned()
        }
        "!Sub" => text
            .strip_prefix("${")
            .and_then(|rest| rest.split_once(".Arn}"))
            .map(|(name, path)| format!("{name}{path}"))
            .expect("${X.Arn}/…"),
        other => panic!("unexpected tag {other}"),
    }
}

/// The value of environment variable `name` for `function`: its own, or the Globals'.
pub(crate) fn environment_value(template: &Value, function: &str, name: &str) -> Option<Value> {
    let own = &template["Resources"][function]["Properties"]["Environment"]["Variables"][name];
    let global = &template["Globals"]["Function"]["Environment"]["Variables"][name];
    [own, global]
        .into_iter()
        .find(|value| !value.is_null())
        .cloned()
}

fn as_list(value: &Value) -> Vec<Value> {
    match value {
        Value::Sequence(items) => items.clone(),
        single => vec![single.clone()],
    }
}

/// `template.yaml`, parsed.
pub(crate) fn template() -> Value {
    let text = std::fs::read_to_string(workspace().join("template.yaml")).unwrap();
    serde_yaml::from_str(&text).unwrap()
}

/// What the template grants each function's role.
fn granted(template: &Value) -> BTreeMap<String, Grants> {
    let resources = template["Resources"].as_mapping().unwrap();
    for (name, resource) in resources {
        let kind = resource["Type"].as_str().unwrap_or_default();
        assert!(
            kind != "AWS::IAM::RolePolicy" && kind != "AWS::IAM::Policy",
            "{name:?}: grants live inline in each function's role, where this test reads them"
        );
    }
    let mut by_function = BTreeMap::new();
    let mut roles_seen = BTreeSet::new();
    for (name, resource) in resources {
        if resource["Type"].as_str() != Some("AWS::Serverless::Function") {
            continue;
        }
        let function = name.as_str().unwrap().to_owned();
        let role = resource_name(&resource["Properties"]["Role"]);
        assert!(
            roles_seen.insert(role.clone()),
            "{role} is shared: one role per function"
        );
        let role = &resources[role.as_str()];
        assert_eq!(role["Type"].as_str(), Some("AWS::IAM::Role"));
        let mut grants = Grants::new();
        for policy in role["Properties"]["Policies"].as_sequence().unwrap() {
            for statement in policy["PolicyDocument"]["Statement"].as_sequence().unwrap() {
                assert_eq!(statement["Effect"].as_str(), Some("Allow"));
                let actions: Vec<String> = as_list(&statement["Action"])
                    .iter()
                    .map(|a| a.as_str().unwrap().to_owned())
                    .collect();
                for resource in as_list(&statement["Resource"]) {
                    grants
                        .entry(resource_name(&resource))
                        .or_default()
                        .extend(actions.iter().cloned());
                }
            }
        }
        let managed = as_list(&role["Properties"]["ManagedPolicyArns"]);
        assert!(
            managed.iter().all(|arn| arn.as_str()
                == Some("arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")),
            "only the logging policy may be attached: {managed:?}"
        );
        by_function.insert(function, grants);
    }
    by_function
}

/// Every way `granted` differs from `derived`, one line per function, resource and action.
fn differences(
    derived: &BTreeMap<String, Grants>,
    granted: &BTreeMap<String, Grants>,
) -> Vec<String> {
    let empty = Grants::new();
    let functions: BTreeSet<&String> = derived.keys().chain(granted.keys()).collect();
    let mut found = Vec::new();
    for function in functions {
        let (called, allowed) = (
            derived.get(function).unwrap_or(&empty),
            granted.get(function).unwrap_or(&empty),
        );
        let resources: BTreeSet<&String> = called.keys().chain(allowed.keys()).collect();
        for resource in resources {
            let none = BTreeSet::new();
            let (called, allowed) = (
                called.get(resource).unwrap_or(&none),
                allowed.get(resource).unwrap_or(&none),
            );
            for action in allowed.difference(called) {
                found.push(format!(
                    "{function}: {action} on {resource} is granted, but the code never calls it"
                ));
            }
            for action in called.difference(allowed) {
                found.push(format!(
                    "{function}: {action} on {resource} is called, but not granted"
                ));
            }
        }
    }
    found
}

#[test]
fn template_grants_exactly_what_the_code_calls() {
    let template = template();
    let derived = derived(&template);
    for (function, binary) in FUNCTIONS {
        assert_eq!(
            template["Resources"][function]["Properties"]["CodeUri"].as_str(),
            Some(format!("build/lambda/classchat-{binary}/").as_str()),
            "{function} runs classchat-{binary}"
        );
    }
    let differences = differences(&derived, &granted(&template));
    assert!(
        differences.is_empty(),
        "template.yaml must grant exactly what the code calls:\n{}",
        differences.join("\n")
    );
}

#[test]
fn the_code_calls_what_each_function_needs_on_each_resource() {
    // What the derivation finds today, spelled out: a scanner that stopped seeing calls
    // would otherwise agree with a template that stopped granting them.
    let derived = derived(&template());
    let actions = |function: &str, resource: &str| -> Vec<&str> {
        derived[function]
            .get(resource)
            .map(|actions| actions.iter().map(String::as_str).collect())
            .unwrap_or_default()
    };
    let secret = "GenerateJwtSecret ? JwtSecret : JwtSecretArn";
    for function in ["HttpFunction", "WsFunction"] {
        assert_eq!(
            actions(function, "MessageTable"),
            ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"],
            "{function}: messages are appended in a transaction, never updated or deleted"
        );
        assert_eq!(actions(function, "UserInfoTable").len(), 7, "{function}");
        assert_eq!(
            actions(function, "ConnectionsTable/index/userId-index"),
            ["dynamodb:Query"]
        );
        assert_eq!(actions(function, secret), ["secretsmanager:GetSecretValue"]);
        assert_eq!(
            actions(function, "WebSocketApi"),
            ["execute-api:ManageConnections"]
        );
    }
    assert_eq!(
        actions("HttpFunction", "ConnectionsTable"),
        ["dynamodb:DeleteItem"]
    );
    assert_eq!(
        actions("WsFunction", "ConnectionsTable"),
        [
            "dynamodb:DeleteItem",
            "dynamodb:GetItem",
            "dynamodb:PutItem"
        ]
    );
    // Every function that delivers also publishes to AppSync, and ends its subscriptions;
    // the authorizer delivers nothing.
    for function in ["HttpFunction", "WsFunction", "AppSyncFunction"] {
        for field in [
            "publishMessage",
            "publishInboxEvent",
            "endUserSessions",
            "endLink",
        ] {
            let resource = format!("GraphQLApi/types/Mutation/fields/{field}");
            assert_eq!(
                actions(function, &resource),
                ["appsync:GraphQL"],
                "{function}"
            );
        }
    }
    let authorizer = &derived["AppSyncAuthorizerFunction"];
    assert!(
        authorizer
            .keys()
            .all(|resource| !resource.starts_with("GraphQLApi") && resource != "WebSocketApi"),
        "{authorizer:?}"
    );
    assert_eq!(
        actions("AppSyncAuthorizerFunction", secret),
        ["secretsmanager:GetSecretValue"]
    );
}

/// The statement with `sid` in `role`'s first policy.
fn statement<'a>(template: &'a mut Value, role: &str, sid: &str) -> &'a mut Value {
    template["Resources"][role]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
        .as_sequence_mut()
        .unwrap()
        .iter_mut()
        .find(|statement| statement["Sid"].as_str() == Some(sid))
        .unwrap_or_else(|| panic!("{role} has no statement {sid}"))
}

#[test]
fn the_check_catches_an_extra_grant_and_a_missing_one() {
    let mut template = template();
    // One grant too many: DeleteItem on Message, which nothing calls.
    statement(&mut template, "HttpFunctionRole", "Messages")["Action"]
        .as_sequence_mut()
        .unwrap()
        .push(Value::from("dynamodb:DeleteItem"));
    // One too few: the WebSocket function may no longer read its secret.
    statement(&mut template, "WsFunctionRole", "TokenSigningSecret")["Action"] =
        Value::Sequence(Vec::new());

    let found = differences(&derived(&template), &granted(&template));
    assert_eq!(
        found,
        [
            "HttpFunction: dynamodb:DeleteItem on MessageTable is granted, but the code never \
             calls it",
            "WsFunction: secretsmanager:GetSecretValue on GenerateJwtSecret ? JwtSecret : \
             JwtSecretArn is called, but not granted",
        ]
    );
}

#[test]
fn the_check_catches_a_grant_on_the_wrong_resource() {
    let mut template = template();
    // The right action on a whole table instead of its index.
    let find = statement(&mut template, "HttpFunctionRole", "FindConnections");
    find["Resource"] = serde_yaml::from_str("[!GetAtt ConnectionsTable.Arn]").unwrap();
    let found = differences(&derived(&template), &granted(&template));
    assert_eq!(
        found,
        [
            "HttpFunction: dynamodb:Query on ConnectionsTable is granted, but the code never \
             calls it",
            "HttpFunction: dynamodb:Query on ConnectionsTable/index/userId-index is called, \
             but not granted",
        ]
    );
}
