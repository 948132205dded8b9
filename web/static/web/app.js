// NumerAI web client: routing, the signed-out views, and wiring of the signed-in ones.

import { Api, Auth } from "./api.js";
import { Chart } from "./chart.js";
import { Chat } from "./chat.js";
import {
  $, $$, announce, browserTimeZone, busy, clearFormErrors, fillTimeZones, formOk, showBanner,
  showFormErrors,
} from "./dom.js";
import { Profile } from "./profile.js";
import { Reading } from "./reading.js";
import { RealtimeClient } from "./socket.js";

const KNOWN_KEY = "numerai.known"; // this browser has signed in before: default to "Sign in"
const FLASH_KEY = "numerai.flash";
const PENDING_EMAIL_KEY = "numerai.verify.email";

const auth = new Auth();
const api = new Api(auth);
const socket = new RealtimeClient({ auth, api });
const chat = new Chat({ api, socket, navigate });
const reading = new Reading({ api, socket });
const chart = new Chart({ api });
const profile = new Profile({ api, auth, onUser: userChanged });

let sessionStarted = false;
let currentView = null;

// Debugging and the browser tests read this (never anything secret).
window.numerai = { socket, chat, reading, get stats() { return socket.stats; } };

const SIGNED_OUT_VIEWS = new Set(["signup", "login"]);
const TITLES = {
  signup: "Create your account", login: "Sign in", verify: "Verify your email",
  chat: "Chat", today: "Today", chart: "Birth chart", profile: "Profile",
};

function parseHash() {
  const parts = location.hash.replace(/^#\/?/, "").split("/").filter(Boolean);
  return { view: parts[0] || "", arg: parts[1] || null };
}

/** Go to a route; `silent` only rewrites the address (the view already shows it). */
export function navigate(hash, { silent = false } = {}) {
  if (silent) {
    history.replaceState(null, "", hash);
    markNav(parseHash().view);
    return;
  }
  if (location.hash === hash) route();
  else location.hash = hash;
}

function markNav(view) {
  for (const link of $$(".mainnav a")) {
    if (link.dataset.nav === view) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}

function showView(view) {
  $("#booting").hidden = true;
  for (const section of $$(".view")) section.hidden = section.id !== `view-${view}`;
  document.title = `${TITLES[view] || "NumerAI"} · NumerAI`;
  markNav(view);
  const signedIn = auth.signedIn && auth.user && auth.user.is_verified;
  $(".mainnav").hidden = !signedIn;
  $("#signout").hidden = !auth.signedIn;
  if (currentView !== null && currentView !== view) {
    // Another view: move focus to its heading so keyboard and screen reader users follow.
    const heading = $(`#view-${view} h1`);
    if (heading) {
      heading.setAttribute("tabindex", "-1");
      heading.focus({ preventScroll: true });
    }
  }
  currentView = view;
}

function route() {
  const { view, arg } = parseHash();
  if (!auth.signedIn) {
    const target = SIGNED_OUT_VIEWS.has(view) ? view
      : localStorage.getItem(KNOWN_KEY) ? "login" : "signup";
    if (view !== target) return navigate(`#/${target}`);
    return showView(target);
  }
  if (!auth.user || !auth.user.is_verified) {
    if (view !== "verify") return navigate("#/verify");
    $("#verify-destination").textContent = (auth.user && (auth.user.email || auth.user.phone))
      || sessionStorage.getItem(PENDING_EMAIL_KEY) || "your email";
    return showView("verify");
  }
  startSession();
  switch (view) {
    case "chat":
      showView("chat");
      chat.show(arg);
      return;
    case "today":
      showView("today");
      reading.load();
      return;
    case "chart":
      showView("chart");
      chart.show();
      return;
    case "profile":
      showView("profile");
      profile.show();
      return;
    default:
      navigate("#/chat");
  }
}

function startSession() {
  if (sessionStarted) return;
  sessionStarted = true;
  const user = auth.user;
  localStorage.setItem(KNOWN_KEY, "1");
  $("#connection").hidden = false;
  socket.start(user.id);
  chat.refreshConversations();
  reading.init(user);
  // Also makes sure the server has computed the chart, which the chat guide answers from.
  if (user.date_of_birth) chart.show();
  profile.loadNotifications().then((settings) => {
    if (settings && settings.delivery_time) {
      reading.deliveryTime = String(settings.delivery_time).slice(0, 5);
      if (reading.state === "none") reading.render();
    }
  });
}

function userChanged(user, before) {
  reading.setUser(user);
  if (user.date_of_birth !== before.date_of_birth || user.full_name !== before.full_name
    || user.birth_name !== before.birth_name || user.timezone !== before.timezone) {
    chart.invalidate();
  }
  if (!user.is_verified) {
    sessionStorage.setItem(PENDING_EMAIL_KEY, user.email || "");
    announce("Your new email address needs verifying.");
    navigate("#/verify");
  }
}

/** Leave the signed-in state completely: a reload clears every piece of in-memory state. */
function restart(message) {
  if (message) sessionStorage.setItem(FLASH_KEY, message);
  location.hash = "#/login";
  location.reload();
}

// --- connection indicator -------------------------------------------------------------------

const CONNECTION_TEXT = {
  idle: "Offline", connecting: "Connecting…", authenticating: "Connecting…", open: "Live",
  waiting: "Reconnecting…", offline: "Offline", blocked: "Not connected", stopped: "Offline",
};

socket.addEventListener("status", (event) => {
  const state = event.detail.state;
  const indicator = $("#connection");
  indicator.dataset.state = state;
  $(".connection-text", indicator).textContent = CONNECTION_TEXT[state] || state;
  indicator.title = state === "open" ? "Live updates are on" : "Live updates are paused; they resume by themselves";
});
socket.addEventListener("fatal", (event) => showBanner(event.detail.message));
socket.addEventListener("frame", (event) => {
  const frame = event.detail.frame;
  if (frame.type === "notification" && frame.data) {
    showBanner(`${frame.data.title}: ${frame.data.body}`, { tone: "info" });
  }
});
auth.addEventListener("signedout", (event) => {
  socket.stop();
  restart(event.detail.reason);
});

// --- signed-out forms -----------------------------------------------------------------------

$("#signup-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  busy(form, async () => {
    clearFormErrors(form);
    const els = form.elements;
    const email = els.email.value.trim();
    const password = els.password.value;
    try {
      await api.anonymous("POST", "auth/register", {
        full_name: els.full_name.value.trim(),
        email,
        password,
        date_of_birth: els.date_of_birth.value || null,
        timezone: els.timezone.value || browserTimeZone(),
      });
      const login = await api.anonymous("POST", "auth/login", { email, password });
      sessionStorage.setItem(PENDING_EMAIL_KEY, email);
      auth.setPair(login.data);
      form.reset();
      navigate("#/verify");
    } catch (error) {
      showFormErrors(form, error);
    }
  });
});

