"""The web client in a real browser against a real server, one user's session from sign-up on.

The steps run in order on one page (module-scoped `session`): sign up → verify → a streamed
reply → stop a reply → reload mid-reply → a reading pushed live → the network dropped mid-reply
→ chart, profile and a phone-width window. Screenshots of the main views go to var/screenshots/.
"""

from __future__ import annotations

import re
import time
import uuid
from types import SimpleNamespace

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from tests.support.server import PASSWORD, manage, rest
from tests.web.conftest import ACCESS_TOKEN_LIFETIME_S, read_code, screenshot

pytestmark = pytest.mark.timeout(120)
# CI machines can be busy (password hashing, a server and a browser on the same cores).
expect.set_options(timeout=15_000)

REPLY_TIMEOUT_MS = 30_000


@pytest.fixture(scope="module")
def session(server, browser):
    """A new user signs up and verifies through the page; the page stays open for every step."""
    context = browser.new_context(viewport={"width": 1280, "height": 860}, locale="en-GB",
                                  timezone_id="Europe/London")
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on("console", lambda message: problems.append(f"console: {message.text}")
            if "Content Security Policy" in message.text else None)
    http_errors: list[str] = []  # for diagnosing a failure (some 4xx are expected)
    page.on("response", lambda response: http_errors.append(
        f"{time.strftime('%H:%M:%S')} {response.status} {response.request.method} {response.url}")
        if response.status >= 400 else None)
    page.on("console", lambda message: http_errors.append(
        f"{time.strftime('%H:%M:%S')} console {message.type}: {message.text}")
        if message.type in ("error", "warning") else None)
    email = f"web-{uuid.uuid4().hex[:10]}@example.com"

    page.goto(server.base + "/")
    signup = page.get_by_role("region", name="Create your account")
    expect(signup).to_be_visible()
    page.keyboard.press("Tab")  # keyboard users first meet the skip link
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    signup.get_by_label("Full name").fill("Ada Lovelace")
    signup.get_by_label("Email").fill(email)
    signup.get_by_label("Password").fill(PASSWORD)
    signup.get_by_label("Date of birth").fill("1990-12-10")
    expect(signup.get_by_label("Time zone")).to_have_value("Europe/London")
    screenshot(page, "01-sign-up")
    signup.get_by_role("button", name="Create account").click()

    verify = page.get_by_role("region", name="Check your email")
    expect(verify).to_be_visible(timeout=30_000)  # two password hashes: slow on a busy machine
    expect(verify).to_contain_text(email)
    expect(verify).to_contain_text("printed in the server's console")
    code = read_code(server.mail, email)
    screenshot(page, "02-verify")
    verify.get_by_label("Verification code").fill(code)
    verify.get_by_role("button", name="Verify").click()

    expect(page.locator("#view-chat")).to_be_visible()
    expect(page.locator("#connection")).to_have_attribute("data-state", "open", timeout=15_000)
    yield SimpleNamespace(page=page, context=context, server=server, email=email,
                          problems=problems, http_errors=http_errors)
    context.close()


@pytest.fixture(autouse=True)
def _diagnostics_on_failure(request, session):
    """A failing step prints the page's HTTP errors and the end of the server's log."""
    yield
    report = getattr(request.node, "rep_call", None)
    if report is None or not report.failed:
        return
    print("---- page: HTTP errors and console messages ----")
    print("\n".join(session.http_errors[-40:]))
    if session.server.log_path.exists():
        print("---- server log (tail) ----")
        print(session.server.log_path.read_text(errors="replace")[-6000:])


# --- helpers ----------------------------------------------------------------------------------

def token(page) -> str:
    return page.evaluate("() => JSON.parse(localStorage.getItem('numerai.auth')).access")


def api(session, method, path, body=None):
    return rest(session.server.base, method, "/api/v1/" + path, body, token(session.page))


def conversation_id(page) -> str:
    match = re.search(r"#/chat/([0-9a-f-]{36})", page.url)
    assert match, page.url
    return match.group(1)


def stored_message(session, message_id: str) -> dict:
    cid = conversation_id(session.page)
    messages = api(session, "GET", f"ai/conversations/{cid}/messages?limit=100")["data"]
    return next(m for m in messages if m["id"] == message_id)


