// The chat view: conversations, messages, streaming replies (protocol v1's chat frames).
//
// Every reply is a record {id, content, seq, pending}. Text only ever grows by the delta whose
// seq is exactly the next one; earlier seqs are dropped (already have them), later ones wait in
// `pending` until the gap is filled (by a snapshot, or by re-attaching when it persists). A
// snapshot replaces the text through its seq; message.end replaces it with the stored whole.
// So a reply shows every word once, whatever reconnects, reloads or second tabs happen.

import { $, announce, formatRelative, h, uuid4 } from "./dom.js";

const GAP_REPAIR_MS = 1500;
const ATTACH_RETRY_MS = 2000;
const ATTACH_MAX_RETRIES = 5;
const NEAR_BOTTOM_PX = 80;

const FINISH_NOTES = {
  cancelled: "Stopped",
  length: "Cut short: the reply reached its length limit",
  error: "The guide ran into a problem; this reply may be incomplete",
  interrupted: "Interrupted: the server restarted during this reply",
};

function minutes(seconds) {
  return seconds >= 90 ? `${Math.ceil(seconds / 60)} min` : `${seconds} s`;
}

export class Chat {
  constructor({ api, socket, navigate }) {
    this.api = api;
    this.socket = socket;
    this.navigate = navigate;
    this.messages = new Map(); // key (server id, or "local:<client_msg_id>") → record
    this.conversations = [];
    this.currentId = null; // null: a new conversation
    this.order = []; // keys of the shown conversation, oldest first
    this.nextCursor = null;
    this.pendingSends = new Map(); // client_msg_id → {cmid, key, conversationId, content}
    this.requests = new Map(); // request id → what it was for
    this.loadToken = 0;
    this.limits = { max_message_chars: 4000, chat_per_hour: null };
    this.els = {
      list: $("#conversation-list"),
      empty: $("#conversation-empty"),
      messages: $("#messages"),
      title: $("#conversation-title"),
      actions: $("#conversation-actions"),
      intro: $("#chat-intro"),
      composer: $("#composer"),
      input: $("#composer-input"),
      send: $("#send"),
      stop: $("#stop"),
      error: $("#chat-error"),
      earlier: $("#load-earlier"),
      renameForm: $("#rename-form"),
      renameInput: $("#rename-input"),
      dialog: $("#confirm-dialog"),
    };
    this.wire();
    socket.addEventListener("welcome", (event) => this.onWelcome(event.detail));
    socket.addEventListener("frame", (event) => this.onFrame(event.detail.frame));
    socket.addEventListener("resync", () => this.onResync());
  }

  // --- DOM wiring ---------------------------------------------------------------------------

