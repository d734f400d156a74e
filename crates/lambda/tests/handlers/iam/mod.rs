//! Least privilege, checked: every AWS call each function's code can make is found in the
//! sources it links, with the resource it targets — a table, an index, the secret, the
//! WebSocket API — and `template.yaml` must grant exactly those actions on exactly those
//! resources: a grant the code never uses fails, and so does a call with no grant.
//!
//! Which sources each function runs:
//! - all: the store (`crates/store-dynamodb/src`, minus `tables.rs`, which only the
//!   operator's `classchat tables create` runs, `testing.rs`, and `metering`, which only
//!   tests and the bench install) and `crates/lambda/src`
//!   (config, secret, deployment; minus `testing/`, the test-support feature's emulator);
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
//! names (`self.logged("<field>", …)`) on this stack's GraphQL API. Anything the scanner
//! cannot place fails the test, rather than letting the template fall behind the code.
//!
//! `scan`: what the code calls; `granted`: what the template grants; here: the two
//! compared, and the tests.

mod granted;
mod scan;

pub(crate) use granted::{environment_value, template};

use granted::{granted, resource_name};
use scan::{calls, sources_of};
use serde_yaml::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Resource → actions granted on it (or called on it).
type Grants = BTreeMap<String, BTreeSet<String>>;

/// The environment variable naming the secret the functions read (`LambdaConfig`).
const SECRET_ARN_VARIABLE: &str = "CLASSCHAT_JWT_SECRET_ARN";

/// The functions of the template and the binary each one runs.
const FUNCTIONS: [(&str, &str); 4] = [
    ("HttpFunction", "http"),
    ("WsFunction", "ws"),
    ("AppSyncFunction", "appsync"),
    ("AppSyncAuthorizerFunction", "appsync-authorizer"),
];

pub(super) fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
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
            [
                "dynamodb:DeleteItem",
                "dynamodb:GetItem",
                "dynamodb:PutItem",
                "dynamodb:Query"
            ],
            "{function}: messages are appended in a transaction, revised by a conditional \
             Put, and deleted only by the school's retention policy"
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
    // One grant too many: UpdateItem on Message, which nothing calls.
    statement(&mut template, "HttpFunctionRole", "Messages")["Action"]
        .as_sequence_mut()
        .unwrap()
        .push(Value::from("dynamodb:UpdateItem"));
    // One too few: the WebSocket function may no longer read its secret.
    statement(&mut template, "WsFunctionRole", "TokenSigningSecret")["Action"] =
        Value::Sequence(Vec::new());

    let found = differences(&derived(&template), &granted(&template));
    assert_eq!(
        found,
        [
            "HttpFunction: dynamodb:UpdateItem on MessageTable is granted, but the code never \
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
