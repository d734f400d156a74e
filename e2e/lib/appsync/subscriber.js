// A client of AppSync's real-time (WebSocket) protocol, written from AppSync's
// documentation rather than from the simulator, so the subscriptions are checked as a real
// AppSync client would make them. It keeps every message it gets, for the test to inspect.
import WebSocket from 'ws';

// How long an acknowledgement may take.
const TIMEOUT = 10_000;

/** One WebSocket, as AppSync's documentation describes the protocol: the authorization
 * header base64-encoded in the query string, subprotocol `graphql-ws`, `connection_init`,
 * `start` with the query as JSON text and the authorization again, `start_ack`, `data`,
 * `ka`, `complete`, `error`. */
export class RealtimeSubscriber {
  static async connect(realtimeUrl, graphqlHost, jwt) {
    const authorization = { host: graphqlHost, Authorization: jwt };
    const header = encodeURIComponent(Buffer.from(JSON.stringify(authorization)).toString('base64'));
    const socket = new WebSocket(`${realtimeUrl}?header=${header}&payload=e30=`, 'graphql-ws');
    const subscriber = new RealtimeSubscriber(socket, authorization);
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    socket.send(JSON.stringify({ type: 'connection_init' }));
    await subscriber.waitFor('connection_ack', (m) => m.type === 'connection_ack');
    return subscriber;
  }

  constructor(socket, authorization) {
    Object.assign(this, { socket, authorization, messages: [], closed: null, nextId: 1 });
    socket.on('message', (data) => this.messages.push(JSON.parse(data)));
    this.closedAt = new Promise((resolve) => socket.once('close', (code) => resolve(code)));
  }

  async waitFor(what, predicate, timeout = TIMEOUT) {
    const deadline = Date.now() + timeout;
    for (;;) {
      const found = this.messages.find(predicate);
      if (found) return found;
      if (this.socket.readyState === WebSocket.CLOSED || Date.now() > deadline) throw new Error(`no ${what}; got ${JSON.stringify(this.messages)}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** Sends `start`; resolves with the subscription once AppSync acknowledged it (or with the
   * error it answered instead). */
  async subscribe(query, variables = {}) {
    const id = `sub-${this.nextId++}`;
    this.socket.send(JSON.stringify({
      id,
      type: 'start',
      payload: { data: JSON.stringify({ query, variables }), extensions: { authorization: this.authorization } },
    }));
    const answer = await this.waitFor(`start_ack of ${id}`, (m) => m.id === id && (m.type === 'start_ack' || m.type === 'error'));
    return {
      id,
      answer,
      data: () => this.messages.filter((m) => m.id === id && m.type === 'data').map((m) => m.payload),
      completed: () => this.messages.some((m) => m.id === id && m.type === 'complete'),
    };
  }

  close() {
    this.socket.terminate();
  }
}
