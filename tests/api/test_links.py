"""Double opt-in and one-click unsubscribe over HTTP: the API that makes links, the pages behind
them, and RFC 8058's one-click POST; on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy import select

from privaat.core.access import Scope
from privaat.core.clock import FrozenClock
from privaat.engine import orgs
from privaat.examples import example_text
from privaat.store.db import Store
from privaat.store.models import ConsentEvent, ConsentState, Organisation
from tests.conftest import TokenFactory, bearer

EMAIL = "an.peeters@example.be"

#: What each page says, in each language: the purpose's name comes from the policy.
TEXTS = {
    "nl": {
        "purpose": "De nieuwsbrief van Jetstax",
        "confirm": "Bevestig uw toestemming",
        "button": "Ja, ik bevestig",
        "confirmed": "Bedankt: uw toestemming is bevestigd",
        "unsubscribe": "Meld mij af",
        "unsubscribed": "U bent afgemeld",
        "expired": "Deze bevestigingslink is verlopen.",
        "invalid": "Deze link is onvolledig of ongeldig.",
    },
    "en": {
        "purpose": "The Jetstax newsletter",
        "confirm": "Confirm your consent",
        "button": "Yes, I confirm",
        "confirmed": "Thank you: your consent is confirmed",
        "unsubscribe": "Unsubscribe me",
        "unsubscribed": "You have been unsubscribed",
        "expired": "This confirmation link has expired.",
        "invalid": "This link is incomplete or not valid.",
    },
    "fr": {
        "purpose": "La newsletter de Jetstax",
        "confirm": "Confirmez votre consentement",
        "button": "Oui, je confirme",
        "confirmed": "Merci : votre consentement est confirmé",
        "unsubscribe": "Me désinscrire",
        "unsubscribed": "Votre désinscription est enregistrée",
        "expired": "Ce lien de confirmation a expiré.",
        "invalid": "Ce lien est incomplet ou n’est pas valide.",
    },
}


#: What a browser asks for: error pages are HTML for it, problem+json for other programs.
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.fixture(autouse=True)
def _as_a_browser(client: TestClient) -> None:
    client.headers["Accept"] = BROWSER_ACCEPT


def path_of(url: str) -> str:
    assert url.startswith("http://testserver/")
    return url.removeprefix("http://testserver")


def text_of(html: str) -> str:
    """The page's text as a reader sees it: tags dropped, entities and spaces normalised."""
    text = re.sub(r"<[^>]+>", " ", html)
    text = text.replace("&#39;", "'").replace("&amp;", "&").replace("\u00a0", " ")
    return re.sub(r"\s+", " ", text)


