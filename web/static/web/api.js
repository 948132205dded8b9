// REST client for /api/v1/: the JSON envelope, bearer tokens refreshed before they expire.
//
// Tokens live in localStorage so that a reload (or a second tab) stays signed in. Refresh
// tokens rotate and a spent one revokes the whole login, so tabs must never refresh twice with
// the same token: a refresh runs under a Web Lock and first re-reads storage, adopting a pair
// another tab already refreshed.

const API_ROOT = "/api/v1/";
const STORAGE_KEY = "numerai.auth";
const LOCK_NAME = "numerai.auth.refresh";
// Refresh this long before expiry: a minute, or a quarter of a short-lived token's lifetime.
const MAX_MARGIN_MS = 60_000;
// Requests made with less validity left than this refresh first.
const MIN_VALIDITY_MS = 5_000;

export class ApiError extends Error {
  constructor(status, code, message, details = null, retryAfter = null) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.details = details;
    this.retryAfter = retryAfter;
  }
}

function decodeJwt(token) {
  try {
    const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const padded = part + "=".repeat((4 - (part.length % 4)) % 4);
    return JSON.parse(atob(padded));
  } catch {
    return {};
  }
}

function readStored() {
  try {
    const value = JSON.parse(localStorage.getItem(STORAGE_KEY) || "null");
    return value && value.access && value.refresh ? value : null;
  } catch {
    return null;
  }
}

/** The signed-in session: tokens, their expiry, the user. Emits "change" and "signedout". */
export class Auth extends EventTarget {
  constructor() {
    super();
    this.state = readStored();
    this.refreshing = null;
    this.timer = null;
    window.addEventListener("storage", (event) => {
      if (event.key !== STORAGE_KEY) return;
      const stored = readStored();
      if (!stored) {
        if (this.state) this.signOutLocally("signed out in another tab");
        return;
      }
      if (!this.state || stored.access !== this.state.access) {
        this.state = stored;
        this.schedule();
        this.dispatchEvent(new CustomEvent("change", { detail: { reason: "other-tab" } }));
      }
    });
    if (this.state) this.schedule();
  }

  get signedIn() {
    return Boolean(this.state);
  }

  get user() {
    return this.state ? this.state.user : null;
  }

  get accessExpiresAt() {
    return this.state ? this.state.accessExp : 0;
  }

  setUser(user) {
    if (!this.state) return;
    this.state.user = user;
    this.save();
  }

  /** Store a token pair as auth/login and auth/refresh-token return it. */
  setPair(pair) {
    const claims = decodeJwt(pair.access_token);
    const now = Date.now();
    const exp = claims.exp ? claims.exp * 1000 : now + pair.expires_in * 1000;
    const lifetime = claims.exp && claims.iat ? (claims.exp - claims.iat) * 1000
      : pair.expires_in * 1000;
    this.state = {
      access: pair.access_token,
      refresh: pair.refresh_token,
      accessExp: exp,
      lifetime,
      user: pair.user || (this.state && this.state.user) || null,
    };
    this.save();
    this.schedule();
    this.dispatchEvent(new CustomEvent("change", { detail: { reason: "refreshed" } }));
  }

  save() {
    if (this.state) localStorage.setItem(STORAGE_KEY, JSON.stringify(this.state));
  }

  margin() {
    const lifetime = (this.state && this.state.lifetime) || 3_600_000;
    return Math.min(MAX_MARGIN_MS, lifetime / 4);
  }

  /** Refresh a margin before expiry (and again on failure, a little later). */
  schedule() {
    clearTimeout(this.timer);
    if (!this.state) return;
    const delay = Math.max(0, this.state.accessExp - this.margin() - Date.now());
    this.timer = setTimeout(() => {
      this.refresh().catch(() => {
        if (this.state) this.timer = setTimeout(() => this.schedule(), 5_000);
      });
    }, delay);
  }

  /** A valid access token, refreshed first when it is about to expire. */
  async accessToken() {
    if (!this.state) throw new ApiError(401, "NOT_AUTHENTICATED", "You are signed out.");
    if (this.state.accessExp - Date.now() < Math.max(MIN_VALIDITY_MS, this.margin() / 2)) {
      await this.refresh();
    }
    if (!this.state) throw new ApiError(401, "NOT_AUTHENTICATED", "You are signed out.");
    return this.state.access;
  }