def send(page, text: str) -> str:
    """Types and sends a message; returns the id of the reply it starts."""
    replies = page.locator(".msg-assistant")
    known = set(replies.evaluate_all("(els) => els.map((el) => el.dataset.messageId)"))
    box = page.get_by_label("Your message")
    box.fill(text)
    box.press("Enter")
    handle = page.wait_for_function(
        """(known) => Array.from(document.querySelectorAll('.msg-assistant'))
              .map((el) => el.dataset.messageId).find((id) => id && !known.includes(id))""",
        arg=list(known),
    )
    return handle.json_value()


def reply_state(page, message_id):
    """(status, text) of a reply as the page shows it; None while the page is (re)loading."""
    try:
        return page.evaluate(
            """(id) => {
                const el = document.querySelector(`.msg[data-message-id="${id}"]`);
                return el ? [el.dataset.status, el.querySelector('.msg-text').textContent,
                             el.dataset.finishReason || null] : null;
            }""",
            message_id,
        )
    except PlaywrightError:  # the execution context went away (a reload)
        return None


def wait_for_text(page, message_id, min_chars: int, timeout: float = 15) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = reply_state(page, message_id)
        if state and len(state[1]) >= min_chars:
            assert state[0] == "streaming", f"the reply finished too early: {state}"
            return state[1]
        time.sleep(0.05)
    raise AssertionError(f"the reply never reached {min_chars} characters")


def follow_until_complete(page, message_id, timeout: float = 30) -> list[str]:
    """Every text the page shows for the reply, until it is complete (the last one)."""
    samples = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = reply_state(page, message_id)
        if state:
            samples.append(state[1])
            if state[0] == "complete":
                return samples
        time.sleep(0.1)
    raise AssertionError(f"the reply did not complete; last texts: {samples[-3:]}")


def assert_never_duplicated(samples: list[str], final: str) -> None:
    """Each text shown along the way is the start of the final text: nothing twice, no holes."""
    for text in samples:
        assert final.startswith(text), f"shown {text!r}, which the final text does not start with"


# --- the steps --------------------------------------------------------------------------------

def test_sign_up_and_verify(session):
    page = session.page
    profile = api(session, "GET", "users/profile")["data"]
    assert profile["email"] == session.email and profile["is_verified"] is True
    assert profile["timezone"] == "Europe/London" and profile["date_of_birth"] == "1990-12-10"
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()
    expect(page.locator("#connection")).to_contain_text("Live")
    screenshot(page, "03-chat-new")


def test_a_reply_streams_word_by_word(session):
    page = session.page
    message_id = send(page, "What is my life path?")
    first = wait_for_text(page, message_id, 1)
    lengths = [len(first)]
    for _ in range(3):
        time.sleep(0.5)
        status, text, _ = reply_state(page, message_id)
        assert status == "streaming"
        lengths.append(len(text))
    assert lengths == sorted(lengths) and lengths[-1] > lengths[0], lengths
    screenshot(page, "04-chat-streaming")
    samples = follow_until_complete(page, message_id)
    final = samples[-1]
    assert_never_duplicated(samples, final)
    stored = stored_message(session, message_id)
    assert stored["status"] == "complete" and stored["finish_reason"] == "stop"
    assert final == stored["content"]
    reply = page.locator(f'.msg[data-message-id="{message_id}"]')
    expect(reply).to_have_attribute("aria-busy", "false")
    # After the first reply the server titles the conversation; the list follows live.
    cid = conversation_id(page)
    title = page.locator(f'a[data-conversation-id="{cid}"]')
    expect(title).not_to_have_text(re.compile("New conversation"))
    expect(page.locator("#conversation-title")).to_have_text(title.locator(".conversation-name").inner_text())
    screenshot(page, "05-chat-reply")


