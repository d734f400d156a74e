// IAM on the AppSync API, offline: the credentials the test hands classchat's publisher,
// SigV4 (service `appsync`) to sign the one call nothing of classchat's makes (the
// EventBridge schedule's `endExpiredSessions`), and the check of the signatures classchat's
// publisher sends, which the simulator never verifies.
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';

/** The credentials and region classchat's publisher finds in its environment, as the
 * deployment's role would give them. */
export const IAM = { accessKeyId: 'AKIDCLASSCHATTEST', secretAccessKey: 'classchat-test-secret', sessionToken: 'classchat-test-session', region: 'eu-west-1' };

const sha256 = (text) => createHash('sha256').update(text).digest('hex');
const hmac = (key, text) => createHmac('sha256', key).update(text).digest();

/** The SigV4 signature (service `appsync`, the test's credentials) of a POST to `pathname`
 * with `headers` (lower-case names, all of them signed) and `payload`. */
function signature(pathname, headers, payload) {
  const amzDate = headers['x-amz-date'];
  const scope = `${amzDate.slice(0, 8)}/${IAM.region}/appsync/aws4_request`;
  const names = Object.keys(headers).sort();
  const canonical = ['POST', pathname, '', ...names.map((n) => `${n}:${String(headers[n]).trim()}`), '', names.join(';'), sha256(payload)].join('\n');
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonical)].join('\n');
  const key = ['appsync', 'aws4_request'].reduce(hmac, hmac(hmac(`AWS4${IAM.secretAccessKey}`, amzDate.slice(0, 8)), IAM.region));
  return { scope, signedHeaders: names.join(';'), signature: createHmac('sha256', key).update(toSign).digest('hex') };
}

/** POSTs `body` to the GraphQL URL as the stack's EventBridge rule does with its role (the
 * AppSync target of the `endExpiredSessions` schedule): JSON, signed with SigV4 for the
 * service `appsync`. Nothing of classchat's makes this call. */
export async function callAsEventBridge(url, body) {
  const target = new URL(url);
  const payload = JSON.stringify(body);
  const amzDate = new Date().toISOString().replace(/[-:]|\.\d{3}/g, '');
  const headers = { 'content-type': 'application/json', host: target.host, 'x-amz-date': amzDate, 'x-amz-security-token': IAM.sessionToken };
  const signed = signature(target.pathname, headers, payload);
  const authorization = `AWS4-HMAC-SHA256 Credential=${IAM.accessKeyId}/${signed.scope}, SignedHeaders=${signed.signedHeaders}, Signature=${signed.signature}`;
  const { host: _host, ...sent } = headers;
  const response = await fetch(url, { method: 'POST', headers: { ...sent, authorization }, body: payload });
  assert.equal(response.status, 200, `EventBridge's call: ${response.status}`);
  return response.json();
}

/** What is wrong with the SigV4 signature of a request classchat's publisher made (the
 * simulator checks none), as appsync/README.md describes it; null if nothing. */
export function signatureProblem(pathname, headers, payload) {
  const authorization = /^AWS4-HMAC-SHA256 Credential=([^/,]+)\/([^,]+), SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(headers.authorization ?? '');
  if (!authorization) return `not a SigV4 authorization: ${headers.authorization}`;
  const [, accessKeyId, scope, signedHeaders, sent] = authorization;
  if (accessKeyId !== IAM.accessKeyId) return `signed with ${accessKeyId}, not the environment's credentials`;
  if (headers['x-amz-security-token'] !== IAM.sessionToken) return 'without the session token';
  const names = signedHeaders.split(';');
  for (const name of ['content-type', 'host', 'x-amz-date', 'x-amz-security-token']) {
    if (!names.includes(name)) return `${name} is not signed (SignedHeaders=${signedHeaders})`;
  }
  const expected = signature(pathname, Object.fromEntries(names.map((n) => [n, headers[n]])), payload);
  if (scope !== expected.scope) return `scope ${scope}, not ${expected.scope}`;
  return sent === expected.signature ? null : 'the signature does not verify';
}
