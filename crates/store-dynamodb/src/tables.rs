//! Creating and checking the three tables.
//!
//! `create` is what `classchat tables create` runs: idempotent (an existing table is left
//! alone), on-demand billing so there is no capacity to plan, and it waits until every
//! table is ACTIVE. `check` is what `serve` runs at start: in one report it names every
//! missing table and every existing one whose keys, key types or (Connections) `userId`
//! index are not what classchat writes, instead of failing later on the first request.

use crate::config::TableNames;
use crate::error::{SetupError, TableProblems, WrongTable, build_failed, classify};
use crate::item::{CONVERSATION_ID, SK, TIMESTAMP, USER_ID};
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::create_table::CreateTableError;
use aws_sdk_dynamodb::operation::describe_table::DescribeTableError;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, TableDescription, TableStatus, TimeToLiveSpecification,
};
use std::time::{Duration, Instant};

/// Attributes of the Connections table (used by the serverless hub).
pub const CONNECTION_ID: &str = "connectionId";
/// The GSI of Connections on `userId`: a user's live connections, for fan-out.
pub const CONNECTIONS_BY_USER: &str = "userId-index";
/// The TTL attribute of Connections (stale connections expire by themselves) and of
/// UserInfo (clientMessageId dedup items expire once no client would still retry).
pub const TTL_ATTRIBUTE: &str = "ttl";

/// How long `create` waits for tables to become ACTIVE.
const ACTIVE_TIMEOUT: Duration = Duration::from_secs(120);

/// What `create` did to one table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TableOutcome {
    /// It was created now.
    Created(String),
    /// It existed already, with the right keys.
    Existed(String),
}

/// The schema of one table: name, keys (all strings) and, for Connections, the GSI.
struct Schema<'a> {
    name: &'a str,
    partition: &'static str,
    sort: Option<&'static str>,
    /// A global secondary index: its name and partition key (no sort key).
    index: Option<(&'static str, &'static str)>,
}

fn schemas(tables: &TableNames) -> [Schema<'_>; 3] {
    [
        Schema {
            name: &tables.message,
            partition: CONVERSATION_ID,
            sort: Some(TIMESTAMP),
            index: None,
        },
        Schema {
            name: &tables.user_info,
            partition: USER_ID,
            sort: Some(SK),
            index: None,
        },
        Schema {
            name: &tables.connections,
            partition: CONNECTION_ID,
            sort: None,
            index: Some((CONNECTIONS_BY_USER, USER_ID)),
        },
    ]
}

/// Creates whichever tables do not exist and waits until all are ACTIVE. Changes nothing
/// when an existing table has the wrong schema: it reports every such table instead.
pub(crate) async fn create(
    client: &Client,
    tables: &TableNames,
) -> Result<Vec<TableOutcome>, SetupError> {
    let (found, problems) = inspect(client, tables).await?;
    if !problems.wrong.is_empty() {
        return Err(SetupError::Tables(TableProblems {
            missing: Vec::new(),
            wrong: problems.wrong,
        }));
    }
    let mut outcomes = Vec::new();
    for (schema, exists) in schemas(tables).iter().zip(found) {
        if exists {
            outcomes.push(TableOutcome::Existed(schema.name.to_owned()));
        } else {
            create_one(client, schema).await?;
            outcomes.push(TableOutcome::Created(schema.name.to_owned()));
        }
    }
    for schema in schemas(tables) {
        wait_active(client, schema.name).await?;
    }
    enable_ttl(client, &tables.connections).await?;
    enable_ttl(client, &tables.user_info).await?;
    Ok(outcomes)
}

/// Succeeds when every table exists with the right schema; otherwise names every missing
/// table and every difference at once.
pub(crate) async fn check(client: &Client, tables: &TableNames) -> Result<(), SetupError> {
    let (_, problems) = inspect(client, tables).await?;
    if problems.is_empty() {
        Ok(())
    } else {
        Err(SetupError::Tables(problems))
    }
}

/// Describes the three tables (concurrently): whether each exists, and what is wrong.
async fn inspect(
    client: &Client,
    tables: &TableNames,
) -> Result<([bool; 3], TableProblems), SetupError> {
    let [message, user_info, connections] = schemas(tables);
    let described = tokio::try_join!(
        describe(client, message.name),
        describe(client, user_info.name),
        describe(client, connections.name),
    )?;
    let described = [described.0, described.1, described.2];
    let mut problems = TableProblems::default();
    let mut found = [false; 3];
    for ((schema, description), exists) in [message, user_info, connections]
        .iter()
        .zip(&described)
        .zip(&mut found)
    {
        let Some(description) = description else {
            problems.missing.push(schema.name.to_owned());
            continue;
        };
        *exists = true;
        let differences = verify(schema, description);
        if !differences.is_empty() {
            problems.wrong.push(WrongTable {
                table: schema.name.to_owned(),
                problems: differences,
            });
        }
    }
    Ok((found, problems))
}

async fn describe(client: &Client, name: &str) -> Result<Option<TableDescription>, SetupError> {
    match client.describe_table().table_name(name).send().await {
        Ok(output) => Ok(output.table),
        Err(SdkError::ServiceError(service))
            if matches!(
                service.err(),
                DescribeTableError::ResourceNotFoundException(_)
            ) =>
        {
            Ok(None)
        }
        Err(error) => Err(classify("DescribeTable", error).into()),
    }
}