  wire() {
    const { composer, input, stop, earlier, renameForm, renameInput, dialog } = this.els;
    composer.addEventListener("submit", (event) => {
      event.preventDefault();
      this.submit();
    });
    input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        composer.requestSubmit();
      }
    });
    stop.addEventListener("click", () => this.stopReplies());
    earlier.addEventListener("click", () => this.loadEarlier());
    const view = $("#view-chat");
    const toggle = $("#toggle-conversations");
    toggle.addEventListener("click", () => {
      const open = view.dataset.list !== "open";
      view.dataset.list = open ? "open" : "closed";
      toggle.setAttribute("aria-expanded", String(open));
      if (open) $("#conversations-panel a, #new-conversation").focus();
    });
    this.closeList = () => {
      view.dataset.list = "closed";
      toggle.setAttribute("aria-expanded", "false");
    };
    $("#new-conversation").addEventListener("click", () => {
      this.navigate("#/chat");
      this.els.input.focus();
    });
    for (const chip of document.querySelectorAll("[data-suggest]")) {
      chip.addEventListener("click", () => {
        input.value = chip.textContent;
        composer.requestSubmit();
      });
    }
    $("#rename-conversation").addEventListener("click", () => {
      const conversation = this.conversation(this.currentId);
      renameInput.value = conversation ? conversation.title : "";
      renameForm.hidden = false;
      renameInput.focus();
      renameInput.select();
    });
    $("#rename-cancel").addEventListener("click", () => this.closeRename());
    renameForm.addEventListener("keydown", (event) => {
      if (event.key === "Escape") this.closeRename();
    });
    renameForm.addEventListener("submit", (event) => {
      event.preventDefault();
      this.rename(renameInput.value.trim());
    });
    $("#delete-conversation").addEventListener("click", () => {
      dialog.returnValue = "";
      dialog.showModal();
    });
    dialog.addEventListener("close", () => {
      if (dialog.returnValue === "confirm") this.deleteCurrent();
      else $("#delete-conversation").focus();
    });
  }

  closeRename() {
    this.els.renameForm.hidden = true;
    $("#rename-conversation").focus();
  }

  // --- conversations ------------------------------------------------------------------------

  conversation(id) {
    return this.conversations.find((c) => c.id === id) || null;
  }

  async refreshConversations(attempt = 0) {
    try {
      const { data } = await this.api.get("ai/conversations", { per_page: 50 });
      this.conversations = data;
      this.renderConversations();
      this.renderHeader();
      if (attempt) this.showError("");
    } catch (error) {
      this.showError(`Could not load your conversations: ${error.message}`);
      if (attempt < 5 && error.status !== 401) {
        setTimeout(() => this.refreshConversations(attempt + 1), 2000 * (attempt + 1));
      }
    }
  }

  refreshConversationsSoon() {
    clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => this.refreshConversations(), 300);
  }

  touchConversation(id, { title } = {}) {
    let conversation = this.conversation(id);
    if (!conversation) {
      if (title === undefined) return this.refreshConversationsSoon();
      conversation = { id, title, started_at: new Date().toISOString(), message_count: 0 };
    }
    if (title !== undefined) conversation.title = title;
    conversation.last_message_at = new Date().toISOString();
    this.conversations = [conversation, ...this.conversations.filter((c) => c.id !== id)];
    this.renderConversations();
    this.renderHeader();
  }

  renderConversations() {
    const { list, empty } = this.els;
    list.replaceChildren(
      ...this.conversations.map((c) => {
        const current = c.id === this.currentId;
        return h("li", {},
          h("a", {
            href: `#/chat/${c.id}`,
            class: "conversation-link",
            "aria-current": current ? "page" : null,
            "data-conversation-id": c.id,
          },
          h("span", { class: "conversation-name", text: c.title || "New conversation" }),
          h("span", { class: "conversation-time", text: formatRelative(c.last_message_at || c.started_at) })));
      }),
    );
    empty.hidden = this.conversations.length > 0;
  }

  renderHeader() {
    const conversation = this.currentId ? this.conversation(this.currentId) : null;
    this.els.title.textContent = this.currentId
      ? (conversation && conversation.title) || "Conversation"
      : "New conversation";
    this.els.actions.hidden = !this.currentId;
    // The main navigation's "Chat" returns to this conversation.
    const nav = document.querySelector('.mainnav a[data-nav="chat"]');
    if (nav) nav.setAttribute("href", this.currentId ? `#/chat/${this.currentId}` : "#/chat");
    for (const link of this.els.list.querySelectorAll("a")) {
      if (link.dataset.conversationId === this.currentId) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    }
  }

  async rename(title) {
    if (!title || !this.currentId) return;
    const id = this.currentId;
    try {
      const { data } = await this.api.patch(`ai/conversations/${id}`, { title });
      this.touchConversation(id, { title: data.title });
      this.els.renameForm.hidden = true;
      announce(`Renamed to ${data.title}`);
      $("#rename-conversation").focus();
    } catch (error) {
      this.showError(`Could not rename: ${error.message}`);
    }
  }

  async deleteCurrent() {
    const id = this.currentId;
    if (!id) return;
    try {
      await this.api.delete(`ai/conversations/${id}`);
    } catch (error) {
      if (error.status !== 404) {
        this.showError(`Could not delete: ${error.message}`);
        return;
      }
    }
    this.conversations = this.conversations.filter((c) => c.id !== id);
    for (const [key, record] of this.messages) {
      if (record.conversationId === id) this.messages.delete(key);
    }
    this.renderConversations();
    announce("Conversation deleted");
    this.navigate("#/chat");
    this.els.input.focus();
  }

  // --- showing a conversation ---------------------------------------------------------------

  /** Route target: #/chat (new) or #/chat/<id>. */
  async show(conversationId) {
    this.els.renameForm.hidden = true;
    this.closeList();
    if (conversationId === this.currentId && (conversationId === null || this.order.length)) {
      this.renderHeader();
      return;
    }
    this.currentId = conversationId;
    this.order = this.localKeysOf(conversationId);
    this.nextCursor = null;
    this.els.earlier.hidden = true;
    this.renderHeader();
    this.renderMessages();
    if (conversationId) await this.load(conversationId);
  }

  localKeysOf(conversationId) {
    if (!conversationId) return [];
    return Array.from(this.messages.values())
      .filter((r) => r.conversationId === conversationId)
      .map((r) => r.key);
  }

  async load(conversationId, { cursor = null, attempt = 0 } = {}) {
    const token = ++this.loadToken;
    let page;
    try {
      page = await this.api.get(`ai/conversations/${conversationId}/messages`, {
        limit: 50, cursor: cursor || undefined,
      });
    } catch (error) {
      if (token !== this.loadToken) return;
      if (error.status === 404) {
        this.showError("That conversation does not exist (any more).");
        this.conversations = this.conversations.filter((c) => c.id !== conversationId);
        this.renderConversations();
        this.navigate("#/chat");
      } else {
        this.showError(`Could not load the messages: ${error.message}`);
        if (!cursor && error.status !== 401 && attempt < 3) {
          // A server hiccup: try again shortly if the conversation is still shown.
          setTimeout(() => {
            if (this.currentId === conversationId && token === this.loadToken) {
              this.showError("");
              this.load(conversationId, { attempt: attempt + 1 });
            }
          }, 2000 * (attempt + 1));
        }
      }
      return;
    }
    if (token !== this.loadToken || conversationId !== this.currentId) return;
    const fetched = page.data.slice().reverse().map((m) => this.merge(m));
    const fetchedKeys = new Set(fetched.map((r) => r.key));
    if (cursor) {
      this.order = [...fetched.map((r) => r.key), ...this.order.filter((k) => !fetchedKeys.has(k))];
    } else {
      // Keep what this page already shows around the fresh page: earlier pages before it,
      // messages sent since after it.
      const older = this.order.filter((k) => !fetchedKeys.has(k) && this.isOlder(k, fetched));
      const rest = this.order.filter((k) => !fetchedKeys.has(k) && !older.includes(k));
      this.order = [...older, ...fetched.map((r) => r.key), ...rest];
    }
    this.nextCursor = page.pagination ? page.pagination.next_cursor : null;
    this.els.earlier.hidden = !this.nextCursor;
    this.renderMessages({ keepScroll: Boolean(cursor) });
    for (const record of fetched) {
      if (record.role === "assistant" && record.status === "streaming") this.attach(record);
    }
  }

  isOlder(key, fetched) {
    const record = this.messages.get(key);
    return record && fetched.length && record.createdAt && record.createdAt < fetched[0].createdAt;
  }

  loadEarlier() {
    if (this.currentId && this.nextCursor) this.load(this.currentId, { cursor: this.nextCursor });
  }

  /** A message from the REST API into the store; live state wins over a stale in-progress row. */
  merge(m) {
    let record = this.messages.get(m.id);
    const finished = m.status !== "in_progress";
    if (!record) {
      record = this.record({
        key: m.id, id: m.id, role: m.role, conversationId: m.conversation_id,
        content: m.content, seq: m.seq || 0, status: finished ? "complete" : "streaming",
        finishReason: m.finish_reason, createdAt: m.created_at,
      });
    } else {
      record.createdAt = record.createdAt || m.created_at;
      if (finished && record.status !== "complete") {
        this.finish(record, { content: m.content, seq: m.seq, finish_reason: m.finish_reason }, { quiet: true });
      }
    }
    return record;
  }

  record(fields) {
    const record = {
      key: fields.key || fields.id, id: fields.id || null, role: fields.role,
      conversationId: fields.conversationId || null, content: fields.content || "",
      seq: fields.seq || 0, status: fields.status, finishReason: fields.finishReason || null,
      createdAt: fields.createdAt || null, pending: new Map(), error: null, el: null,
      attachRetries: 0, repairTimer: null, cmid: fields.cmid || null,
    };
    this.messages.set(record.key, record);
    return record;
  }

  // --- rendering ----------------------------------------------------------------------------

  nearBottom() {
    const box = this.els.messages;
    return box.scrollHeight - box.scrollTop - box.clientHeight < NEAR_BOTTOM_PX;
  }

  scrollToBottom() {
    const box = this.els.messages;
    box.scrollTop = box.scrollHeight;
  }

  renderMessages({ keepScroll = false } = {}) {
    const box = this.els.messages;
    const fromBottom = box.scrollHeight - box.scrollTop;
    const items = this.order.map((key) => this.messages.get(key)).filter(Boolean)
      .map((record) => this.renderMessage(record));
    box.replaceChildren(...items);
    this.els.intro.hidden = items.length > 0;
    if (keepScroll) box.scrollTop = box.scrollHeight - fromBottom;
    else this.scrollToBottom();
    this.updateComposer();
  }

  renderMessage(record) {
    if (!record.el) {
      const author = record.role === "user" ? "You" : "Guide";
      record.el = h("li", { class: `msg msg-${record.role}` },
        h("p", { class: "msg-author", text: author }),
        h("div", { class: "msg-text" }),
        h("p", { class: "msg-note" }));
    }
    const el = record.el;
    el.dataset.messageId = record.id || "";
    el.dataset.status = record.status;
    el.dataset.seq = String(record.seq);
    if (record.finishReason) el.dataset.finishReason = record.finishReason;
    else delete el.dataset.finishReason;
    el.setAttribute("aria-busy", record.status === "streaming" ? "true" : "false");
    const text = el.querySelector(".msg-text");
    if (text.textContent !== record.content) text.textContent = record.content;
    const note = el.querySelector(".msg-note");
    let noteText = "";
    if (record.status === "sending") noteText = this.socket.isOpen ? "Sending…" : "Waiting for the connection…";
    else if (record.status === "failed") noteText = record.error || "Not sent.";
    else if (record.status === "streaming" && !record.content) noteText = "The guide is thinking…";
    else if (record.status === "complete" && record.finishReason && FINISH_NOTES[record.finishReason]) {
      noteText = FINISH_NOTES[record.finishReason];
    }
    if (record.error && record.status !== "failed") noteText = `${noteText} ${record.error}`.trim();
    note.textContent = noteText;
    note.hidden = !noteText;
    const retry = el.querySelector(".msg-retry");
    if (record.status === "failed" && record.retryable && !retry) {
      el.append(h("button", {
        type: "button", class: "secondary small msg-retry", text: "Try again",
        onclick: () => this.retry(record),
      }));
    } else if (retry && record.status !== "failed") {
      retry.remove();
    }
    return el;
  }

  /** Re-render one record in place (if shown), following the bottom while it grows. */
  update(record) {
    if (!this.order.includes(record.key)) return;
    const follow = this.nearBottom();
    if (!record.el || !record.el.isConnected) return this.renderMessages();
    this.renderMessage(record);
    if (follow) this.scrollToBottom();
    this.updateComposer();
  }

  streamingHere() {
    return this.order.map((k) => this.messages.get(k))
      .filter((r) => r && r.role === "assistant" && r.status === "streaming");
  }

  updateComposer() {
    const streaming = this.streamingHere();
    this.els.stop.hidden = streaming.length === 0;
    this.els.send.hidden = streaming.length > 0;
    if (!streaming.length) {
      this.els.stop.disabled = false;
      this.els.stop.textContent = "Stop";
    }
  }

  showError(message) {
    this.els.error.textContent = message || "";
  }

  // --- sending and stopping -----------------------------------------------------------------

  submit() {
    const content = this.els.input.value.trim();
    if (!content) return;
    if (content.length > this.limits.max_message_chars) {
      this.showError(`Messages are limited to ${this.limits.max_message_chars} characters.`);
      return;
    }
    if (this.streamingHere().length) return;
    this.showError("");
    const cmid = uuid4();
    const record = this.record({
      key: `local:${cmid}`, role: "user", content, status: "sending",
      conversationId: this.currentId, cmid, createdAt: new Date().toISOString(),
    });
    this.order.push(record.key);
    this.els.input.value = "";
    this.renderMessages();
    this.pendingSends.set(cmid, { cmid, key: record.key, conversationId: this.currentId, content });
    this.sendPending(cmid);
  }

  sendPending(cmid) {
    const pending = this.pendingSends.get(cmid);
    if (!pending) return;
    const id = this.socket.send("chat.send", {
      conversation_id: pending.conversationId, client_msg_id: cmid, content: pending.content,
    });
    if (id) this.requests.set(id, { kind: "send", cmid });
    const record = this.messages.get(pending.key);
    if (record) this.update(record);
  }

  retry(record) {
    if (!record.cmid) return;
    record.status = "sending";
    record.error = null;
    this.pendingSends.set(record.cmid, {
      cmid: record.cmid, key: record.key, conversationId: record.conversationId, content: record.content,
    });
    this.update(record);
    this.sendPending(record.cmid);
  }

  stopReplies() {
    const streaming = this.streamingHere();
    for (const record of streaming) {
      record.cancelRequested = true;
      this.sendCancel(record);
    }
    if (streaming.length) {
      this.els.stop.disabled = true;
      this.els.stop.textContent = "Stopping…";
    }
  }

  sendCancel(record) {
    // Sent again after a reconnect while the reply still streams (Stop pressed while the
    // socket was down, or its frame lost): chat.cancel is harmless to repeat.
    const id = this.socket.send("chat.cancel", { message_id: record.id });
    if (id) this.requests.set(id, { kind: "cancel", key: record.key });
  }

  onSendAck(request, data) {
    const pending = this.pendingSends.get(request.cmid);
    this.pendingSends.delete(request.cmid);
    if (!pending) return;
    const conversationId = data.conversation_id;
    const user = this.messages.get(pending.key);
    if (user) {
      this.messages.delete(user.key);
      user.id = data.user_message_id;
      user.key = data.user_message_id;
      user.status = "complete";
      user.conversationId = conversationId;
      this.messages.set(user.key, user);
      this.order = this.order.map((k) => (k === pending.key ? user.key : k));
    }
    let reply = this.messages.get(data.assistant_message_id);
    if (!reply) {
      reply = this.record({
        id: data.assistant_message_id, role: "assistant", status: "streaming",
        conversationId, createdAt: new Date().toISOString(),
      });
    }
    if (pending.conversationId === null) {
      this.touchConversation(conversationId, { title: "New conversation" });
      if (this.currentId === null && this.order.includes(user ? user.key : "")) {
        this.currentId = conversationId;
        this.navigate(`#/chat/${conversationId}`, { silent: true });
        this.renderHeader();
      }
    } else {
      this.touchConversation(conversationId);
    }
    if (conversationId === this.currentId && !this.order.includes(reply.key)) {
      this.order.push(reply.key);
    }
    if (data.duplicate) this.attach(reply); // the reply may be running or done already
    this.renderMessages();
  }

  onSendError(request, data) {
    const pending = this.pendingSends.get(request.cmid);
    if (!pending) return;
    const record = this.messages.get(pending.key);
    this.pendingSends.delete(request.cmid);
    if (!record) return;
    record.status = "failed";
    record.retryable = ["rate_limited", "internal", "conflict"].includes(data.code);
    record.error = data.code === "rate_limited" && data.retry_after
      ? `Not sent: you have reached your hourly message limit. Try again in ${minutes(data.retry_after)}.`
      : `Not sent: ${data.message}`;
    this.update(record);
    announce(record.error);
  }

  // --- the protocol -------------------------------------------------------------------------

  attach(record) {
    if (!record.id) return;
    const id = this.socket.send("chat.attach", { message_id: record.id, after_seq: record.seq });
    if (id) this.requests.set(id, { kind: "attach", key: record.key });
  }

  onWelcome({ data }) {
    this.limits = data.limits || this.limits;
    this.els.input.maxLength = this.limits.max_message_chars || 4000;
    // Replies running now: attach to each, from the last seq this page has.
    const active = new Set();
    for (const entry of data.active_messages || []) {
      active.add(entry.message_id);
      let record = this.messages.get(entry.message_id);
      if (!record) {
        record = this.record({
          id: entry.message_id, role: "assistant", status: "streaming",
          conversationId: entry.conversation_id,
        });
        if (entry.conversation_id === this.currentId && !this.order.includes(record.key)) {
          // Its question is not shown yet: reload the conversation around it.
          this.order.push(record.key);
          this.load(this.currentId);
        }
      }
      if (record.status !== "complete") this.attach(record);
    }
    // Replies this page saw streaming that are no longer running: attach fetches their end.
    for (const record of this.messages.values()) {
      if (record.role === "assistant" && record.status === "streaming" && !active.has(record.id)) {
        this.attach(record);
      }
    }
    // Messages typed while offline, or whose ack was lost: resend (client_msg_id is idempotent).
    for (const cmid of this.pendingSends.keys()) this.sendPending(cmid);
    for (const record of this.messages.values()) {
      if (record.cancelRequested && record.status === "streaming") this.sendCancel(record);
    }
    this.renderMessages();
  }

  onResync() {
    this.refreshConversations();
    if (this.currentId) this.load(this.currentId);
  }

  onFrame(frame) {
    const data = frame.data || {};
    const request = frame.id ? this.requests.get(frame.id) : null;
    if (request && (frame.type === "chat.ack" || frame.type === "error")) this.requests.delete(frame.id);
    switch (frame.type) {
      case "chat.ack":
        if (request && request.kind === "send") this.onSendAck(request, data);
        break;
      case "error":
        this.onError(request, data);
        break;
      case "message.start":
        this.onStart(data);
        break;
      case "message.delta": {
        const record = this.messages.get(data.message_id);
        if (record) this.applyDelta(record, data.seq, data.delta);
        break;
      }
      case "message.snapshot": {
        const record = this.messages.get(data.message_id);
        if (record) this.applySnapshot(record, data.seq, data.content);
        break;
      }
      case "message.end": {
        const record = this.messages.get(data.message_id);
        if (record) this.finish(record, data);
        else this.refreshConversationsSoon();
        break;
      }
      case "message.error": {
        const record = this.messages.get(data.message_id);
        if (record) {
          record.error = data.message;
          this.update(record);
        }
        break;
      }
      case "conversation.updated":
        this.touchConversation(data.conversation_id, { title: data.title });
        break;
      default:
        break;
    }
  }

  onError(request, data) {
    if (!request) return;
    if (request.kind === "send") this.onSendError(request, data);
    else if (request.kind === "attach") {
      const record = this.messages.get(request.key);
      if (!record) return;
      if (data.code === "conflict" && record.attachRetries < ATTACH_MAX_RETRIES) {
        // The reply's buffer is gone until the sweeper finishes it: ask again shortly.
        record.attachRetries += 1;
        setTimeout(() => this.attach(record), ATTACH_RETRY_MS * record.attachRetries);
      } else if (data.code === "not_found") {
        record.status = "failed";
        record.error = "This reply no longer exists.";
        this.update(record);
      }
    } else if (request.kind === "cancel") {
      this.updateComposer(); // conflict: it had finished already
    }
  }

  onStart(data) {
    let record = this.messages.get(data.message_id);
    const here = data.conversation_id === this.currentId;
    if (!record) {
      record = this.record({
        id: data.message_id, role: "assistant", status: "streaming",
        conversationId: data.conversation_id, createdAt: new Date().toISOString(),
      });
      if (here) {
        // Started from another tab or device: fetch its question too.
        this.order.push(record.key);
        this.load(this.currentId);
      }
    }
    this.touchConversation(data.conversation_id);
    if (here) {
      this.update(record);
      announce("The guide is replying…");
    }
  }

  applyDelta(record, seq, delta) {
    if (record.status === "complete" || seq <= record.seq) return; // already have it
    if (seq === record.seq + 1) {
      record.content += delta;
      record.seq = seq;
      this.drain(record);
    } else {
      record.pending.set(seq, delta);
      this.scheduleRepair(record);
    }
    this.update(record);
  }

  applySnapshot(record, seq, content) {
    if (record.status === "complete") return;
    if (seq > record.seq) {
      record.content = content;
      record.seq = seq;
    }
    record.attachRetries = 0;
    this.drain(record);
    this.update(record);
  }

  drain(record) {
    while (record.pending.has(record.seq + 1)) {
      record.seq += 1;
      record.content += record.pending.get(record.seq);
    }
    for (const seq of record.pending.keys()) {
      if (seq <= record.seq) record.pending.delete(seq);
    }
    if (!record.pending.size && record.repairTimer) {
      clearTimeout(record.repairTimer);
      record.repairTimer = null;
    }
  }

  /** Deltas after a hole that does not fill by itself: re-attach from what we have. */
  scheduleRepair(record) {
    if (record.repairTimer) return;
    record.repairTimer = setTimeout(() => {
      record.repairTimer = null;
      if (record.pending.size && record.status === "streaming") this.attach(record);
    }, GAP_REPAIR_MS);
  }

  finish(record, data, { quiet = false } = {}) {
    const wasStreaming = record.status === "streaming";
    record.content = data.content ?? record.content;
    record.seq = data.seq ?? record.seq;
    record.status = "complete";
    record.finishReason = data.finish_reason || null;
    record.pending.clear();
    clearTimeout(record.repairTimer);
    record.repairTimer = null;
    this.update(record);
    if (wasStreaming && !quiet && record.conversationId === this.currentId) {
      announce(record.finishReason === "cancelled" ? "Reply stopped." : "Reply complete.");
    }
  }
}
