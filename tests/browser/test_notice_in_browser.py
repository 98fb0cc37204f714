"""The rendered notice in a real browser: it loads offline, reads in order, reflows at 320 px."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By

from privaat.core.policy import load_policy
from privaat.core.policy.model import Lang
from privaat.examples import EXAMPLES, example_text
from privaat.notice import render_notice


def open_notice(browser: webdriver.Chrome, tmp_path: Path, name: str, lang: Lang) -> None:
    policy = load_policy(example_text(name), f"{name}.yaml").policy
    page = tmp_path / f"{name}.{lang}.html"
    page.write_text(render_notice(policy, lang, "html"), encoding="utf-8")
    browser.get(page.as_uri())


@pytest.mark.parametrize("lang", ["nl", "fr"])
@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_notice_structure_as_the_browser_sees_it(
    browser: webdriver.Chrome, tmp_path: Path, name: str, lang: Lang
) -> None:
    browser.set_window_size(1280, 900)
    open_notice(browser, tmp_path, name, lang)
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == lang
    assert len(browser.find_elements(By.TAG_NAME, "h1")) == 1
    levels = [
        int(h.tag_name[1]) for h in browser.find_elements(By.CSS_SELECTOR, "h1, h2, h3, h4, h5, h6")
    ]
    assert all(b - a <= 1 for a, b in itertools.pairwise(levels)), levels
    # every in-page link lands on an element that exists
    for link in browser.find_elements(By.CSS_SELECTOR, "a[href^='#']"):
        target = (link.get_attribute("href") or "").split("#", 1)[1]
        assert browser.find_elements(By.ID, target), target
    # the page fetched nothing from outside: only the document itself was loaded
    resources = browser.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
    )
    assert resources == []


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_notice_reflows_at_320_css_pixels(
    browser: webdriver.Chrome, tmp_path: Path, name: str
) -> None:
    """WCAG 2.1 success criterion 1.4.10: no horizontal scrolling at 320 CSS pixels."""
    browser.set_window_size(360, 800)
    open_notice(browser, tmp_path, name, "nl")
    width = browser.execute_script("return document.documentElement.clientWidth")
    scroll = browser.execute_script("return document.documentElement.scrollWidth")
    assert scroll <= width, f"page is {scroll}px wide in a {width}px viewport"


def test_skip_link_moves_focus_to_main(browser: webdriver.Chrome, tmp_path: Path) -> None:
    browser.set_window_size(1280, 900)
    open_notice(browser, tmp_path, "jsm", "nl")
    skip = browser.find_element(By.CSS_SELECTOR, "a[href^='#']")
    target = (skip.get_attribute("href") or "").split("#", 1)[1]
    main = browser.find_element(By.TAG_NAME, "main")
    assert main.get_attribute("id") == target or main.find_elements(By.ID, target)
