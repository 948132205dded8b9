"""The page and its assets as the server serves them (no browser needed)."""

import re
from pathlib import Path

import pytest

STATIC = Path(__file__).resolve().parents[2] / "web" / "static" / "web"


@pytest.fixture
def page(client):
    return client.get("/", HTTP_HOST="127.0.0.1:8000")


def test_the_page_is_served_at_the_root_with_a_strict_csp(page):
    assert page.status_code == 200
    assert page["Content-Type"].startswith("text/html")
    csp = dict(part.strip().split(" ", 1) for part in page["Content-Security-Policy"].split(";"))
    assert csp["default-src"] == "'self'"
    assert csp["script-src"] == "'self'" and csp["style-src"] == "'self'"
    assert csp["connect-src"] == "'self' ws://127.0.0.1:8000 wss://127.0.0.1:8000"
    assert csp["frame-ancestors"] == "'none'"
    assert page["X-Frame-Options"] == "DENY"


def test_no_inline_script_or_style_and_nothing_from_another_origin(page):
    html = page.content.decode()
    scripts = re.findall(r"<script\b[^>]*>", html)
    assert scripts and all('src="/static/web/' in tag and 'type="module"' in tag for tag in scripts)
    assert "<style" not in html and " style=" not in html
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)
    for asset in STATIC.iterdir():
        text = asset.read_text()
        assert not re.search(r"https?://(?!www\.w3\.org/2000/svg)", text), asset.name
        assert "innerHTML" not in text and "eval(" not in text, asset.name


@pytest.mark.parametrize("name", ["app.js", "api.js", "socket.js", "chat.js", "app.css"])
def test_assets_are_served_without_collectstatic(client, name):
    response = client.get(f"/static/web/{name}")
    assert response.status_code == 200
    expected = "text/css" if name.endswith(".css") else "text/javascript"
    assert response["Content-Type"].startswith(expected)


def test_every_module_import_resolves():
    for module in STATIC.glob("*.js"):
        for imported in re.findall(r'from "\./([\w.]+)"', module.read_text()):
            assert (STATIC / imported).exists(), f"{module.name} imports missing {imported}"