def test_stop_a_reply(session):
    page = session.page
    message_id = send(page, "Tell me about my whole chart")
    wait_for_text(page, message_id, 40)
    stop = page.get_by_role("button", name="Stop")
    expect(stop).to_be_visible()
    stop.click()
    reply = page.locator(f'.msg[data-message-id="{message_id}"]')
    expect(reply).to_have_attribute("data-finish-reason", "cancelled", timeout=REPLY_TIMEOUT_MS)
    expect(reply.locator(".msg-note")).to_have_text("Stopped")
    expect(page.get_by_role("button", name="Send")).to_be_visible()
    stored = stored_message(session, message_id)
    assert stored["finish_reason"] == "cancelled"
    assert reply.locator(".msg-text").text_content() == stored["content"]
    screenshot(page, "06-chat-stopped")


def test_reload_mid_reply_completes_the_reply(session):
    page = session.page
    message_id = send(page, "What does today hold for me?")
    before = wait_for_text(page, message_id, 60)
    page.reload()
    samples = follow_until_complete(page, message_id)
    final = samples[-1]
    assert final.startswith(before)
    assert_never_duplicated(samples, final)
    assert final == stored_message(session, message_id)["content"]
    stats = page.evaluate("() => window.numerai.stats")
    assert stats["welcomes"] >= 1 and stats["resumes"] >= 1, stats  # resumed from the offset
    # Exactly one copy of the reply on the page.
    expect(page.locator(f'.msg[data-message-id="{message_id}"]')).to_have_count(1)


def test_a_reading_pushed_by_the_server_appears_live(session):
    page = session.page
    page.get_by_role("link", name="Today", exact=True).click()
    card = page.locator("#reading-card")
    expect(card).to_have_attribute("data-state", "none")
    expect(card).to_contain_text("appears here by itself")
    screenshot(page, "07-today-waiting")
    page.evaluate("() => { window.__sameDocument = true; }")
    if session.server.scaled:
        # The command publishes through Redis, like the scheduled generation on a worker.
        manage(session.server.env, "readings_generate", "--user", session.email)
    else:
        # Embedded default: the in-memory channel layer lives in the server process, so the
        # reading is created there: by the first request of the day from another device.
        rest(session.server.base, "GET", "/api/v1/numerology/daily-reading", None, token(page))
    expect(card).to_have_attribute("data-state", "ready", timeout=15_000)
    reading = api(session, "GET", "numerology/daily-reading/history?limit=1")["data"][0]
    expect(card.locator(".lucky-number")).to_have_text(str(reading["lucky_number"]))
    expect(card.locator(".affirmation")).to_have_text(reading["affirmation"])
    expect(card.locator(".lucky-colour")).to_have_text(reading["lucky_colour"]["name"])
    assert page.evaluate("() => window.__sameDocument === true"), "the page was reloaded"
    screenshot(page, "08-today-reading")


def test_network_drop_mid_reply_shows_the_whole_reply_once(session):
    page, context = session.page, session.context
    page.get_by_role("link", name="Chat", exact=True).click()
    page.locator("a.conversation-link").first.click()
    expect(page.locator(".msg-assistant").first).to_be_visible()
    connects = page.evaluate("() => window.numerai.stats.connects")
    message_id = send(page, "What about my expression number?")
    before = wait_for_text(page, message_id, 40)
    context.set_offline(True)
    expect(page.locator("#connection")).to_have_attribute("data-state", "offline")
    screenshot(page, "09-chat-offline")
    time.sleep(2)  # the reply goes on on the server meanwhile
    context.set_offline(False)
    samples = follow_until_complete(page, message_id)
    final = samples[-1]
    assert final.startswith(before)
    assert_never_duplicated(samples, final)
    assert final == stored_message(session, message_id)["content"]
    expect(page.locator("#connection")).to_have_attribute("data-state", "open")
    assert page.evaluate("() => window.numerai.stats.connects") > connects
    expect(page.locator(f'.msg[data-message-id="{message_id}"]')).to_have_count(1)


