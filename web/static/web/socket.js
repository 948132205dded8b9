// The client side of the real-time protocol v1 (docs/protocol.md).
//
// - authenticates with a one-time ticket (POST /api/v1/realtime/ticket) in the first frame;
// - reconnects with exponential backoff and full jitter (0.5 s base, 30 s cap), at once when
//   the network comes back or the page returns to the foreground;
// - resumes the user event stream from the last epoch/offset seen (kept per tab, so a reload
//   resumes too) and drops any event at or below that offset;
// - sends `auth.refresh` on the open socket whenever the access token is refreshed;
// - pings when idle and replaces a socket that stopped answering.
// Chat-level recovery (chat.attach, dedupe by seq) lives in chat.js, driven by "welcome".

const BACKOFF_BASE_MS = 500;
const BACKOFF_CAP_MS = 30_000;
const PING_EVERY_MS = 20_000;
const PONG_TIMEOUT_MS = 10_000;
const PROBE_TIMEOUT_MS = 4_000;

export const CLOSE = {
  NORMAL: 1000,
  TOO_LARGE: 1009,
  PROTOCOL_VIOLATION: 4400,
  UNAUTHORIZED: 4401,
  ORIGIN_NOT_ALLOWED: 4403,
  AUTH_TIMEOUT: 4408,
  TOO_MANY_SOCKETS: 4429,
  GOING_AWAY: 4503,
};

/** Full jitter: a uniformly random delay in [0, min(cap, base * 2^attempt)). */
export function backoffDelay(attempt, random = Math.random) {
  return random() * Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** attempt);
}