/// Every way `description` differs from `schema`: keys, key types, the index.
fn verify(schema: &Schema<'_>, description: &TableDescription) -> Vec<String> {
    let mut problems = Vec::new();
    let found = keys_of(description.key_schema());
    let expected = (Some(schema.partition), schema.sort);
    if found == expected {
        for key in [Some(schema.partition), schema.sort].into_iter().flatten() {
            problems.extend(string_typed(description, key));
        }
    } else {
        problems.push(format!(
            "its keys are {} instead of {}",
            show_keys(found),
            show_keys(expected)
        ));
    }
    if let Some((index, partition)) = schema.index {
        let found = description
            .global_secondary_indexes()
            .iter()
            .find(|candidate| candidate.index_name() == Some(index));
        match found {
            None => problems.push(format!(
                "no global secondary index {index:?} on {partition:?}"
            )),
            Some(found) => {
                let keys = keys_of(found.key_schema());
                if keys == (Some(partition), None) {
                    problems.extend(string_typed(description, partition));
                } else {
                    problems.push(format!(
                        "index {index:?} is keyed on {} instead of {}",
                        show_keys(keys),
                        show_keys((Some(partition), None))
                    ));
                }
            }
        }
    }
    problems
}

/// The (partition, sort) attribute names of a key schema.
fn keys_of(schema: &[KeySchemaElement]) -> (Option<&str>, Option<&str>) {
    let key = |kind: KeyType| {
        schema
            .iter()
            .find(|element| element.key_type == kind)
            .map(|element| element.attribute_name.as_str())
    };
    (key(KeyType::Hash), key(KeyType::Range))
}

fn show_keys((partition, sort): (Option<&str>, Option<&str>)) -> String {
    let partition = partition.map_or("no partition key".to_owned(), |name| {
        format!("partition key {name:?}")
    });
    match sort {
        Some(sort) => format!("{partition} and sort key {sort:?}"),
        None => format!("{partition} and no sort key"),
    }
}

/// A problem when key attribute `name` is not declared as a string (classchat writes S).
fn string_typed(description: &TableDescription, name: &str) -> Option<String> {
    let declared = description
        .attribute_definitions()
        .iter()
        .find(|definition| definition.attribute_name == name)
        .map(|definition| &definition.attribute_type);
    match declared {
        Some(ScalarAttributeType::S) => None,
        Some(other) => Some(format!(
            "key attribute {name:?} has type {} instead of S (string)",
            other.as_str()
        )),
        None => Some(format!("key attribute {name:?} has no declared type")),
    }
}

async fn create_one(client: &Client, schema: &Schema<'_>) -> Result<(), SetupError> {
    let string_attribute = |name: &str| {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(ScalarAttributeType::S)
            .build()
            .map_err(build_failed)
    };
    let key = |name: &str, kind: KeyType| {
        KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(kind)
            .build()
            .map_err(build_failed)
    };
    let mut request = client
        .create_table()
        .table_name(schema.name)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(string_attribute(schema.partition)?)
        .key_schema(key(schema.partition, KeyType::Hash)?);
    if let Some(sort) = schema.sort {
        request = request
            .attribute_definitions(string_attribute(sort)?)
            .key_schema(key(sort, KeyType::Range)?);
    }
    if let Some((index, partition)) = schema.index {
        let by_user = GlobalSecondaryIndex::builder()
            .index_name(index)
            .key_schema(key(partition, KeyType::Hash)?)
            .projection(
                Projection::builder()
                    .projection_type(ProjectionType::All)
                    .build(),
            )
            .build()
            .map_err(build_failed)?;
        request = request
            .attribute_definitions(string_attribute(partition)?)
            .global_secondary_indexes(by_user);
    }
    match request.send().await {
        Ok(_) => {
            tracing::info!(table = schema.name, "created DynamoDB table");
            Ok(())
        }
        // Someone else created it between our check and now: that is what we wanted.
        Err(SdkError::ServiceError(service))
            if matches!(service.err(), CreateTableError::ResourceInUseException(_)) =>
        {
            Ok(())
        }
        Err(error) => Err(classify("CreateTable", error).into()),
    }
}

async fn wait_active(client: &Client, name: &str) -> Result<(), SetupError> {
    let deadline = Instant::now() + ACTIVE_TIMEOUT;
    loop {
        let status = describe(client, name)
            .await?
            .and_then(|description| description.table_status);
        if status == Some(TableStatus::Active) {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(SetupError::NotActive(name.to_owned()));
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Turns on expiry of a table's items by their `ttl` attribute (once); items without it
/// never expire.
async fn enable_ttl(client: &Client, table: &str) -> Result<(), SetupError> {
    let current = client
        .describe_time_to_live()
        .table_name(table)
        .send()
        .await
        .map_err(|error| classify("DescribeTimeToLive", error))?;
    let enabled = current
        .time_to_live_description
        .and_then(|description| description.attribute_name)
        .is_some();
    if enabled {
        return Ok(());
    }
    let specification = TimeToLiveSpecification::builder()
        .attribute_name(TTL_ATTRIBUTE)
        .enabled(true)
        .build()
        .map_err(build_failed)?;
    client
        .update_time_to_live()
        .table_name(table)
        .time_to_live_specification(specification)
        .send()
        .await
        .map_err(|error| classify("UpdateTimeToLive", error))?;
    Ok(())
}
