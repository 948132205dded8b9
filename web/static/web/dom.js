// Small DOM helpers. Text always goes in through textContent: nothing from the server is HTML.

export const $ = (selector, root = document) => root.querySelector(selector);
export const $$ = (selector, root = document) => Array.from(root.querySelectorAll(selector));

/** h("p", {class: "x", "aria-label": "y"}, "text", child) — attributes, then children. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") el.className = value;
    else if (key === "text") el.textContent = value;
    else if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2), value);
    } else if (value === true) el.setAttribute(key, "");
    else el.setAttribute(key, String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

let announceTimer = null;

/** Speak a short status through the polite live region. */
export function announce(message) {
  const region = document.getElementById("announcer");
  if (!region) return;
  clearTimeout(announceTimer);
  region.textContent = "";
  announceTimer = setTimeout(() => {
    region.textContent = message;
  }, 50);
}

export function showBanner(message, { tone = "error" } = {}) {
  const banner = document.getElementById("banner");
  if (!message) {
    banner.hidden = true;
    banner.textContent = "";
    return;
  }
  banner.dataset.tone = tone;
  banner.textContent = message;
  banner.hidden = false;
}

/** Clear a form's messages and invalid marks. */
export function clearFormErrors(form) {
  for (const el of $$("[aria-invalid]", form)) el.removeAttribute("aria-invalid");
  for (const el of $$(".field-error", form)) {
    const input = form.querySelector(`[aria-describedby~="${el.id}"]`);
    if (input) {
      const ids = input.getAttribute("aria-describedby").split(" ").filter((id) => id !== el.id);
      if (ids.length) input.setAttribute("aria-describedby", ids.join(" "));
      else input.removeAttribute("aria-describedby");
    }
    el.remove();
  }
  const general = $("[data-form-error]", form);
  if (general) general.textContent = "";
  const ok = $("[data-form-ok]", form);
  if (ok) ok.textContent = "";
}

/** Show an ApiError on a form: the summary, and each field's messages next to its input. */
export function showFormErrors(form, error) {
  clearFormErrors(form);
  const general = $("[data-form-error]", form);
  let message = error.message || "Something went wrong.";
  if (error.code === "RATE_LIMITED" && error.retryAfter) {
    message = `${message} Try again in ${error.retryAfter} s.`;
  }
  let firstInvalid = null;
  for (const [field, messages] of Object.entries(error.details || {})) {
    const input = form.elements.namedItem(field);
    if (!input || !input.id) continue;
    const id = `${input.id}-error`;
    input.setAttribute("aria-invalid", "true");
    const describedBy = (input.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
    input.setAttribute("aria-describedby", [...describedBy, id].join(" "));
    const list = Array.isArray(messages) ? messages : [String(messages)];
    input.closest(".field, .check")?.append(h("p", { class: "field-error", id, text: list.join(" ") }));
    firstInvalid = firstInvalid || input;
  }
  if (general) general.textContent = message;
  if (firstInvalid) firstInvalid.focus();
}

export function formOk(form, message) {
  const ok = $("[data-form-ok]", form);
  if (ok) ok.textContent = message;
}

/** Run an async submit handler with the form's submit button disabled meanwhile. */
export async function busy(form, fn) {
  const buttons = $$("button[type=submit]", form);
  for (const button of buttons) button.disabled = true;
  form.setAttribute("aria-busy", "true");
  try {
    return await fn();
  } finally {
    for (const button of buttons) button.disabled = false;
    form.removeAttribute("aria-busy");
  }
}

export function formatDate(iso, options = { dateStyle: "long" }) {
  if (!iso) return "";
  const date = /^\d{4}-\d{2}-\d{2}$/.test(iso) ? new Date(`${iso}T12:00:00`) : new Date(iso);
  return new Intl.DateTimeFormat(undefined, options).format(date);
}

export function formatRelative(iso) {
  if (!iso) return "";
  const then = new Date(iso);
  const seconds = Math.round((then - Date.now()) / 1000);
  const abs = Math.abs(seconds);
  const rtf = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });
  if (abs < 60) return rtf.format(Math.round(seconds), "second");
  if (abs < 3600) return rtf.format(Math.round(seconds / 60), "minute");
  if (abs < 86400) return rtf.format(Math.round(seconds / 3600), "hour");
  if (abs < 7 * 86400) return rtf.format(Math.round(seconds / 86400), "day");
  return formatDate(iso, { dateStyle: "medium" });
}

/** YYYY-MM-DD of now in an IANA time zone. */
export function localDate(timeZone) {
  try {
    return new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" })
      .format(new Date());
  } catch {
    return new Intl.DateTimeFormat("en-CA").format(new Date());
  }
}

export function uuid4() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function browserTimeZone() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  } catch {
    return "UTC";
  }
}

/** Fill every <select data-timezones> with the IANA zones, the browser's selected. */
export function fillTimeZones(selected) {
  let zones = ["UTC"];
  try {
    zones = Intl.supportedValuesOf("timeZone");
  } catch {
    // older browsers: UTC and the browser's own zone
  }
  const own = browserTimeZone();
  const all = Array.from(new Set(["UTC", own, ...zones, ...(selected ? [selected] : [])])).sort();
  for (const select of $$("select[data-timezones]")) {
    if (select.options.length === 0) {
      for (const zone of all) select.append(h("option", { value: zone, text: zone.replace(/_/g, " ") }));
    }
    select.value = selected || own;
  }
}
