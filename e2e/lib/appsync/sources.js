// classchat's AppSync twin as its own files state it, read once for the offline AppSync
// test and the simulator it runs: appsync/schema.graphql (with AppSync's built-ins, which
// AppSync schemas use undeclared), template.yaml's wiring of the API, the GraphQL documents
// appsync/README.md publishes, and the contract's way of writing instants. Everything is
// read from the project, so the test checks what is deployed rather than a copy of it.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { buildSchema } from 'graphql';
import YAML from 'yaml';
import { ROOT } from '../harness.js';

const APPSYNC = path.join(ROOT, 'appsync');
export const RESOLVERS = path.join(APPSYNC, 'resolvers');
export const SCHEMA_TEXT = readFileSync(path.join(APPSYNC, 'schema.graphql'), 'utf8');
const README = readFileSync(path.join(APPSYNC, 'README.md'), 'utf8');

// --- AppSync's built-in scalars and directives, which its schemas use undeclared ----------

const APPSYNC_PRELUDE = `
scalar AWSDate
scalar AWSTime
scalar AWSDateTime
scalar AWSTimestamp
scalar AWSEmail
scalar AWSJSON
scalar AWSURL
scalar AWSPhone
scalar AWSIPAddress
directive @aws_subscribe(mutations: [String!]) on FIELD_DEFINITION
directive @aws_publish(subscriptions: [String!]) on FIELD_DEFINITION
directive @aws_auth(cognito_groups: [String!]!) on FIELD_DEFINITION
directive @aws_cognito_user_pools(cognito_groups: [String!]) on FIELD_DEFINITION | OBJECT
directive @aws_api_key on FIELD_DEFINITION | OBJECT
directive @aws_iam on FIELD_DEFINITION | OBJECT
directive @aws_oidc on FIELD_DEFINITION | OBJECT
directive @aws_lambda on FIELD_DEFINITION | OBJECT
`;

export const appsyncSchema = () => buildSchema(`${APPSYNC_PRELUDE}\n${SCHEMA_TEXT}`);

// --- template.yaml, parsed with CloudFormation's short tags ------------------------------

const CFN_TAGS = ['Ref', 'GetAtt', 'Sub', 'If', 'Equals', 'Join', 'Select', 'Split', 'Not', 'And', 'Or', 'FindInMap', 'Base64', 'ImportValue', 'GetAZs']
  .flatMap((name) => [undefined, 'seq', 'map'].map((collection) => ({
    tag: `!${name}`,
    ...(collection ? { collection } : {}),
    resolve: (value) => ({ [name === 'Ref' ? 'Ref' : `Fn::${name}`]: value?.toJSON ? value.toJSON() : value }),
  })));
const TEMPLATE = YAML.parse(readFileSync(path.join(ROOT, 'template.yaml'), 'utf8'), { customTags: CFN_TAGS });
export const resourcesOf = (type) => Object.entries(TEMPLATE.Resources).filter(([, resource]) => resource.Type === type);

/** template.yaml's resolvers: field → { file, dataSource: 'AWS_LAMBDA' | 'NONE' }. */
export function templateResolvers() {
  const sources = Object.fromEntries(resourcesOf('AWS::AppSync::DataSource').map(([name, r]) => [name, r.Properties.Type]));
  return Object.fromEntries(resourcesOf('AWS::AppSync::Resolver').map(([name, { Properties: p }]) => {
    const [source, attribute] = p.DataSourceName['Fn::GetAtt'].split('.');
    assert.equal(attribute, 'Name', name);
    assert.deepEqual(p.Runtime, { Name: 'APPSYNC_JS', RuntimeVersion: '1.0.0' }, name);
    assert.equal(p.Kind, 'UNIT', name);
    return [`${p.TypeName}.${p.FieldName}`, { file: path.join(ROOT, p.CodeS3Location), dataSource: sources[source] }];
  }));
}

// --- The operations appsync/README.md documents --------------------------------------

/** The GraphQL document of README's ```graphql block that starts with `# <name>`. */
export function documented(name) {
  const blocks = [...README.matchAll(/```graphql\n([\s\S]*?)```/g)].map((m) => m[1]);
  const block = blocks.find((text) => text.startsWith(`# ${name}\n`));
  assert.ok(block, `appsync/README.md documents ${name}`);
  return block;
}

/** Unix seconds as the contract writes instants: `YYYY-MM-DDThh:mm:ssZ`. */
export const isoSeconds = (unixSeconds) => new Date(unixSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
