// Stand-ins of classchat's two AppSync Lambda functions, implementing appsync/README.md's
// contract: the authorizer (classchat-appsync-authorizer) and the data source
// (classchat-appsync, ChatService). The simulator cannot invoke Rust Lambda functions, so
// these answer in their place; crates/lambda/tests/handlers/appsync.rs tests the real ones
// against the same contract. Tokens are signed as classchat's server signs them, so the
// authorizer checks what a client would really hold.
import { createHmac } from 'node:crypto';
import { JWT_SECRET } from '../harness.js';
import { isoSeconds } from './sources.js';

/** A token of `sub`, as classchat's server signs them, expiring in `seconds` (or at `exp`). */
export function token(sub, role, { seconds = 3600, exp } = {}) {
  const encode = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const body = `${encode({ alg: 'HS256', typ: 'JWT' })}.${encode({ sub, role, iat: now, exp: exp ?? now + seconds, ver: 0 })}`;
  return `${body}.${createHmac('sha256', JWT_SECRET).update(body).digest('base64url')}`;
}

const SCHOOL = {
  alice: { role: 'STUDENT', name: 'Alice Martin' },
  bob: { role: 'STUDENT', name: 'Bob Stone' },
  'ms.rivera': { role: 'TEACHER', name: 'Ms Rivera (Maths)' },
};
const LINKS = [['ms.rivera', 'alice'], ['ms.rivera', 'bob']];
// Users whose account is disabled now: the authorizer refuses their tokens.
export const DISABLED = new Set();

/** classchat-appsync-authorizer's answer to AppSync's request (the Rust function does this
 * in the deployment): the token's signature and expiry, then the user as stored now. */
export function authorizer({ authorizationToken }) {
  const refused = { isAuthorized: false, ttlOverride: 0 };
  const jwt = String(authorizationToken ?? '').replace(/^bearer +/i, '');
  const [header, body, signature] = jwt.split('.');
  if (!signature || createHmac('sha256', JWT_SECRET).update(`${header}.${body}`).digest('base64url') !== signature) return refused;
  const claims = JSON.parse(Buffer.from(body, 'base64url').toString());
  if (!(Date.now() / 1000 < claims.exp) || !SCHOOL[claims.sub] || DISABLED.has(claims.sub)) return refused;
  return {
    isAuthorized: true,
    ttlOverride: 0,
    resolverContext: {
      userId: claims.sub,
      role: SCHOOL[claims.sub].role.toLowerCase(),
      tokenVersion: String(claims.ver ?? 0),
      expiresAt: isoSeconds(claims.exp),
    },
  };
}

/** classchat-appsync's answer to the Lambda data source's event (the Rust function, with
 * ChatService, does this in the deployment): only what the tests below ask of it. */
export function chatService({ field, arguments: args, identity }) {
  const caller = identity.resolverContext.userId;
  switch (field) {
    case 'Query.me':
      return { data: { userId: caller, displayName: SCHOOL[caller].name, role: SCHOOL[caller].role } };
    case 'Subscription.messageAdded':
    case 'Subscription.messageEdited':
    case 'Subscription.messageRemoved': {
      const pair = args.conversationId.split('+');
      const student = pair.find((id) => SCHOOL[id]?.role === 'STUDENT');
      const teacher = pair.find((id) => SCHOOL[id]?.role === 'TEACHER');
      const linked = LINKS.some(([t, s]) => t === teacher && s === student);
      if (!pair.includes(caller) || !linked) {
        return { error: { code: 'forbidden', message: 'only the participants follow a conversation live' } };
      }
      return { data: { conversationId: `${student}+${teacher}` } };
    }
    default:
      return { error: { code: 'internal', message: `${field} is not part of this stand-in` } };
  }
}
