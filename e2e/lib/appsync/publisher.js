// classchat's own AppSync publisher (crates/lambda/src/appsync/publisher.rs, what the
// deployment's hub runs), driven through its `appsync-publish` example, and a recording hop
// between it and the simulator. The publisher is best effort, as in the deployment: it only
// logs a refusal, and the example sets up no logging. So the hop records each call, which of
// appsync/README.md's documents it sent, whether its SigV4 signature verifies, and the API's
// answer, for the test to check.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { ROOT } from '../harness.js';
import { IAM, signatureProblem } from './sigv4.js';
import { documented } from './sources.js';

// How long the publisher may take to answer one command.
const TIMEOUT = 10_000;

/** The operations classchat's backend sends, by the name of their appsync/README.md block. */
export const BACKEND_OPERATIONS = ['publishMessage', 'publishMessageEdited', 'publishMessageRemoved', 'publishInboxEvent', 'endUserSessions', 'endLink'];
const withoutComment = (document) => document.replace(/^#.*\n/, '').trim();

/** An HTTP hop between classchat's publisher and the simulator that records each call and
 * the API's answer (the publisher, best effort as in the deployment, only logs a refusal,
 * and the example sets up no logging), and checks its signature. */
export class RecordingEndpoint {
  static async start(graphqlUrl) {
    const endpoint = new RecordingEndpoint(new URL(graphqlUrl));
    await new Promise((resolve) => endpoint.server.listen(0, '127.0.0.1', resolve));
    endpoint.url = `http://127.0.0.1:${endpoint.server.address().port}${endpoint.upstream.pathname}`;
    return endpoint;
  }

  constructor(upstream) {
    Object.assign(this, { upstream, calls: [] });
    this.server = http.createServer((request, response) => {
      const chunks = [];
      request.on('data', (chunk) => chunks.push(chunk));
      request.on('end', () => {
        const payload = Buffer.concat(chunks).toString();
        const forwarded = http.request(upstream, { method: request.method, headers: request.headers }, (answer) => {
          const parts = [];
          answer.on('data', (chunk) => parts.push(chunk));
          answer.on('end', () => {
            const text = Buffer.concat(parts).toString();
            // Recorded before the publisher has its answer, so before its line's answer.
            this.calls.push(this.record(request, payload, answer.statusCode, text));
            response.writeHead(answer.statusCode, { 'content-type': answer.headers['content-type'] ?? 'application/json' });
            response.end(text);
          });
        });
        forwarded.on('error', (error) => {
          response.writeHead(502);
          response.end(String(error));
        });
        forwarded.end(payload);
      });
    });
  }

  record(request, payload, status, text) {
    const parsed = (json) => {
      try {
        return JSON.parse(json);
      } catch {
        return json;
      }
    };
    const body = parsed(payload);
    const operation = BACKEND_OPERATIONS.find((name) => withoutComment(documented(name)) === withoutComment(String(body?.query)));
    return {
      path: request.url,
      operation: operation ?? `not a documented operation: ${body?.query}`,
      variables: body?.variables,
      signatureProblem: signatureProblem(new URL(request.url, 'http://x').pathname, request.headers, payload),
      status,
      answer: parsed(text),
    };
  }

  async stop() {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

const PUBLISHER = path.join(ROOT, 'target/debug/examples/appsync-publish');
const publisherProcesses = new Set();
process.on('exit', () => publisherProcesses.forEach((child) => child.kill('SIGKILL')));

/** classchat's publisher (crates/lambda/src/appsync/publisher.rs, as the deployment's hub
 * runs it) through its `appsync-publish` example: one JSON command per stdin line, one
 * answer per stdout line, `{"ok":true}` or `{"error":"…"}`. */
export class ClasschatPublisher {
  static start(graphqlUrl) {
    assert.ok(existsSync(PUBLISHER), `${path.relative(ROOT, PUBLISHER)} is missing: build it with \`cargo build --workspace --all-targets --locked\` (scripts/e2e does) and run again`);
    const child = spawn(PUBLISHER, [graphqlUrl, IAM.region], {
      env: { ...process.env, AWS_ACCESS_KEY_ID: IAM.accessKeyId, AWS_SECRET_ACCESS_KEY: IAM.secretAccessKey, AWS_SESSION_TOKEN: IAM.sessionToken },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    return new ClasschatPublisher(child);
  }

  constructor(child) {
    Object.assign(this, { child, waiting: [], ended: null });
    publisherProcesses.add(child);
    const end = (why) => {
      this.ended ??= why;
      publisherProcesses.delete(child);
      this.waiting.splice(0).forEach(({ reject }) => reject(new Error(`appsync-publish ${why}`)));
    };
    this.exited = new Promise((resolve) => child.once('close', (code, signal) => resolve(end(`exited (${code ?? signal})`))));
    child.once('error', (error) => end(`failed: ${error.message}`));
    child.stdin.on('error', () => {}); // the process is gone: `close` says so
    createInterface({ input: child.stdout }).on('line', (line) => this.waiting.shift()?.resolve(line));
  }

  /** Writes one command; its answer. An answer that does not come kills the process, so no
   * later answer is taken for another command's. */
  command(command, timeout = TIMEOUT) {
    return new Promise((resolve, reject) => {
      if (this.ended) return reject(new Error(`appsync-publish ${this.ended}`));
      const timer = setTimeout(() => {
        reject(new Error(`appsync-publish did not answer ${JSON.stringify(command)}`));
        this.child.kill('SIGKILL');
      }, timeout);
      this.waiting.push({
        resolve: (line) => { clearTimeout(timer); resolve(JSON.parse(line)); },
        reject: (error) => { clearTimeout(timer); reject(error); },
      });
      this.child.stdin.write(`${JSON.stringify(command)}\n`);
    });
  }

  /** Closes its input (it exits at the end of it), killing it if it has not exited soon. */
  async stop() {
    this.child.stdin.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 2000);
    await this.exited;
    clearTimeout(timer);
  }
}
