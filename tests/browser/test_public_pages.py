"""The double opt-in and unsubscribe pages in a real browser, served by a real HTTP server.

The app runs under uvicorn in a thread, on a free port, against a SQLite file; headless
Chromium opens the links, presses the buttons (with the mouse and with the keyboard only) and
must see the success page, while the store shows what was recorded.
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.wait import WebDriverWait
from sqlalchemy import select

from privaat.api import create_app
from privaat.core.clock import SystemClock
from privaat.core.policy.model import Lang
from privaat.engine import links, orgs, subjects
from privaat.examples import example_text
from privaat.settings import Settings
from privaat.store.db import Store
from privaat.store.models import ConsentEvent, ConsentState, Organisation
from tests.conftest import TEST_SECRET


@dataclass
class Live:
    """A running privaat with one organisation (Jetstax) and one French-speaking subject."""

    store: Store
    org: Organisation
    subject: int
    signer: links.LinkSigner

    def confirmation_url(self, language: Lang = "nl") -> str:
        with self.store.transaction() as session:
            link = links.request_confirmation(
                session,
                org=self.org,
                subject_id=self.subject,
                purpose="newsletter",
                language=language,
                notice_sha256=None,
                now=SystemClock().now(),
                actor="test",
                signer=self.signer,
            )
        return link.url

    def unsubscribe_url(self, purpose: str = "newsletter") -> str:
        return links.unsubscribe_link(self.org, self.subject, purpose, signer=self.signer).url

    def events(self) -> list[ConsentEvent]:
        with self.store.reading() as session:
            return list(session.scalars(select(ConsentEvent).order_by(ConsentEvent.id)))

    def state(self, purpose: str) -> str | None:
        with self.store.reading() as session:
            row = session.get(ConsentState, (self.org.id, self.subject, purpose))
            return row.kind if row is not None else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def live(sqlite_template: Path, tmp_path: Path) -> Iterator[Live]:
    path = tmp_path / "privaat.sqlite3"
    shutil.copy(sqlite_template, path)
    url = f"sqlite:///{path}"
    port = _free_port()
    settings = Settings(
        environment="test",
        database_url=url,
        secret_key=TEST_SECRET,
        base_url=f"http://127.0.0.1:{port}",
    )
    store = Store(url)
    now = SystemClock().now()
    with store.transaction() as session:
        org = orgs.create_org(session, "jetstax", "Jetstax BV", now=now, actor="cli")
        orgs.load_version(session, org, example_text("jetstax"), now=now, actor="cli")
        subject = subjects.ensure(
            session,
            org.id,
            subjects.IdentityKind.EMAIL,
            "an@example.be",
            now=now,
            actor="cli",
            language="fr",
        )
    app = create_app(settings, store=store, clock=SystemClock())
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="off",
        ws="none",
        http="h11",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="privaat-live", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive(), "uvicorn stopped"
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield Live(store, org, subject, links.LinkSigner.from_settings(settings))
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        store.dispose()


def heading(browser: webdriver.Chrome) -> str:
    return browser.find_element(By.TAG_NAME, "h1").text


def wait_for_heading(browser: webdriver.Chrome, text: str) -> None:
    # while the page is replaced, reading the old h1 may fail in several ways (a stale
    # element, or Chromium's "node does not belong to the document"): try again
    WebDriverWait(browser, 15, ignored_exceptions=(WebDriverException,)).until(
        lambda b: heading(b) == text
    )


def assert_standalone(browser: webdriver.Chrome, lang: str) -> None:
    """One h1, the page's language, and nothing fetched from anywhere but the page itself."""
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == lang
    assert len(browser.find_elements(By.TAG_NAME, "h1")) == 1
    resources = browser.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
    )
    assert resources == []


def test_confirming_a_double_opt_in_in_the_browser(browser: webdriver.Chrome, live: Live) -> None:
    browser.set_window_size(1280, 900)
    browser.get(live.confirmation_url("nl"))
    assert heading(browser) == "Bevestig uw toestemming"
    assert_standalone(browser, "nl")
    assert "De nieuwsbrief van Jetstax" in browser.find_element(By.TAG_NAME, "main").text
    assert live.events() == [], "opening the link records nothing"

    browser.find_element(By.CSS_SELECTOR, "main form button").click()
    wait_for_heading(browser, "Bedankt: uw toestemming is bevestigd")
    [event] = live.events()
    assert (event.kind, event.channel) == ("given", "double_opt_in")
    assert event.ip == "127.0.0.0", "the address is kept truncated"
    assert "Chrome" in (event.user_agent or "")
    assert live.state("newsletter") == "given"

    # back and again: the link confirms once
    browser.back()
    browser.refresh()
    wait_for_heading(browser, "Bedankt: uw toestemming is bevestigd")
    assert len(live.events()) == 1


def test_unsubscribing_with_the_keyboard_alone(browser: webdriver.Chrome, live: Live) -> None:
    browser.set_window_size(1280, 900)
    browser.get(live.confirmation_url("fr"))
    browser.find_element(By.CSS_SELECTOR, "main form button").click()
    wait_for_heading(browser, "Merci : votre consentement est confirmé")

    browser.get(live.unsubscribe_url())
    assert heading(browser) == "Se désinscrire"  # the subject's language
    assert_standalone(browser, "fr")
    assert live.state("newsletter") == "given", "opening the link records nothing"

    # the button is the first thing the keyboard reaches, and Enter presses it
    browser.find_element(By.TAG_NAME, "body").send_keys(Keys.TAB)
    focused = browser.switch_to.active_element
    assert focused.tag_name == "button"
    focused.send_keys(Keys.ENTER)
    wait_for_heading(browser, "Votre désinscription est enregistrée")
    assert live.state("newsletter") == "withdrawn"
    assert [e.kind for e in live.events()] == ["given", "withdrawn"]


def test_switching_the_language_of_a_page(browser: webdriver.Chrome, live: Live) -> None:
    browser.set_window_size(1280, 900)
    browser.get(live.unsubscribe_url("direct_marketing"))
    browser.find_element(By.CSS_SELECTOR, "footer a[hreflang='en']").click()
    wait_for_heading(browser, "Unsubscribe")
    assert_standalone(browser, "en")
    browser.find_element(By.CSS_SELECTOR, "main form button").click()
    wait_for_heading(browser, "You have been unsubscribed")
    assert live.state("direct_marketing") == "objected"


def test_an_expired_or_broken_link_shows_a_page(browser: webdriver.Chrome, live: Live) -> None:
    browser.set_window_size(1280, 900)
    browser.get(live.confirmation_url()[:-4] + "?lang=nl")
    assert heading(browser) == "Deze link werkt niet"
    assert_standalone(browser, "nl")
    assert live.events() == []


@pytest.mark.parametrize("page", ["confirm", "unsubscribe", "error"])
def test_the_pages_reflow_at_320_css_pixels(
    browser: webdriver.Chrome, live: Live, page: str
) -> None:
    """WCAG 2.1 success criterion 1.4.10: no horizontal scrolling at 320 CSS pixels."""
    url = {
        "confirm": live.confirmation_url(),
        "unsubscribe": live.unsubscribe_url("direct_marketing"),
        "error": live.unsubscribe_url()[:-4],
    }[page]
    browser.set_window_size(360, 800)
    try:
        browser.get(url)
        width = browser.execute_script("return document.documentElement.clientWidth")
        scroll = browser.execute_script("return document.documentElement.scrollWidth")
        assert scroll <= width, f"page is {scroll}px wide in a {width}px viewport"
    finally:
        browser.set_window_size(1280, 900)