def ask_confirmation(
    client: TestClient, token: str, language: str = "nl", purpose: str = "newsletter"
) -> str:
    response = client.post(
        "/api/v1/orgs/jetstax/consents/double-opt-in",
        json={"email": EMAIL, "purpose": purpose, "language": language},
        headers=bearer(token),
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == {"confirmation_url", "expires_at"}
    return path_of(body["confirmation_url"])


def unsubscribe_path(client: TestClient, token: str, purpose: str = "newsletter") -> str:
    response = client.post(
        "/api/v1/orgs/jetstax/unsubscribe-links",
        json={"email": EMAIL, "purpose": purpose},
        headers=bearer(token),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["headers"] == {
        "List-Unsubscribe": f"<{body['url']}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    return path_of(body["url"])


def events(store: Store) -> list[ConsentEvent]:
    with store.reading() as session:
        return list(session.execute(select(ConsentEvent).order_by(ConsentEvent.id)).scalars())


def states(store: Store) -> dict[str, str]:
    with store.reading() as session:
        return {s.purpose: s.kind for s in session.execute(select(ConsentState)).scalars()}


def assert_page(response: Response, status: int, lang: str) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert f'<html lang="{lang}">' in response.text
    assert response.text.count("<h1>") == 1
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["cache-control"] == "no-store"
    assert "set-cookie" not in response.headers
    return text_of(response.text)


# --------------------------------------------------------------------------- double opt-in


@pytest.mark.parametrize("lang", ["nl", "en", "fr"])
def test_double_opt_in_pages_in_each_language(
    client: TestClient, org: Organisation, admin_token: str, store: Store, lang: str
) -> None:
    path = ask_confirmation(client, admin_token, lang)
    assert path.startswith("/p/jetstax/confirm/")
    words = TEXTS[lang]

    page = assert_page(client.get(path), 200, lang)
    for key in ("confirm", "button", "purpose"):
        assert words[key] in page, (key, page)
    assert "Jetstax" in page
    assert events(store) == [], "a GET never records consent: mail scanners fetch links"

    done = assert_page(client.post(path), 200, lang)
    assert words["confirmed"] in done
    assert words["purpose"] in done
    [event] = events(store)
    assert (event.kind, event.channel, event.purpose) == ("given", "double_opt_in", "newsletter")
    assert states(store) == {"newsletter": "given"}


def test_until_confirmed_there_is_no_consent_and_a_second_click_adds_nothing(
    client: TestClient, org: Organisation, admin_token: str, store: Store, clock: FrozenClock
) -> None:
    path = ask_confirmation(client, admin_token)
    for _ in range(3):
        client.get(path)
        client.head(path)
    assert events(store) == []
    assert states(store) == {}
    clock.advance(dt.timedelta(minutes=5))
    assert client.post(path).status_code == 200
    assert client.post(path).status_code == 200
    assert len(events(store)) == 1
    again = assert_page(client.get(path), 200, "nl")
    assert TEXTS["nl"]["confirmed"] in again, "an opened confirmed link says it is confirmed"
    assert "<form" not in client.get(path).text


def test_the_page_language_can_be_switched(
    client: TestClient, org: Organisation, admin_token: str
) -> None:
    path = ask_confirmation(client, admin_token, "nl")
    page = client.get(path, params={"lang": "fr"})
    assert TEXTS["fr"]["button"] in text_of(assert_page(page, 200, "fr"))
    assert 'href="?lang=nl" hreflang="nl" lang="nl"' in page.text
    # an unknown language falls back to the link's own
    assert_page(client.get(path, params={"lang": "de"}), 200, "nl")


def test_an_expired_link_shows_a_page_and_records_nothing(
    client: TestClient,
    org: Organisation,
    admin_token: str,
    store: Store,
    clock: FrozenClock,
) -> None:
    path = ask_confirmation(client, admin_token, "fr")
    clock.advance(dt.timedelta(days=7, seconds=1))
    for response in (client.get(path), client.post(path)):
        page = assert_page(response, 400, "fr")
        assert TEXTS["fr"]["expired"] in page
    assert events(store) == []


@pytest.mark.parametrize(
    "tamper",
    ["flip", "cut", "junk", "long"],
)
def test_a_tampered_link_shows_a_page_and_records_nothing(
    client: TestClient, org: Organisation, admin_token: str, store: Store, tamper: str
) -> None:
    path = ask_confirmation(client, admin_token)
    token = path.rsplit("/", 1)[1]
    bad = {
        "flip": token[:-5] + ("A" if token[-5] != "A" else "B") + token[-4:],
        "cut": token[:20],
        "junk": "%E2%82%AC%00'\"<script>",
        "long": "x" * 5000,
    }[tamper]
    for method in ("GET", "POST"):
        response = client.request(method, f"/p/jetstax/confirm/{bad}")
        page = assert_page(response, 400, "nl")
        assert TEXTS["nl"]["invalid"] in page
        assert "<script>" not in response.text
    assert events(store) == []


def test_a_link_of_one_organisation_does_not_act_in_another(
    client: TestClient, org: Organisation, admin_token: str, store: Store, clock: FrozenClock
) -> None:
    with store.transaction() as session:
        other = orgs.create_org(session, "acme", "Acme BV", now=clock.now(), actor="cli")
        orgs.load_version(session, other, example_text("jetstax"), now=clock.now(), actor="cli")
    token = ask_confirmation(client, admin_token).rsplit("/", 1)[1]
    for slug in ("acme", "no-such-org", "NOT A SLUG"):
        assert_page(client.post(f"/p/{slug}/confirm/{token}"), 400, "nl")
        assert_page(client.get(f"/p/{slug}/confirm/{token}"), 400, "nl")
    assert events(store) == []


def test_a_program_gets_a_problem_instead_of_a_page(
    client: TestClient, org: Organisation, admin_token: str, clock: FrozenClock
) -> None:
    path = ask_confirmation(client, admin_token)
    clock.advance(dt.timedelta(days=8))
    for method, bad in (("POST", path), ("GET", path), ("POST", "/u/nonsense")):
        response = client.request(method, bad, headers={"Accept": "*/*"})
        assert response.status_code == 400
        assert response.headers["content-type"] == "application/problem+json"
        reason = "expired" if bad == path else "invalid"
        assert response.json()["detail"] == f"the link is {reason}"


def test_an_error_page_follows_the_browser_language(client: TestClient, org: Organisation) -> None:
    response = client.get("/u/nonsense", headers={"Accept-Language": "de-DE, fr;q=0.8, en;q=0.5"})
    assert TEXTS["fr"]["invalid"] in assert_page(response, 400, "fr")


# --------------------------------------------------------------------------- unsubscribe


def test_one_click_unsubscribe_rfc_8058(
    client: TestClient, org: Organisation, admin_token: str, store: Store
) -> None:
    client.post(ask_confirmation(client, admin_token))
    path = unsubscribe_path(client, admin_token)
    assert path.startswith("/u/")
    assert unsubscribe_path(client, admin_token) == path, "one link per person and purpose"

    # what a mail provider sends: a form-encoded POST, no cookies, no other interaction
    response = client.post(
        path,
        content=b"List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 200
    assert states(store) == {"newsletter": "withdrawn"}
    withdrawn = events(store)[-1]
    assert (withdrawn.kind, withdrawn.channel) == ("withdrawn", "unsubscribe")
    assert withdrawn.provenance == "list-unsubscribe=one-click"

    # a second click, multipart this time, records nothing new and still succeeds
    again = client.post(path, files={"List-Unsubscribe": (None, "One-Click")})
    assert again.status_code == 200
    assert len(events(store)) == 2


@pytest.mark.parametrize("lang", ["nl", "en", "fr"])
def test_the_unsubscribe_pages_in_each_language(
    client: TestClient, org: Organisation, admin_token: str, store: Store, lang: str
) -> None:
    client.post(ask_confirmation(client, admin_token, lang))
    path = unsubscribe_path(client, admin_token)
    words = TEXTS[lang]
    # the subject's language (from the sign-up) decides; the browser's does not override it
    page = assert_page(client.get(path, headers={"Accept-Language": "de"}), 200, lang)
    assert words["unsubscribe"] in page
    assert words["purpose"] in page
    assert states(store) == {"newsletter": "given"}, "a GET never unsubscribes"
    done = assert_page(client.post(path), 200, lang)
    assert words["unsubscribed"] in done
    assert states(store) == {"newsletter": "withdrawn"}
    assert events(store)[-1].provenance == "unsubscribe-page"


def test_unsubscribing_from_soft_opt_in_marketing_is_an_objection(
    client: TestClient, org: Organisation, admin_token: str, store: Store
) -> None:
    path = unsubscribe_path(client, admin_token, "direct_marketing")
    assert client.post(path, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    assert client.post(path, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    assert [(e.kind, e.purpose) for e in events(store)] == [("objected", "direct_marketing")]
    assert states(store) == {"direct_marketing": "objected"}


def test_a_bad_unsubscribe_link_is_a_400_page(
    client: TestClient, org: Organisation, admin_token: str, store: Store
) -> None:
    path = unsubscribe_path(client, admin_token)
    for bad in (path[:-3], path + "x", "/u/" + "a" * 3000, "/u/%20"):
        assert_page(client.post(bad, data={"List-Unsubscribe": "One-Click"}), 400, "nl")
        assert_page(client.get(bad), 400, "nl")
    assert events(store) == []


# --------------------------------------------------------------------------- making links


@pytest.mark.parametrize(
    "body",
    [
        {"email": EMAIL, "purpose": "administration", "language": "nl"},  # not consent
        {"email": EMAIL, "purpose": "requests", "language": "nl"},
        {"email": EMAIL, "purpose": "nope", "language": "nl"},
        {"email": "not an address", "purpose": "newsletter", "language": "nl"},
    ],
)
def test_a_double_opt_in_that_does_not_suit_is_refused(
    client: TestClient, org: Organisation, admin_token: str, store: Store, body: dict[str, str]
) -> None:
    response = client.post(
        "/api/v1/orgs/jetstax/consents/double-opt-in", json=body, headers=bearer(admin_token)
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert events(store) == []


@pytest.mark.parametrize(
    "body",
    [
        {"purpose": "newsletter", "language": "nl"},  # nobody
        {"email": EMAIL, "phone": "+32470123456", "purpose": "newsletter", "language": "nl"},
        {"email": EMAIL, "purpose": "newsletter", "language": "de"},
        {"email": EMAIL, "purpose": "Newsletter!", "language": "nl"},
        {"email": EMAIL, "purpose": "newsletter", "language": "nl", "notice_sha256": "abc"},
        {"email": "x" * 400, "purpose": "newsletter", "language": "nl"},
        {"email": EMAIL, "purpose": "newsletter", "language": "nl", "extra": 1},
        {"email": 5, "purpose": ["newsletter"], "language": None},
    ],
)
def test_malformed_requests_are_422_problems(
    client: TestClient, org: Organisation, admin_token: str, body: dict[str, object]
) -> None:
    for route in ("consents/double-opt-in", "unsubscribe-links"):
        response = client.post(
            f"/api/v1/orgs/jetstax/{route}", json=body, headers=bearer(admin_token)
        )
        assert response.status_code == 422, (route, response.text)
        assert response.headers["content-type"] == "application/problem+json"


def test_unsubscribe_links_only_for_consent_or_marketing(
    client: TestClient, org: Organisation, admin_token: str
) -> None:
    response = client.post(
        "/api/v1/orgs/jetstax/unsubscribe-links",
        json={"customer_number": "C-1001", "purpose": "requests"},
        headers=bearer(admin_token),
    )
    assert response.status_code == 422
    assert "nothing to unsubscribe from" in response.json()["detail"]


def test_making_links_needs_consent_write(
    client: TestClient, org: Organisation, token_for: TokenFactory
) -> None:
    body = {"email": EMAIL, "purpose": "newsletter", "language": "nl"}
    route = "/api/v1/orgs/jetstax/consents/double-opt-in"
    assert client.post(route, json=body).status_code == 401
    reader = token_for(org, frozenset({Scope.CONSENT_READ, Scope.CONSENT_CHECK}))
    assert client.post(route, json=body, headers=bearer(reader)).status_code == 403
    writer = token_for(org, frozenset({Scope.CONSENT_WRITE}))
    assert client.post(route, json=body, headers=bearer(writer)).status_code == 201


def test_the_public_routes_are_tagged_and_need_no_token(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    for path in ("/p/{org}/confirm/{token}", "/u/{token}"):
        for method in ("get", "post"):
            operation = schema["paths"][path][method]
            assert operation["tags"] == ["public"]
            assert "security" not in operation
    one_click = schema["paths"]["/u/{token}"]["post"]["requestBody"]["content"]
    assert "application/x-www-form-urlencoded" in one_click


def test_a_purpose_name_in_another_language_is_marked_as_such(
    client: TestClient, org: Organisation, admin_token: str, store: Store, clock: FrozenClock
) -> None:
    source = example_text("jetstax").replace(
        "name: {nl: De nieuwsbrief van Jetstax, en: The Jetstax newsletter, "
        "fr: La newsletter de Jetstax}",
        "name: {nl: De nieuwsbrief van Jetstax}",
        1,
    )
    assert source != example_text("jetstax")
    with store.transaction() as session:
        row = session.get(Organisation, org.id)
        assert row is not None
        orgs.load_version(session, row, source, now=clock.now(), actor="cli")
    page = client.get(ask_confirmation(client, admin_token, "fr"))
    assert_page(page, 200, "fr")
    assert '<strong lang="nl">De nieuwsbrief van Jetstax</strong>' in page.text


def test_links_for_a_purpose_that_left_the_policy_stop_working(
    client: TestClient, org: Organisation, admin_token: str, store: Store, clock: FrozenClock
) -> None:
    """Both the page and the button refuse: a page never offers what its button cannot do."""
    confirm_path = ask_confirmation(client, admin_token)
    unsubscribe = unsubscribe_path(client, admin_token)
    renamed = re.sub(r"\bnewsletter\b", "mailing", example_text("jetstax"))
    with store.transaction() as session:
        row = session.get(Organisation, org.id)
        assert row is not None
        orgs.load_version(session, row, renamed, now=clock.now(), actor="cli")
    for path in (confirm_path, unsubscribe):
        assert TEXTS["nl"]["invalid"] in assert_page(client.get(path), 400, "nl")
        assert TEXTS["nl"]["invalid"] in assert_page(client.post(path), 400, "nl")
    assert events(store) == []
