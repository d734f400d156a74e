//! What `template.yaml` grants: each function's role, its inline policies read as
//! resource → actions, and the template's resource references resolved to names.

use super::{Grants, workspace};
use serde_yaml::Value;
use std::collections::{BTreeMap, BTreeSet};

/// `!GetAtt X.Arn` → `X`; `!Sub "${X.Arn}/index/i"` → `X/index/i`; an execute-api ARN of
/// `${WebSocketApi}` → `WebSocketApi`; `!Ref X` → `X`; `!If [c, a, b]` → `c ? a : b`.
/// Anything else (a literal ARN, a wildcard) is refused: grants name this stack's
/// resources only.
pub(super) fn resource_name(value: &Value) -> String {
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
pub(super) fn granted(template: &Value) -> BTreeMap<String, Grants> {
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
