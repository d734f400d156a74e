//! What `template.yaml` must keep, beyond IAM (`iam.rs`): both APIs throttled and both
//! functions capped, by parameters; every table kept when the stack is deleted or a change
//! would replace it, and recoverable to a point in time; and no secret in any function's
//! environment — only the ARN of the Secrets Manager secret the functions read at start.

use crate::iam::{environment_value, template};
use serde_yaml::Value;

/// The resources of `template` of type `kind`, by name.
fn resources_of<'a>(template: &'a Value, kind: &str) -> Vec<(&'a str, &'a Value)> {
    template["Resources"]
        .as_mapping()
        .expect("Resources")
        .iter()
        .filter(|(_, resource)| resource["Type"].as_str() == Some(kind))
        .map(|(name, resource)| (name.as_str().expect("a name"), resource))
        .collect()
}

/// `value` is `!Ref <name>`.
fn is_ref_to(value: &Value, name: &str) -> bool {
    matches!(value, Value::Tagged(tagged)
        if tagged.tag == "!Ref" && tagged.value.as_str() == Some(name))
}

/// The parameter `value` refers to (`!Ref P`), which must be a Number of at least
/// `minimum`, with a default no lower.
fn number_parameter<'a>(template: &'a Value, value: &'a Value, minimum: i64) -> &'a str {
    let Value::Tagged(tagged) = value else {
        panic!("a parameter is expected, not {value:?}");
    };
    assert_eq!(tagged.tag, "!Ref", "{value:?}");
    let name = tagged.value.as_str().expect("a parameter name");
    let parameter = &template["Parameters"][name];
    assert_eq!(parameter["Type"].as_str(), Some("Number"), "{name}");
    let floor = parameter["MinValue"].as_i64().expect("a MinValue");
    assert!(floor >= minimum, "{name}: MinValue {floor} < {minimum}");
    let default = parameter["Default"].as_i64().expect("a Default");
    assert!(
        default >= floor,
        "{name}: Default {default} < MinValue {floor}"
    );
    assert!(
        parameter["Description"]
            .as_str()
            .is_some_and(|d| !d.is_empty()),
        "{name} says what it is"
    );
    name
}

/// Throttling settings: both limits, each a parameter of at least 1.
fn assert_throttled(template: &Value, what: &str, settings: &Value) {
    assert!(
        settings.is_mapping(),
        "{what} has no DefaultRouteSettings: no throttling"
    );
    let rate = number_parameter(template, &settings["ThrottlingRateLimit"], 1);
    let burst = number_parameter(template, &settings["ThrottlingBurstLimit"], 1);
    assert_ne!(rate, burst, "{what}: rate and burst are set separately");
}

#[test]
fn both_apis_are_throttled_by_parameters() {
    let template = template();
    let http_apis = resources_of(&template, "AWS::Serverless::HttpApi");
    let stages = resources_of(&template, "AWS::ApiGatewayV2::Stage");
    assert_eq!(
        (http_apis.len(), stages.len()),
        (1, 1),
        "one HTTP API, one WebSocket stage"
    );
    for (name, api) in http_apis {
        assert_throttled(&template, name, &api["Properties"]["DefaultRouteSettings"]);
    }
    for (name, stage) in stages {
        assert_throttled(
            &template,
            name,
            &stage["Properties"]["DefaultRouteSettings"],
        );
    }
    // AppSync has no throttling setting: a WAF rate rule, from a parameter, on the API.
    let graphql = resources_of(&template, "AWS::AppSync::GraphQLApi");
    assert_eq!(graphql.len(), 1, "one GraphQL API");
    let acls = resources_of(&template, "AWS::WAFv2::WebACL");
    assert_eq!(acls.len(), 1, "the GraphQL API's web ACL");
    let rules = acls[0].1["Properties"]["Rules"]
        .as_sequence()
        .expect("rules");
    assert!(
        rules.iter().any(|rule| {
            let limit = &rule["Statement"]["RateBasedStatement"]["Limit"];
            !limit.is_null() && {
                number_parameter(&template, limit, 10);
                rule["Action"]["Block"].is_mapping()
            }
        }),
        "the web ACL blocks over a rate parameter"
    );
    let associations = resources_of(&template, "AWS::WAFv2::WebACLAssociation");
    assert_eq!(associations.len(), 1, "the web ACL is on the GraphQL API");
    assert!(
        resources_of(&template, "AWS::Serverless::Api").is_empty()
            && resources_of(&template, "AWS::ApiGateway::Stage").is_empty()
            && resources_of(&template, "AWS::Serverless::GraphQLApi").is_empty(),
        "any other API must be throttled too: extend this test"
    );
}

