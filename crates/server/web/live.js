// The live connection: one WebSocket per tab that reconnects by itself. After every
// (re)connect it asks the server to replay what it missed (`sync` since the newest
// timestamp the client knows), so a network drop or a server restart loses nothing; the
// app dedupes replayed messages by messageId. A node of a cluster that lost events closes
// with 1012 and names the time they were missed since ("… since <timestamp>; …"): the
// next sync starts there if that is earlier, because live events that did arrive in the
// meantime can be newer than the ones that were missed.

const PING_EVERY_MS = 25_000; // under the server's 30 s idle ping, and most proxies' 60 s
const PONG_TIMEOUT_MS = 10_000; // a half-open TCP connection never fires 'close' by itself
const BACKOFF_FIRST_MS = 500;
const BACKOFF_MAX_MS = 30_000;

export class LiveConnection {
  /**
   * @param {object} options
   * @param {() => string} options.url        the WebSocket URL, token included
   * @param {() => string|null} options.since newest known timestamp (null: skip sync)
   * @param {(frame: object) => void} options.onFrame
   * @param {(status: string) => void} options.onStatus  'connecting' | 'online' | 'offline'
   * @param {(opened: boolean, code: number) => void} options.onClosed  after each close,
   *   with its code (for expiry and revocation checks)
   * @param {() => void} options.onOpen       after each open and sync request
   */
  constructor(options) {
    this.options = options;
    this.socket = null;
    this.attempt = 0;
    this.stopped = true;
    this.retryTimer = null;
    this.pingTimer = null;
    this.pongTimer = null;
    this.status = 'offline';
    this.missedSince = null; // from a 1012 close: the next sync starts no later than this
    this.onBrowserOnline = () => this.reconnectNow();
    this.onVisible = () => {
      if (document.visibilityState === 'visible') this.reconnectNow();
    };
  }

  start() {
    if (!this.stopped) return;
    this.stopped = false;
    window.addEventListener('online', this.onBrowserOnline);
    document.addEventListener('visibilitychange', this.onVisible);
    this.connect();
  }

  /** Closes for good (sign-out). */
  stop() {
    this.stopped = true;
    window.removeEventListener('online', this.onBrowserOnline);
    document.removeEventListener('visibilitychange', this.onVisible);
    clearTimeout(this.retryTimer);
    this.clearPing();
    if (this.socket) {
      const socket = this.socket;
      this.socket = null;
      socket.close(1000, 'signed out');
    }
    this.setStatus('offline');
  }

  get isOpen() {
    return this.socket?.readyState === WebSocket.OPEN;
  }

  /** Sends a frame if the socket is open; returns false otherwise (callers fall back to REST). */
  send(frame) {
    if (!this.isOpen) return false;
    try {
      this.socket.send(JSON.stringify(frame));
      return true;
    } catch {
      return false;
    }
  }

  /** Skips the backoff wait, e.g. when the browser says the network is back. */
  reconnectNow() {
    if (this.stopped || this.socket) return;
    clearTimeout(this.retryTimer);
    this.attempt = 0;
    this.connect();
  }

  setStatus(status) {
    if (this.status === status) return;
    this.status = status;
    this.options.onStatus?.(status);
  }

  connect() {
    if (this.stopped) return;
    this.setStatus('connecting');
    let socket;
    try {
      socket = new WebSocket(this.options.url());
    } catch {
      this.scheduleRetry();
      return;
    }
    this.socket = socket;
    let opened = false;
    socket.addEventListener('open', () => {
      if (this.socket !== socket) return;
      opened = true;
      this.attempt = 0;
      this.setStatus('online');
      let since = this.options.since();
      // Timestamps share one fixed-width format, so they compare as strings.
      if (since && this.missedSince && this.missedSince < since) since = this.missedSince;
      this.missedSince = null;
      if (since) this.send({ action: 'sync', since });
      this.startPing();
      this.options.onOpen?.();
    });
    socket.addEventListener('message', (event) => {
      if (this.socket !== socket) return;
      this.heardFromServer();
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch {
        return; // the server only sends JSON; ignore anything else rather than crash
      }
      if (frame?.type !== 'pong') this.options.onFrame(frame);
    });
    // 'error' is always followed by 'close', so all the handling lives there.
    socket.addEventListener('close', (event) => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.clearPing();
      if (event.code === 1012) this.noteMissed(event.reason);
      this.options.onClosed?.(opened, event.code);
      if (!this.stopped) this.scheduleRetry();
    });
  }

  /** Remembers the earliest time a 1012 close says events were missed since. */
  noteMissed(reason) {
    const since = /\bsince (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z)/.exec(reason || '')?.[1];
    if (since && (!this.missedSince || since < this.missedSince)) this.missedSince = since;
  }

  /** Exponential backoff with jitter, so a restarted server is not hit by every tab at once. */
  scheduleRetry() {
    this.setStatus('offline');
    const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** this.attempt);
    const delay = ceiling / 2 + Math.random() * (ceiling / 2);
    this.attempt += 1;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  startPing() {
    this.clearPing();
    this.pingTimer = setInterval(() => {
      if (!this.send({ action: 'ping' })) return;
      clearTimeout(this.pongTimer);
      // Any frame counts as proof of life; silence means the connection is dead.
      this.pongTimer = setTimeout(() => this.drop(), PONG_TIMEOUT_MS);
    }, PING_EVERY_MS);
  }

  /** Abandons a silent socket at once: a close handshake over a dead link can take minutes. */
  drop() {
    const socket = this.socket;
    if (!socket) return;
    this.socket = null;
    this.clearPing();
    socket.close(4000, 'no answer to ping');
    this.options.onClosed?.(true);
    if (!this.stopped) this.scheduleRetry();
  }

  heardFromServer() {
    clearTimeout(this.pongTimer);
    this.pongTimer = null;
  }

  clearPing() {
    clearInterval(this.pingTimer);
    clearTimeout(this.pongTimer);
    this.pingTimer = null;
    this.pongTimer = null;
  }
}
