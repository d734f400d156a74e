//! Least privilege, checked: the DynamoDB and API Gateway actions each function's code can
//! call are derived from the sources it links, and `template.yaml` must grant exactly
//! those — per resource, no fewer and no more.
//!
//! Which sources each function runs:
//! - both: the store (`crates/store-dynamodb/src`, minus `tables.rs`, which only the
//!   operator's `classchat tables create` runs, and `testing.rs`) on Message and UserInfo;
//!   the hub's `connections.rs` (the GSI and deleting gone connections) and `hub.rs`
//!   (posting to connections);
//! - WebSocket only: `ws/` (registering, looking up and forgetting connections).

use serde_yaml::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

type Grants = BTreeMap<String, BTreeSet<String>>;

/// SDK method → IAM action. Transactions are authorised per item action.
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
    ("Put::builder()", "dynamodb:PutItem"),
    ("Update::builder()", "dynamodb:UpdateItem"),
    ("Delete::builder()", "dynamodb:DeleteItem"),
    ("ConditionCheck::builder()", "dynamodb:ConditionCheckItem"),
    (".post_to_connection()", "execute-api:ManageConnections"),
    (".delete_connection()", "execute-api:ManageConnections"),
];

/// Calls this test does not know how to map: finding one fails the test rather than
/// letting the template fall behind the code.
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
];

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn sources(dir: &str, except: &[&str]) -> Vec<(PathBuf, String)> {
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
            found.push((path, text));
        }
    }
    assert!(!found.is_empty(), "no sources under {dir}");
    found
}

fn actions_in(files: &[(PathBuf, String)]) -> BTreeSet<String> {
    let mut actions = BTreeSet::new();
    for (path, text) in files {
        for unmapped in UNMAPPED {
            assert!(
                !text.contains(unmapped),
                "{} calls {unmapped}: map it in tests/iam.rs and grant it in template.yaml",
                path.display()
            );
        }
        for (call, action) in OPERATIONS {
            if text.contains(call) {
                actions.insert((*action).to_owned());
            }
        }
    }
    actions
}

fn grant(grants: &mut Grants, resource: &str, actions: impl IntoIterator<Item = String>) {
    grants
        .entry(resource.to_owned())
        .or_default()
        .extend(actions);
}

/// What the code of each function calls, per template resource.
fn derived() -> BTreeMap<&'static str, Grants> {
    let store = actions_in(&sources(
        "crates/store-dynamodb/src",
        &["tables.rs", "testing.rs"],
    ));
    let lookup_files = sources("crates/lambda/src/connections.rs", &[]);
    let lookup = actions_in(&lookup_files);
    let posting = actions_in(&sources("crates/lambda/src/hub.rs", &[]));
    let session = actions_in(&sources("crates/lambda/src/ws", &[]));
    assert!(
        !store.is_empty() && posting.contains("execute-api:ManageConnections"),
        "the derivation found nothing: {store:?} {posting:?}"
    );
    // Every Query on Connections goes through the userId GSI.
    let (lookup_text, session_text) = (&lookup_files[0].1, sources("crates/lambda/src/ws", &[]));
    assert_eq!(
        lookup_text.matches(".query()").count(),
        lookup_text
            .matches(".index_name(CONNECTIONS_BY_USER)")
            .count()
    );
    assert!(session_text.iter().all(|(_, t)| !t.contains(".query()")));

    let connections = |actions: &BTreeSet<String>, grants: &mut Grants| {
        for action in actions {
            let resource = if action == "dynamodb:Query" {
                "ConnectionsTable/index/userId-index"
            } else {
                "ConnectionsTable"
            };
            grant(grants, resource, [action.clone()]);
        }
    };
    let mut http = Grants::new();
    grant(&mut http, "MessageTable", store.iter().cloned());
    grant(&mut http, "UserInfoTable", store.iter().cloned());
    connections(&lookup, &mut http);
    grant(&mut http, "WebSocketApi", posting.iter().cloned());
    let mut ws = http.clone();
    connections(&session, &mut ws);
    BTreeMap::from([("HttpFunction", http), ("WsFunction", ws)])
}

/// `!GetAtt X.Arn` → `X`; `!Sub "${X.Arn}/index/i"` → `X/index/i`; an execute-api ARN of
/// `${WebSocketApi}` → `WebSocketApi`.
fn resource_name(value: &Value) -> String {
    let Value::Tagged(tagged) = value else {
        panic!("resources must be !GetAtt or !Sub of this stack's resources: {value:?}");
    };
    let text = tagged.value.as_str().expect("a string");
    match tagged.tag.to_string().as_str() {
        "!GetAtt" => text.strip_suffix(".Arn").expect(".Arn").to_owned(),
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

fn as_list(value: &Value) -> Vec<Value> {
    match value {
        Value::Sequence(items) => items.clone(),
        single => vec![single.clone()],
    }
}

/// What the template grants each function's role.
fn granted() -> BTreeMap<String, Grants> {
    let text = std::fs::read_to_string(workspace().join("template.yaml")).unwrap();
    let template: Value = serde_yaml::from_str(&text).unwrap();
    let resources = template["Resources"].as_mapping().unwrap();
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
                    grant(&mut grants, &resource_name(&resource), actions.clone());
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

#[test]
fn template_grants_exactly_what_the_code_calls() {
    let derived: BTreeMap<String, Grants> = derived()
        .into_iter()
        .map(|(name, grants)| (name.to_owned(), grants))
        .collect();
    let granted = granted();
    assert_eq!(
        granted.keys().collect::<Vec<_>>(),
        derived.keys().collect::<Vec<_>>(),
        "the functions of template.yaml"
    );
    for (function, expected) in &derived {
        assert_eq!(
            &granted[function], expected,
            "{function}: template.yaml (left) must grant what the code calls (right)"
        );
    }
}