#[test]
fn every_function_has_reserved_concurrency() {
    let template = template();
    let functions = resources_of(&template, "AWS::Serverless::Function");
    assert_eq!(
        functions.len(),
        4,
        "REST, WebSocket, AppSync and its authorizer"
    );
    for (name, function) in functions {
        let own = &function["Properties"]["ReservedConcurrentExecutions"];
        let global = &template["Globals"]["Function"]["ReservedConcurrentExecutions"];
        let reserved = if own.is_null() { global } else { own };
        // 0 would disable the function: the parameter's floor is 1.
        let parameter = number_parameter(&template, reserved, 1);
        assert_eq!(parameter, "ReservedConcurrency", "{name}");
    }
}

#[test]
fn every_table_is_retained_and_recoverable() {
    let template = template();
    let tables = resources_of(&template, "AWS::DynamoDB::Table");
    assert_eq!(tables.len(), 3, "Message, UserInfo, Connections");
    for (name, table) in tables {
        assert_eq!(table["DeletionPolicy"].as_str(), Some("Retain"), "{name}");
        assert_eq!(
            table["UpdateReplacePolicy"].as_str(),
            Some("Retain"),
            "{name}"
        );
        assert_eq!(
            table["Properties"]["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"]
                .as_bool(),
            Some(true),
            "{name}"
        );
    }
}

/// Every `!Ref` target inside `value`.
fn references(value: &Value, found: &mut Vec<String>) {
    match value {
        Value::Tagged(tagged) if tagged.tag == "!Ref" => {
            found.extend(tagged.value.as_str().map(str::to_owned));
        }
        Value::Tagged(tagged) => references(&tagged.value, found),
        Value::Sequence(items) => items.iter().for_each(|item| references(item, found)),
        Value::Mapping(map) => map.values().for_each(|item| references(item, found)),
        _ => {}
    }
}

#[test]
fn no_function_environment_holds_a_secret() {
    let template = template();
    let no_echo: Vec<&str> = template["Parameters"]
        .as_mapping()
        .expect("Parameters")
        .iter()
        .filter(|(_, parameter)| parameter["NoEcho"].as_bool() == Some(true))
        .filter_map(|(name, _)| name.as_str())
        .collect();
    let secrets: Vec<&str> = resources_of(&template, "AWS::SecretsManager::Secret")
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    assert_eq!(secrets, ["JwtSecret"]);
    let environments = std::iter::once(&template["Globals"]["Function"]).chain(
        resources_of(&template, "AWS::Serverless::Function")
            .into_iter()
            .map(|(_, function)| &function["Properties"]),
    );
    for environment in environments {
        let Some(variables) = environment["Environment"]["Variables"].as_mapping() else {
            continue;
        };
        for (name, value) in variables {
            let name = name.as_str().expect("a variable name");
            let sensitive = ["SECRET", "PASSWORD", "TOKEN", "KEY"]
                .iter()
                .any(|word| name.contains(word));
            // A secret's ARN, or a lifetime (CLASSCHAT_TOKEN_TTL), names a secret without
            // holding one.
            assert!(
                !sensitive || name.ends_with("_ARN") || name.ends_with("_TTL"),
                "{name}: a secret goes in Secrets Manager, with only its ARN here"
            );
            assert!(
                !matches!(value, Value::String(text) if text.len() >= 32 && !text.contains(' ')),
                "{name} looks like a literal secret"
            );
            let mut referenced = Vec::new();
            references(value, &mut referenced);
            for target in referenced {
                assert!(
                    !no_echo.contains(&target.as_str()),
                    "{name} copies the NoEcho parameter {target} into the environment"
                );
            }
        }
    }
    // Each function gets the secret's ARN: the generated secret's, or the one given.
    for (function, _) in resources_of(&template, "AWS::Serverless::Function") {
        let arn = environment_value(&template, function, "CLASSCHAT_JWT_SECRET_ARN")
            .unwrap_or_else(|| panic!("{function} has no CLASSCHAT_JWT_SECRET_ARN"));
        let Value::Tagged(choice) = &arn else {
            panic!("{function}: CLASSCHAT_JWT_SECRET_ARN is {arn:?}");
        };
        assert_eq!(choice.tag, "!If");
        let branches = choice.value.as_sequence().expect("!If [condition, a, b]");
        assert!(is_ref_to(&branches[1], "JwtSecret"), "{branches:?}");
        assert!(is_ref_to(&branches[2], "JwtSecretArn"), "{branches:?}");
    }
}

#[test]
fn the_generated_secret_has_at_least_32_bytes() {
    let template = template();
    let generated = &template["Resources"]["JwtSecret"]["Properties"];
    assert!(
        generated["SecretString"].is_null(),
        "never a literal secret in the template"
    );
    let length = generated["GenerateSecretString"]["PasswordLength"]
        .as_i64()
        .expect("a generated value");
    assert!(length >= 32, "{length} characters");
    assert!(
        generated["GenerateSecretString"]["SecretStringTemplate"].is_null(),
        "the whole value is the secret, not a JSON document around it"
    );
    let given = &template["Parameters"]["JwtSecretArn"];
    assert_eq!(given["Default"].as_str(), Some(""), "optional");
    assert!(given["NoEcho"].is_null(), "an ARN is no secret");
}