function socketUrl() {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}/ws/v1/`;
}

/**
 * Events: "status" {state, detail}, "welcome" {data, resumed}, "frame" {frame},
 * "resync" {}, "fatal" {message}.
 * States: idle, connecting, authenticating, open, waiting (backoff), offline, blocked, stopped.
 */
export class RealtimeClient extends EventTarget {
  constructor({ auth, api }) {
    super();
    this.auth = auth;
    this.api = api;
    this.ws = null;
    this.state = "idle";
    this.attempt = 0;
    this.timer = null;
    this.pingTimer = null;
    this.pongTimer = null;
    this.requestCounter = 0;
    this.position = null; // {epoch, offset} of the user event stream
    this.userId = null;
    this.welcome = null;
    this.stats = { connects: 0, welcomes: 0, resumes: 0, refreshes: 0, duplicates: 0 };
    this.onAuthChange = () => this.sendTokenRefresh();
    this.onOnline = () => this.reconnectNow("online");
    this.onOffline = () => this.goOffline();
    this.onVisible = () => {
      if (document.visibilityState === "visible") this.reconnectNow("foreground");
    };
  }

  start(userId) {
    this.userId = userId;
    this.position = this.loadPosition();
    this.auth.addEventListener("change", this.onAuthChange);
    window.addEventListener("online", this.onOnline);
    window.addEventListener("offline", this.onOffline);
    document.addEventListener("visibilitychange", this.onVisible);
    if (navigator.onLine === false) this.setState("offline");
    else this.connect();
  }

  stop() {
    this.auth.removeEventListener("change", this.onAuthChange);
    window.removeEventListener("online", this.onOnline);
    window.removeEventListener("offline", this.onOffline);
    document.removeEventListener("visibilitychange", this.onVisible);
    clearTimeout(this.timer);
    this.stopHeartbeat();
    this.dropSocket(CLOSE.NORMAL);
    this.setState("stopped");
  }

  get isOpen() {
    return this.state === "open" && this.ws && this.ws.readyState === WebSocket.OPEN;
  }

  setState(state, detail = {}) {
    this.state = state;
    this.dispatchEvent(new CustomEvent("status", { detail: { state, ...detail } }));
  }

  emit(name, detail) {
    this.dispatchEvent(new CustomEvent(name, { detail }));
  }

  // --- stream position (per tab: survives a reload, not shared with other tabs) ------------

  positionKey() {
    return `numerai.stream.${this.userId}`;
  }

  loadPosition() {
    try {
      const value = JSON.parse(sessionStorage.getItem(this.positionKey()) || "null");
      return value && typeof value.epoch === "string" && Number.isInteger(value.offset)
        ? value : null;
    } catch {
      return null;
    }
  }

  savePosition() {
    if (this.position) sessionStorage.setItem(this.positionKey(), JSON.stringify(this.position));
  }

  // --- connecting ---------------------------------------------------------------------------

  async connect() {
    if (["stopped", "blocked"].includes(this.state)) return;
    clearTimeout(this.timer);
    this.setState("connecting");
    this.stats.connects += 1;
    let ticket;
    try {
      ticket = (await this.api.post("realtime/ticket")).data.ticket;
    } catch (error) {
      if (["stopped", "blocked"].includes(this.state)) return;
      if (error.status === 401 && !this.auth.signedIn) return; // signed out: app handles it
      if (error.status === 429 && error.retryAfter) {
        return this.scheduleReconnect(error.retryAfter * 1000);
      }
      return this.scheduleReconnect();
    }
    if (["stopped", "blocked", "offline"].includes(this.state)) return;
    const ws = new WebSocket(socketUrl(), ["numerai.v1"]);
    this.ws = ws;
    ws.addEventListener("open", () => {
      if (ws !== this.ws) return;
      const data = { ticket };
      if (this.position) data.resume = { ...this.position };
      this.resumeSent = Boolean(this.position);
      ws.send(JSON.stringify({ type: "auth", data }));
      this.setState("authenticating");
    });
    ws.addEventListener("message", (event) => {
      if (ws !== this.ws) return; // a replaced socket: ignore anything it still delivers
      this.gotFrame();
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch {
        return;
      }
      this.handle(frame);
    });
    ws.addEventListener("close", (event) => {
      if (ws !== this.ws) return;
      this.ws = null;
      this.stopHeartbeat();
      this.closed(event.code);
    });
  }

  dropSocket(code = CLOSE.NORMAL) {
    const ws = this.ws;
    this.ws = null;
    if (ws && ws.readyState <= WebSocket.OPEN) {
      try {
        ws.close(code === CLOSE.NORMAL ? 1000 : 4000);
      } catch {
        // already closing
      }
    }
  }

  closed(code) {
    if (["stopped", "offline"].includes(this.state)) return;
    if (code === CLOSE.ORIGIN_NOT_ALLOWED) {
      this.setState("blocked");
      this.emit("fatal", { message: "This page is not allowed to open a live connection to the server (origin refused)." });
      return;
    }
    if (code === CLOSE.UNAUTHORIZED) {
      // Expired or revoked: a fresh token (and so a fresh ticket), then reconnect.
      this.auth.refresh({ force: true }).then(
        () => this.scheduleReconnect(this.attempt ? undefined : 0),
        () => {
          if (this.auth.signedIn) this.scheduleReconnect();
        },
      );
      this.setState("waiting", { code });
      return;
    }
    this.scheduleReconnect(undefined, code);
  }

  scheduleReconnect(delayMs, code) {
    if (["stopped", "blocked", "offline"].includes(this.state)) return;
    clearTimeout(this.timer);
    const delay = delayMs ?? backoffDelay(this.attempt);
    this.attempt += 1;
    this.setState("waiting", { retryAt: Date.now() + delay, code });
    this.timer = setTimeout(() => this.connect(), delay);
  }

  /** Network back or page in the foreground: connect now, or check the open socket. */
  reconnectNow(reason) {
    if (["stopped", "blocked"].includes(this.state)) return;
    if (reason === "online" && this.state === "offline") {
      this.attempt = 0;
      this.state = "idle";
      this.connect();
      return;
    }
    if (this.state === "waiting") {
      clearTimeout(this.timer);
      this.connect();
    } else if (this.state === "open") {
      this.probe(PROBE_TIMEOUT_MS);
    }
  }

  /** The network went away: the socket is as good as dead; reconnect when it is back. */
  goOffline() {
    if (["stopped", "blocked"].includes(this.state)) return;
    clearTimeout(this.timer);
    this.stopHeartbeat();
    this.dropSocket(4000);
    this.setState("offline");
  }

  // --- liveness ------------------------------------------------------------------------------

  gotFrame() {
    clearTimeout(this.pongTimer);
    this.pongTimer = null;
    this.armPing();
  }

  armPing() {
    clearTimeout(this.pingTimer);
    if (this.state !== "open") return;
    this.pingTimer = setTimeout(() => this.probe(PONG_TIMEOUT_MS), PING_EVERY_MS);
  }

  probe(timeoutMs) {
    if (!this.isOpen) return;
    this.send("ping");
    clearTimeout(this.pongTimer);
    this.pongTimer = setTimeout(() => {
      // No answer: replace the socket (resume and attach recover anything in flight).
      this.stopHeartbeat();
      this.dropSocket(4000);
      this.scheduleReconnect(0);
    }, timeoutMs);
  }

  stopHeartbeat() {
    clearTimeout(this.pingTimer);
    clearTimeout(this.pongTimer);
    this.pingTimer = null;
    this.pongTimer = null;
  }

  // --- frames --------------------------------------------------------------------------------

  /** Sends a frame if the socket is open; returns its request id, or null when not sent. */
  send(type, data) {
    if (!this.isOpen) return null;
    const id = `r${++this.requestCounter}`;
    const frame = { type, id };
    if (data !== undefined) frame.data = data;
    this.ws.send(JSON.stringify(frame));
    return id;
  }

  sendTokenRefresh() {
    if (!this.isOpen || !this.auth.signedIn) return;
    this.send("auth.refresh", { token: this.auth.state.access });
  }

  handle(frame) {
    const type = frame.type;
    if (type === "welcome") return this.handleWelcome(frame.data);
    if (type === "resync.required") {
      // The gap is gone (or the stream was recreated): start from the head, reload state.
      this.position = { epoch: this.welcome.epoch, offset: this.welcome.offset };
      this.savePosition();
      this.emit("resync", {});
      return;
    }
    if (type === "auth.ok") {
      this.stats.refreshes += 1;
      this.tokenExpiresAt = Date.parse(frame.data.token_expires_at);
      return;
    }
    if (type === "pong") return;
    if (Number.isInteger(frame.offset)) {
      // A user event: exactly once, in order.
      if (this.position && frame.offset <= this.position.offset) {
        this.stats.duplicates += 1;
        return;
      }
      this.position = { epoch: this.position ? this.position.epoch : this.welcome.epoch,
        offset: frame.offset };
      this.savePosition();
    }
    this.emit("frame", { frame });
  }

  handleWelcome(data) {
    this.welcome = data;
    this.attempt = 0;
    this.stats.welcomes += 1;
    const resumed = this.resumeSent && this.position && this.position.epoch === data.epoch;
    if (resumed) {
      this.stats.resumes += 1; // replayed events follow, each advancing the offset
    } else {
      this.position = { epoch: data.epoch, offset: data.offset };
    }
    this.savePosition();
    this.tokenExpiresAt = Date.parse(data.token_expires_at);
    this.setState("open");
    this.armPing();
    // The ticket was issued for an older token than ours: move the socket to the new one.
    if (this.auth.signedIn && this.auth.accessExpiresAt - this.tokenExpiresAt > 1000) {
      this.sendTokenRefresh();
    }
    this.emit("welcome", { data, resumed });
  }
}
