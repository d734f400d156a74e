//! Creating and checking the three tables.
//!
//! `create` is what `classchat tables create` runs: idempotent (an existing table is left
//! alone), on-demand billing so there is no capacity to plan, and it waits until every
//! table is ACTIVE. `check` is what `serve` runs at start: it names every missing table
//! and every key schema that is not the one classchat writes, instead of failing later on
//! the first request.

use crate::config::TableNames;
use crate::error::{SetupError, build_failed, classify};
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

/// The key schema of one table: name, partition key, optional sort key.
struct Schema<'a> {
    name: &'a str,
    partition: &'static str,
    sort: Option<&'static str>,
}

fn schemas(tables: &TableNames) -> [Schema<'_>; 3] {
    [
        Schema {
            name: &tables.message,
            partition: CONVERSATION_ID,
            sort: Some(TIMESTAMP),
        },
        Schema {
            name: &tables.user_info,
            partition: USER_ID,
            sort: Some(SK),
        },
        Schema {
            name: &tables.connections,
            partition: CONNECTION_ID,
            sort: None,
        },
    ]
}

/// Creates whichever tables do not exist and waits until all are ACTIVE.
pub(crate) async fn create(
    client: &Client,
    tables: &TableNames,
) -> Result<Vec<TableOutcome>, SetupError> {
    let mut outcomes = Vec::new();
    for schema in schemas(tables) {
        match describe(client, schema.name).await? {
            Some(description) => {
                verify(&schema, &description)?;
                outcomes.push(TableOutcome::Existed(schema.name.to_owned()));
            }
            None => {
                create_one(client, &schema).await?;
                outcomes.push(TableOutcome::Created(schema.name.to_owned()));
            }
        }
    }
    for schema in schemas(tables) {
        wait_active(client, schema.name).await?;
    }
    enable_ttl(client, &tables.connections).await?;
    enable_ttl(client, &tables.user_info).await?;
    Ok(outcomes)
}

/// Succeeds when every table exists with the right keys; otherwise names what is wrong.
pub(crate) async fn check(client: &Client, tables: &TableNames) -> Result<(), SetupError> {
    let mut missing = Vec::new();
    for schema in schemas(tables) {
        match describe(client, schema.name).await? {
            Some(description) => verify(&schema, &description)?,
            None => missing.push(schema.name.to_owned()),
        }
    }
    if missing.is_empty() {
        Ok(())
    } else {
        Err(SetupError::MissingTables(missing))
    }
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

fn verify(schema: &Schema<'_>, description: &TableDescription) -> Result<(), SetupError> {
    let key_of = |kind: KeyType| {
        description
            .key_schema
            .iter()
            .flatten()
            .find(|element| element.key_type == kind)
            .map(|element| element.attribute_name.as_str())
    };
    let found = (key_of(KeyType::Hash), key_of(KeyType::Range));
    if found == (Some(schema.partition), schema.sort) {
        return Ok(());
    }
    Err(SetupError::WrongSchema {
        table: schema.name.to_owned(),
        detail: format!(
            "expected partition key {:?} and sort key {:?}, found {:?} and {:?}",
            schema.partition, schema.sort, found.0, found.1
        ),
    })
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
    if schema.partition == CONNECTION_ID {
        let by_user = GlobalSecondaryIndex::builder()
            .index_name(CONNECTIONS_BY_USER)
            .key_schema(key(USER_ID, KeyType::Hash)?)
            .projection(
                Projection::builder()
                    .projection_type(ProjectionType::All)
                    .build(),
            )
            .build()
            .map_err(build_failed)?;
        request = request
            .attribute_definitions(string_attribute(USER_ID)?)
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
