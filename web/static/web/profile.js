// Profile (users/profile) and notification settings (notifications/settings, shown only when
// the server has that endpoint).

import { $, busy, clearFormErrors, fillTimeZones, formOk, showFormErrors } from "./dom.js";

const PROFILE_FIELDS = ["full_name", "birth_name", "email", "phone", "date_of_birth", "timezone"];

export class Profile {
  constructor({ api, auth, onUser }) {
    this.api = api;
    this.auth = auth;
    this.onUser = onUser;
    this.form = $("#profile-form");
    this.nsSection = $("#notifications-section");
    this.nsForm = $("#notifications-form");
    // A form the user has started editing is never refilled under their fingers.
    this.form.addEventListener("input", () => { this.form.dataset.dirty = "1"; });
    this.nsForm.addEventListener("input", () => { this.nsForm.dataset.dirty = "1"; });
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      busy(this.form, () => this.save());
    });
    this.nsForm.addEventListener("submit", (event) => {
      event.preventDefault();
      busy(this.nsForm, () => this.saveNotifications());
    });
  }

  async show() {
    clearFormErrors(this.form);
    this.fill(this.auth.user, { force: true });
    try {
      const { data } = await this.api.get("users/profile");
      this.auth.setUser(data);
      this.fill(data);
    } catch {
      // the cached user is shown
    }
    this.loadNotifications();
  }

  fill(user, { force = false } = {}) {
    if (!user || (!force && this.form.dataset.dirty)) return;
    delete this.form.dataset.dirty;
    fillTimeZones(user.timezone);
    const els = this.form.elements;
    els.full_name.value = user.full_name || "";
    els.birth_name.value = user.birth_name && user.birth_name !== user.full_name ? user.birth_name : "";
    els.email.value = user.email || "";
    els.phone.value = user.phone || "";
    els.date_of_birth.value = user.date_of_birth || "";
    els.timezone.value = user.timezone || "UTC";
  }

  async save() {
    clearFormErrors(this.form);
    const els = this.form.elements;
    const before = this.auth.user || {};
    const body = {};
    for (const name of PROFILE_FIELDS) {
      const value = els[name].value.trim();
      if (name === "email" && !value) continue;
      body[name] = value === "" ? null : value;
    }
    body.full_name = body.full_name || "";
    if (!body.birth_name) body.birth_name = "";
    try {
      const { data } = await this.api.patch("users/profile", body);
      this.auth.setUser(data);
      this.fill(data, { force: true });
      formOk(this.form, "Profile saved.");
      this.onUser(data, before);
    } catch (error) {
      showFormErrors(this.form, error);
    }
  }

  // --- notification settings ---------------------------------------------------------------

  async loadNotifications() {
    try {
      const { data } = await this.api.get("notifications/settings");
      this.settings = data;
      if (!this.nsForm.dataset.dirty) this.fillNotifications(data);
      this.nsSection.hidden = false;
      return data;
    } catch {
      this.nsSection.hidden = true; // not available on this server
      return null;
    }
  }

  fillNotifications(settings) {
    delete this.nsForm.dataset.dirty;
    const els = this.nsForm.elements;
    const hhmm = (value) => (value ? String(value).slice(0, 5) : "");
    els.daily_reading_enabled.checked = Boolean(settings.daily_reading_enabled);
    els.delivery_time.value = hhmm(settings.delivery_time) || "07:00";
    els.quiet_hours_start.value = hhmm(settings.quiet_hours_start);
    els.quiet_hours_end.value = hhmm(settings.quiet_hours_end);
    els.chat_reply_enabled.checked = Boolean(settings.chat_reply_enabled);
  }

  async saveNotifications() {
    clearFormErrors(this.nsForm);
    const els = this.nsForm.elements;
    const body = {
      daily_reading_enabled: els.daily_reading_enabled.checked,
      delivery_time: els.delivery_time.value || "07:00",
      quiet_hours_start: els.quiet_hours_start.value || null,
      quiet_hours_end: els.quiet_hours_end.value || null,
      chat_reply_enabled: els.chat_reply_enabled.checked,
    };
    try {
      const { data } = await this.api.put("notifications/settings", body);
      this.settings = data;
      this.fillNotifications(data);
      formOk(this.nsForm, "Notification settings saved.");
    } catch (error) {
      showFormErrors(this.nsForm, error);
    }
  }
}