def test_rename_and_delete_a_conversation(session):
    page = session.page
    cid = conversation_id(page)
    page.get_by_role("button", name="Rename").click()
    page.get_by_label("New title").fill("My numbers")
    page.get_by_label("New title").press("Enter")
    expect(page.locator("#conversation-title")).to_have_text("My numbers")
    expect(page.locator(f'a[data-conversation-id="{cid}"]')).to_contain_text("My numbers")
    assert api(session, "GET", f"ai/conversations/{cid}")["data"]["title"] == "My numbers"
    # A second conversation to delete.
    page.get_by_role("button", name="New chat").click()
    message_id = send(page, "Hello!")
    follow_until_complete(page, message_id)
    doomed = conversation_id(page)
    page.get_by_role("button", name="Delete").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    screenshot(page, "10-chat-delete")
    dialog.get_by_role("button", name="Delete").click()
    expect(page.locator(f'a[data-conversation-id="{doomed}"]')).to_have_count(0)
    expect(page.locator("#conversation-title")).to_have_text("New conversation")
    ids = [c["id"] for c in api(session, "GET", "ai/conversations")["data"]]
    assert doomed not in ids and cid in ids


def test_chart_profile_and_phone_width(session):
    page = session.page
    page.get_by_role("link", name="Birth chart", exact=True).click()
    life_path = page.locator('[data-number="life_path"]')
    expect(life_path).to_contain_text("Life Path")
    expect(life_path.locator(".meaning-title")).to_contain_text("Life Path")
    screenshot(page, "11-birth-chart", full_page=True)

    page.get_by_role("link", name="Profile", exact=True).click()
    form = page.locator("#profile-form")
    expect(form.get_by_label("Full name")).to_have_value("Ada Lovelace")
    form.get_by_label("Birth name").fill("Augusta Ada Byron")
    form.get_by_role("button", name="Save profile").click()
    expect(form.locator("[data-form-ok]")).to_have_text("Profile saved.")
    assert api(session, "GET", "users/profile")["data"]["birth_name"] == "Augusta Ada Byron"
    # Notification settings show exactly when the server has the endpoint.
    try:
        api(session, "GET", "notifications/settings")
        has_settings = True
    except Exception:
        has_settings = False
    section = page.locator("#notifications-section")
    if has_settings:
        expect(section).to_be_visible()
    else:
        expect(section).to_be_hidden()
    screenshot(page, "12-profile", full_page=True)

    # Every visible form control has an accessible name.
    unnamed = page.evaluate(
        """() => Array.from(document.querySelectorAll('input, select, textarea, button'))
              .filter((el) => el.offsetParent !== null)
              .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                              && !el.getAttribute('aria-labelledby') && !el.textContent.trim())
              .map((el) => el.outerHTML)"""
    )
    assert unnamed == []

    page.set_viewport_size({"width": 360, "height": 740})
    page.get_by_role("link", name="Chat", exact=True).click()
    page.locator("#toggle-conversations").click()
    expect(page.locator("#conversations-panel")).to_be_visible()
    page.locator("a.conversation-link").first.click()
    expect(page.locator(".msg-assistant").first).to_be_visible()
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px at 360px"
    screenshot(page, "13-phone-chat")
    page.get_by_role("link", name="Today", exact=True).click()
    screenshot(page, "14-phone-today", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 860})
    page.emulate_media(color_scheme="dark")
    page.get_by_role("link", name="Chat", exact=True).click()
    expect(page.locator(".msg-assistant").first).to_be_visible()
    screenshot(page, "15-dark-chat")
    page.emulate_media(color_scheme="light")


def test_reconnect_backoff_is_exponential_with_full_jitter(session):
    delays = session.page.evaluate(
        """() => import('/static/web/socket.js').then(({ backoffDelay }) =>
              [0, 1, 2, 3, 5, 6, 10].map((n) => [backoffDelay(n, () => 0.999999),
                                                  backoffDelay(n, () => 0)]))"""
    )
    caps = [500, 1000, 2000, 4000, 16000, 30000, 30000]
    for (high, low), cap in zip(delays, caps, strict=True):
        assert low == 0 and cap * 0.999 < high < cap


def test_tokens_were_refreshed_and_nothing_broke(session):
    page = session.page
    # Access tokens live 20 s here: the page must have refreshed them, the socket included.
    page.wait_for_function("() => window.numerai.stats.refreshes >= 1",
                           timeout=(ACCESS_TOKEN_LIFETIME_S + 10) * 1000)
    expect(page.locator("#connection")).to_have_attribute("data-state", "open")
    assert session.problems == []
