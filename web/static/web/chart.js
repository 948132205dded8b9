// The birth chart (GET numerology/profile) with the meaning of every number.

import { $, h } from "./dom.js";

const CORE = [
  ["life_path", "Life Path", "The road you walk: your main lesson and direction."],
  ["expression", "Expression", "Your natural talents, from the letters of your full birth name."],
  ["soul_urge", "Soul Urge", "What you long for deep down, from the vowels of your name."],
  ["personality", "Personality", "How others first see you, from the consonants of your name."],
  ["birthday", "Birthday", "A special gift carried by the day you were born."],
  ["maturity", "Maturity", "Where life leads you in its second half."],
];
const CYCLES = [
  ["personal_year", "Personal year"],
  ["personal_month", "Personal month"],
  ["personal_day", "Personal day"],
];
// The Lo Shu magic square, as traditionally drawn.
const LO_SHU = [[4, 9, 2], [3, 5, 7], [8, 1, 6]];

function meaningBlock(meaning, { headingLevel = "h3", open = false } = {}) {
  if (!meaning) return null;
  const list = (title, items) => (items && items.length
    ? h("div", {}, h("h4", { text: title }), h("ul", {}, items.map((item) => h("li", { text: item }))))
    : null);
  return h("div", { class: "meaning" },
    h(headingLevel, { class: "meaning-title", text: meaning.title }),
    meaning.keywords && meaning.keywords.length
      ? h("ul", { class: "keywords", "aria-label": "Keywords" }, meaning.keywords.map((k) => h("li", { text: k })))
      : null,
    h("p", { text: meaning.description }),
    (meaning.strengths && meaning.strengths.length) || (meaning.challenges && meaning.challenges.length)
      ? h("details", { open },
        h("summary", { text: "Strengths and challenges" }),
        h("div", { class: "grid-2" }, list("Strengths", meaning.strengths), list("Challenges", meaning.challenges)))
      : null);
}

function numberCard(key, label, blurb, number) {
  if (!number) return null;
  const extra = [];
  if (number.compound) extra.push(`compound ${number.compound}`);
  if (number.karmic_debt) extra.push(`karmic debt ${number.karmic_debt}`);
  return h("article", { class: "number-card panel", "data-number": key },
    h("div", { class: "number-head" },
      h("span", { class: "big-number", text: number.value }),
      h("div", {},
        h("h3", { class: "number-label", text: label }),
        h("p", { class: "muted small-text", text: blurb }),
        extra.length ? h("p", { class: "muted small-text", text: extra.join(" · ") }) : null)),
    meaningBlock(number.meaning, { headingLevel: "h4" }),
    number.karmic_debt_meaning ? meaningBlock(number.karmic_debt_meaning, { headingLevel: "h4" }) : null);
}

function meaningList(title, intro, meanings) {
  if (!meanings || !meanings.length) return null;
  return h("section", { class: "panel" },
    h("h2", { text: title }),
    h("p", { class: "muted", text: intro }),
    meanings.map((m) => meaningBlock(m, { headingLevel: "h3" })));
}

export class Chart {
  constructor({ api }) {
    this.api = api;
    this.chart = null;
    this.loading = null;
    this.body = $("#chart-body");
  }

  invalidate() {
    this.chart = null;
  }

  async show() {
    if (this.chart) return;
    if (this.loading) return this.loading;
    this.body.replaceChildren(h("p", { class: "muted", text: "Calculating your chart…" }));
    this.loading = this.load().finally(() => {
      this.loading = null;
    });
    return this.loading;
  }

  async load() {
    try {
      const { data } = await this.api.get("numerology/profile");
      this.chart = data;
      this.render();
    } catch (error) {
      if (error.code === "PROFILE_INCOMPLETE" || error.status === 409) {
        this.body.replaceChildren(h("p", { class: "panel" },
          "Your chart is calculated from your date of birth. ",
          h("a", { href: "#/profile", text: "Add it to your profile" }), "."));
      } else {
        this.body.replaceChildren(h("p", { class: "form-error", text: `Could not load your chart: ${error.message}` }));
      }
    }
  }

  render() {
    const c = this.chart;
    const numbers = c.numbers || {};
    const meanings = c.meanings || {};
    const loShu = c.lo_shu || { counts: {} };
    const grid = h("table", { class: "lo-shu" },
      h("caption", { text: "Lo Shu grid: each digit of your birth date in its square" }),
      h("tbody", {}, LO_SHU.map((row) => h("tr", {}, row.map((digit) => {
        const count = Number(loShu.counts[String(digit)] || 0);
        return h("td", {
          class: count ? "present" : "missing",
          "aria-label": count ? `${digit}: ${count} time${count > 1 ? "s" : ""}` : `${digit}: missing`,
        }, count ? String(digit).repeat(count) : h("span", { class: "muted", text: "·" }));
      })))));
    this.body.replaceChildren(
      h("p", { class: "muted" },
        `Calculated for ${c.name && c.name.normalized ? c.name.normalized : "your name"} with the `,
        `${c.options ? c.options.system : "Pythagorean"} system.`),
      h("section", { "aria-labelledby": "core-title" },
        h("h2", { id: "core-title", text: "Core numbers" }),
        h("div", { class: "cards" }, CORE.map(([key, label, blurb]) => numberCard(key, label, blurb, numbers[key])))),
      h("section", { "aria-labelledby": "cycles-title" },
        h("h2", { id: "cycles-title", text: "Your cycles now" }),
        h("div", { class: "cards" }, CYCLES.map(([key, label]) => numberCard(key, label, "", numbers[key])))),
      c.pinnacles && c.pinnacles.length ? h("section", { class: "panel", "aria-labelledby": "pinnacles-title" },
        h("h2", { id: "pinnacles-title", text: "Pinnacles" }),
        h("p", { class: "muted", text: "The four long chapters of life and the energy of each." }),
        h("ol", { class: "pinnacles" }, c.pinnacles.map((p) => h("li", {},
          h("p", { class: "pinnacle-age", text: p.to_age ? `Age ${p.from_age}–${p.to_age}` : `From age ${p.from_age}` }),
          meaningBlock(p.meaning, { headingLevel: "h3" }))))) : null,
      meaningList("Challenges", `Your challenge numbers: ${(c.challenges || []).join(", ")}.`, meanings.challenges),
      meaningList("Karmic lessons", `Numbers missing from your name: ${(c.karmic_lessons || []).join(", ") || "none"}.`, meanings.karmic_lessons),
      meaningList("Hidden passion", `The most frequent numbers in your name: ${(c.hidden_passion || []).join(", ")}.`, meanings.hidden_passion),
      h("section", { class: "panel two-up" },
        h("div", {},
          h("h2", { text: "Lo Shu grid" }),
          grid,
          h("p", { class: "small-text" },
            `Driver ${loShu.driver ?? "–"} · Conductor ${loShu.conductor ?? "–"}`,
            loShu.missing && loShu.missing.length ? ` · Missing: ${loShu.missing.join(", ")}` : "")),
        c.chaldean ? h("div", {},
          h("h2", { text: "Chaldean name number" }),
          h("p", {}, h("span", { class: "big-number", text: c.chaldean.value }),
            c.chaldean.compound ? ` (compound ${c.chaldean.compound})` : ""),
          meaningBlock(c.chaldean.meaning, { headingLevel: "h3" })) : null),
    );
  }
}