$("#verify-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  busy(form, async () => {
    clearFormErrors(form);
    const email = (auth.user && auth.user.email) || sessionStorage.getItem(PENDING_EMAIL_KEY);
    try {
      const { data } = await api.anonymous("POST", "auth/verify-otp", {
        email, code: form.elements.code.value.trim(),
      });
      auth.setUser(data);
      sessionStorage.removeItem(PENDING_EMAIL_KEY);
      form.reset();
      announce("Email verified. Welcome!");
      navigate("#/chat");
    } catch (error) {
      showFormErrors(form, error);
    }
  });
});

$("#verify-resend").addEventListener("click", async () => {
  const form = $("#verify-form");
  clearFormErrors(form);
  const email = (auth.user && auth.user.email) || sessionStorage.getItem(PENDING_EMAIL_KEY);
  try {
    await api.anonymous("POST", "auth/resend-otp", { email });
    formOk(form, "A new code is on its way.");
  } catch (error) {
    showFormErrors(form, error);
  }
});

$("#login-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  busy(form, async () => {
    clearFormErrors(form);
    const els = form.elements;
    try {
      const { data } = await api.anonymous("POST", "auth/login", {
        email: els.email.value.trim(), password: els.password.value,
      });
      auth.setPair(data);
      form.reset();
      showBanner(null);
      navigate(data.user && data.user.is_verified ? "#/chat" : "#/verify");
    } catch (error) {
      showFormErrors(form, error);
    }
  });
});

$("#signout").addEventListener("click", async () => {
  socket.stop();
  await auth.signOut(); // dispatches "signedout" → restart
});

// --- boot ----------------------------------------------------------------------------------

async function boot() {
  fillTimeZones(browserTimeZone());
  const flash = sessionStorage.getItem(FLASH_KEY);
  if (flash) {
    sessionStorage.removeItem(FLASH_KEY);
    showBanner(flash, { tone: "info" });
  }
  if (auth.signedIn) {
    try {
      const { data } = await api.get("users/profile");
      auth.setUser(data);
    } catch (error) {
      if (error.status === 401) auth.signOutLocally(null);
      // offline or a server hiccup: carry on with the stored user
    }
  }
  window.addEventListener("hashchange", route);
  route();
}

boot();
