// Today's reading card: shown from the history (reading it never creates one), replaced live
// by every `reading.daily` frame (the morning push, or the state sent on connect).

import { $, announce, formatDate, h, localDate } from "./dom.js";

/** "HH:MM" now in an IANA time zone. */
function localTime(timeZone) {
  try {
    return new Intl.DateTimeFormat("en-GB", { timeZone, hour: "2-digit", minute: "2-digit", hourCycle: "h23" })
      .format(new Date());
  } catch {
    return "00:00";
  }
}

export class Reading {
  constructor({ api, socket }) {
    this.api = api;
    this.reading = null;
    this.state = "idle"; // idle, loading, none, no-birth-date, ready, error
    this.user = null;
    this.deliveryTime = "07:00";
    this.body = $("#reading-body");
    this.card = $("#reading-card");
    // Once: a view shown again would otherwise replay the highlight.
    this.card.addEventListener("animationend", () => this.card.classList.remove("arrived"));
    socket.addEventListener("frame", (event) => {
      const frame = event.detail.frame;
      if (frame.type === "reading.daily") this.receive(frame.data, { live: true });
    });
    socket.addEventListener("resync", () => this.load({ force: true }));
  }

  async init(user) {
    this.user = user;
    await this.load({ force: true });
  }

  setUser(user) {
    const changed = !this.user || this.user.date_of_birth !== user.date_of_birth
      || this.user.timezone !== user.timezone;
    this.user = user;
    if (changed) this.load({ force: true });
  }

  today() {
    return localDate(this.user ? this.user.timezone : undefined);
  }

  /** Reads today's state from the history; `force` skips the one-minute reuse. */
  async load({ force = false } = {}) {
    if (!this.user) return;
    if (!force && this.state !== "error" && Date.now() - (this.loadedAt || 0) < 60_000) return;
    this.loadedAt = Date.now();
    if (!this.user.date_of_birth) {
      this.state = "no-birth-date";
      return this.render();
    }
    if (!this.reading) {
      this.state = "loading";
      this.render();
    }
    try {
      const { data } = await this.api.get("numerology/daily-reading/history", { limit: 1 });
      const latest = data[0];
      if (latest && latest.date === this.today()) this.receive(latest, { live: false });
      else if (!this.reading || this.reading.date !== this.today()) {
        this.state = "none";
        this.render();
      }
    } catch (error) {
      if (!this.reading) {
        this.state = "error";
        this.error = error.message;
        this.render();
      }
    }
  }

  /** Generate today's reading now instead of waiting for the delivery time. */
  async fetchNow(button) {
    button.disabled = true;
    try {
      const { data } = await this.api.get("numerology/daily-reading");
      this.receive(data, { live: false });
    } catch (error) {
      this.state = "error";
      this.error = error.message;
      this.render();
    } finally {
      button.disabled = false;
    }
  }

  receive(reading, { live }) {
    if (this.reading && reading.date < this.reading.date) return; // an older day: keep today's
    const isNew = !this.reading || this.reading.id !== reading.id;
    this.reading = reading;
    this.state = "ready";
    this.render();
    if (isNew && live) {
      this.card.classList.remove("arrived");
      void this.card.offsetWidth; // restart the highlight animation
      this.card.classList.add("arrived");
      announce("Your daily reading has arrived.");
    }
  }

  render() {
    const body = this.body;
    this.card.dataset.state = this.state;
    if (this.state === "loading" || this.state === "idle") {
      body.replaceChildren(h("p", { class: "muted", text: "Loading…" }));
      return;
    }
    if (this.state === "no-birth-date") {
      body.replaceChildren(h("p", {},
        "Daily readings are built from your date of birth. ",
        h("a", { href: "#/profile", text: "Add it to your profile" }), "."));
      return;
    }
    if (this.state === "error") {
      body.replaceChildren(h("p", { class: "form-error", text: `Could not load your reading: ${this.error}` }));
      return;
    }
    if (this.state === "none") {
      const button = h("button", { type: "button", class: "secondary", text: "Get today’s reading now" });
      button.addEventListener("click", () => this.fetchNow(button));
      const due = localTime(this.user && this.user.timezone) >= this.deliveryTime;
      body.replaceChildren(
        h("p", {}, due
          ? `Your reading for ${formatDate(this.today())} is being prepared (your delivery time is ${this.deliveryTime}) and appears here by itself.`
          : `Your reading for ${formatDate(this.today())} arrives at ${this.deliveryTime} (your delivery time) and appears here by itself.`),
        button,
      );
      return;
    }
    const r = this.reading;
    const day = r.personal_day || {};
    const dayMeaning = day.meaning || {};
    const swatch = h("span", { class: "swatch", "aria-hidden": "true" });
    if (r.lucky_colour && /^#[0-9a-fA-F]{3,8}$/.test(r.lucky_colour.hex || "")) {
      swatch.style.setProperty("--swatch", r.lucky_colour.hex); // CSSOM: allowed by the CSP
    }
    const cycle = (label, number) => h("div", { class: "stat" },
      h("dt", { text: label }),
      h("dd", {}, h("span", { class: "stat-number", text: number ? number.value : "–" }),
        number && number.meaning ? h("span", { class: "stat-caption", text: number.meaning.title.split("—").pop().trim() }) : null));
    body.replaceChildren(
      h("p", { class: "reading-date" }, h("time", { datetime: r.date, text: formatDate(r.date, { dateStyle: "full" }) })),
      h("div", { class: "reading-hero" },
        h("div", { class: "big-number", "aria-hidden": "true", text: day.value ?? "" }),
        h("div", {},
          h("h3", { class: "reading-day-title", text: dayMeaning.title || `Personal Day ${day.value}` }),
          h("p", { text: dayMeaning.description || "" }))),
      h("dl", { class: "stats" },
        h("div", { class: "stat" }, h("dt", { text: "Lucky number" }),
          h("dd", {}, h("span", { class: "stat-number lucky-number", text: r.lucky_number }))),
        h("div", { class: "stat" }, h("dt", { text: "Lucky colour" }),
          h("dd", {}, swatch, h("span", { class: "lucky-colour", text: r.lucky_colour ? r.lucky_colour.name : "" }))),
        cycle("Personal month", r.personal_month),
        cycle("Personal year", r.personal_year)),
      h("blockquote", { class: "affirmation" }, h("p", { text: r.affirmation })),
    );
  }
}
