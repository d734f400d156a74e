//! `classchat tables create|check`: set up the DynamoDB tables before the first
//! `classchat serve --store dynamodb`, as an explicit step an operator runs with
//! table-creating permissions (the server itself only needs item-level access).

use crate::cli::{DynamoArgs, TablesCommand};
use anyhow::Context;
use classchat_store_dynamodb::{DynamoConfig, DynamoStore, TableOutcome};

/// The store configuration the DynamoDB flags describe.
pub fn dynamo_config(args: &DynamoArgs) -> DynamoConfig {
    DynamoConfig {
        endpoint: args
            .endpoint
            .clone()
            .filter(|endpoint| !endpoint.is_empty()),
        table_prefix: args.table_prefix.clone(),
        ..DynamoConfig::default()
    }
}

/// Runs a `tables` subcommand.
pub async fn tables(command: TablesCommand) -> anyhow::Result<()> {
    match command {
        TablesCommand::Create { dynamodb } => {
            let store = DynamoStore::connect(&dynamo_config(&dynamodb)).await?;
            let outcomes = store
                .create_tables()
                .await
                .context("cannot create the DynamoDB tables")?;
            for outcome in outcomes {
                match outcome {
                    TableOutcome::Created(name) => println!("created {name}"),
                    TableOutcome::Existed(name) => println!("exists  {name}"),
                }
            }
            println!("tables are ACTIVE");
        }
        TablesCommand::Check { dynamodb } => {
            let store = DynamoStore::connect(&dynamo_config(&dynamodb)).await?;
            store.check_tables().await?;
            println!("ok: {}", store.tables().all().join(", "));
        }
    }
    Ok(())
}