  /** Rotate the token pair; one refresh at a time across calls and across tabs. */
  refresh({ force = false } = {}) {
    if (!this.refreshing) {
      const run = () => this.doRefresh(force);
      const locked = navigator.locks ? navigator.locks.request(LOCK_NAME, run) : run();
      this.refreshing = locked.finally(() => {
        this.refreshing = null;
      });
    }
    return this.refreshing;
  }

  async doRefresh(force) {
    const stored = readStored();
    if (!stored) {
      if (this.state) this.signOutLocally("signed out");
      throw new ApiError(401, "NOT_AUTHENTICATED", "You are signed out.");
    }
    const mine = this.state ? this.state.refresh : null;
    if (stored.refresh !== mine && stored.accessExp - Date.now() > this.margin()) {
      // Another tab refreshed while we waited for the lock: adopt its pair.
      this.state = stored;
      this.schedule();
      this.dispatchEvent(new CustomEvent("change", { detail: { reason: "other-tab" } }));
      return;
    }
    if (!force && stored.accessExp - Date.now() > this.margin() && stored.refresh === mine) {
      this.schedule(); // still fresh (a timer fired early, or raced a request)
      return;
    }
    let result;
    try {
      result = await send("POST", "auth/refresh-token", { refresh_token: stored.refresh });
    } catch (error) {
      if (error.status === 401 || error.status === 400) {
        this.signOutLocally("Your session has ended. Please sign in again.");
      }
      throw error;
    }
    this.setPair(result.data);
  }

  signOutLocally(reason) {
    clearTimeout(this.timer);
    const was = this.state;
    this.state = null;
    localStorage.removeItem(STORAGE_KEY);
    if (was) this.dispatchEvent(new CustomEvent("signedout", { detail: { reason } }));
  }

  async signOut() {
    const refresh = this.state && this.state.refresh;
    clearTimeout(this.timer);
    if (refresh) {
      try {
        await send("POST", "auth/logout", { refresh_token: refresh });
      } catch {
        // best effort: the local session goes either way
      }
    }
    this.signOutLocally(null);
  }
}

function query(params) {
  if (!params) return "";
  const entries = Object.entries(params).filter(([, v]) => v !== undefined && v !== null);
  return entries.length ? `?${new URLSearchParams(entries)}` : "";
}

/** One HTTP exchange; resolves to the envelope ({data, pagination}) or throws ApiError. */
async function send(method, path, body, token, params) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (token) headers.Authorization = `Bearer ${token}`;
  let response;
  try {
    response = await fetch(API_ROOT + path + query(params), {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "omit",
      cache: "no-store",
    });
  } catch {
    throw new ApiError(0, "NETWORK", "Cannot reach the server. Check your connection.");
  }
  let envelope = null;
  try {
    envelope = await response.json();
  } catch {
    envelope = null;
  }
  if (!envelope || typeof envelope !== "object") {
    throw new ApiError(response.status, "BAD_RESPONSE", `Unexpected answer (HTTP ${response.status}).`);
  }
  if (!response.ok || envelope.success === false) {
    const error = envelope.error || {};
    const retryAfter = Number(response.headers.get("Retry-After")) || null;
    throw new ApiError(response.status, error.code || "ERROR",
      error.message || `Request failed (HTTP ${response.status}).`, error.details || null,
      retryAfter);
  }
  return { data: envelope.data, pagination: envelope.pagination || null };
}

/** The API bound to a session: authenticated calls, one retry after a forced refresh on 401. */
export class Api {
  constructor(auth) {
    this.auth = auth;
  }

  async call(method, path, { body, params, anonymous = false } = {}) {
    if (anonymous) return send(method, path, body, null, params);
    const token = await this.auth.accessToken();
    try {
      return await send(method, path, body, token, params);
    } catch (error) {
      if (error.status !== 401 || !this.auth.signedIn) throw error;
      await this.auth.refresh({ force: true });
      return send(method, path, body, await this.auth.accessToken(), params);
    }
  }

  get(path, params) {
    return this.call("GET", path, { params });
  }

  post(path, body) {
    return this.call("POST", path, { body });
  }

  put(path, body) {
    return this.call("PUT", path, { body });
  }

  patch(path, body) {
    return this.call("PATCH", path, { body });
  }

  delete(path) {
    return this.call("DELETE", path);
  }

  anonymous(method, path, body) {
    return this.call(method, path, { body, anonymous: true });
  }
}
