"""The notice says everything Art. 13 and 14 GDPR require, from the policy file, in every language."""

from __future__ import annotations

import datetime as dt

import pytest

from privaat.core.duration import Duration
from privaat.core.law import AUTHORITIES, STATUTES
from privaat.core.policy.model import Lang, LegalBasis, Policy, Right
from privaat.i18n import Words
from privaat.notice import render_notice
from privaat.notice.labels import (
    CHANNEL,
    COOKIE_CATEGORY,
    LEGAL_BASIS,
    RECIPIENT_ROLE,
    REQUIREMENT,
    RIGHT,
    SOURCE,
    TRANSFER,
    VERIFICATION,
)

from .helpers import LANGS, load, localized_texts, normal, rendered, visible_text

FORMATS = ("md", "html")
CASES = [(name, lang, fmt) for name in ("minimal", "rich") for lang in LANGS for fmt in FORMATS]


def text_of(name: str, lang: Lang, fmt: str) -> str:
    return visible_text(rendered(name, lang, fmt), fmt)


def stated_values(policy: Policy) -> list[str]:
    """The plain (not translated) values the notice must show as the policy states them."""
    c = policy.controller
    values = [c.name, policy.version]
    if c.address is not None:
        values += [c.address.street, c.address.postcode, c.address.city]
    values += [v for v in (c.legal_name, c.identifiers.kbo, c.identifiers.kvk) if v]
    values += [v for v in (c.identifiers.vat, c.contact.email, c.contact.phone) if v]
    values += [v for v in (c.contact.website, c.privacy_contact) if v]
    if c.contact.address:
        values.append(c.contact.address.street)
    for person in (c.dpo, c.representative):
        if person is not None:
            values += [v for v in (person.name, person.email, person.phone) if v]
            if person.address:
                values.append(person.address.street)
    values += [r.name for r in policy.recipients if not r.category_only]
    values += [
        r.privacy_policy for r in policy.recipients if r.privacy_policy and not r.category_only
    ]
    values += [cookie.name for cookie in policy.cookies]
    values += [s for a in policy.activities for s in a.systems]
    # a named event shows by its label (a localized text), else by its key
    values += [r.event for r in policy.retention if r.event and r.event_label is None]
    values += [ch.address for ch in policy.rights.channels if ch.address]
    values += [c.quote for c in policy.statutes if c.quote]
    return values


@pytest.mark.parametrize(("name", "lang", "fmt"), CASES)
def test_every_text_of_the_policy_is_in_the_notice(name: str, lang: Lang, fmt: str) -> None:
    policy = load(name)
    text = text_of(name, lang, fmt)
    missing = [t for t in localized_texts(policy, lang) if normal(t) not in text]
    missing += [v for v in stated_values(policy) if normal(v) not in text]
    assert not missing, f"{name} {lang} {fmt} leaves out: {missing}"


@pytest.mark.parametrize(("name", "lang", "fmt"), CASES)
def test_art_13_and_14_items(name: str, lang: Lang, fmt: str) -> None:
    policy = load(name)
    w = Words(lang)
    text = text_of(name, lang, fmt)
    authority = AUTHORITIES[policy.supervisory_authority.key]
    expected = [
        # Art. 13(1)(a)-(b): identity and contact of the controller (and DPO)
        w._("Who is responsible for your personal data"),
        w.country(
            policy.controller.address.country
            if policy.controller.address is not None
            else policy.jurisdiction
        ),
        # Art. 13(1)(c): purposes and legal basis
        w._("Why we process your personal data and on what legal basis"),
        *(w._(LEGAL_BASIS[b]) for p in policy.purposes for b in p.legal_basis),
        # Art. 14(1)(d): categories; Art. 14(2)(f): sources
        w._("Which personal data we process"),
        *(w._(SOURCE[s]) for a in policy.activities for s in a.sources),
        # Art. 13(1)(e)-(f): recipients and transfers
        w._("Who receives your personal data"),
        # Art. 13(2)(a): retention
        w._("How long we keep your personal data"),
        *(w.duration(r.maximum) for r in policy.retention if r.maximum),
        # Art. 13(2)(b)-(d): rights, withdrawal, complaint
        w._("Your rights"),
        *(w._(RIGHT[r][0]) for r in policy.rights.rights),
        *(w._(RIGHT[r][1]) for r in policy.rights.rights),
        w._(
            "We answer your request within %(deadline)s of receiving it.",
            deadline=w.duration(policy.rights.deadline),
        ),
        *(w._(CHANNEL[c.kind]) for c in policy.rights.channels),
        *(w._(VERIFICATION[v]) for v in policy.rights.verification),
        w._("Complaints"),
        authority.name[lang],
        authority.website,
        authority.address or "",
        authority.email or "",
        # Art. 13(2)(e): statutory or contractual requirement
        *(w._(REQUIREMENT[a.provision.requirement]) for a in policy.activities if a.provision),
        # Art. 13(2)(f): automated decisions
        w._("Automated decisions and profiling"),
        # version and date
        w._(
            "This is version %(version)s of this notice, in force since %(date)s.",
            version=policy.version,
            date=w.date(policy.date),
        ),
    ]
    if policy.rights.extension is not None:
        expected.append(w.duration(policy.rights.extension))
    missing = [e for e in expected if normal(e) not in text]
    assert not missing, f"{name} {lang} {fmt} lacks: {missing}"


@pytest.mark.parametrize(("lang", "fmt"), [(lang, fmt) for lang in LANGS for fmt in FORMATS])
def test_rich_policy_items(lang: Lang, fmt: str) -> None:
    policy = load("rich")
    w = Words(lang)
    text = text_of("rich", lang, fmt)
    expected = [
        w._("Data protection officer"),
        w._("Our representative in the European Union"),
        w._("Enterprise number (KBO/BCE)"),
        w._("Chamber of Commerce number (KvK)"),
        w._("VAT number"),
        # legitimate interest, legal obligation, consent details
        w._("Balancing of interests"),
        w._("Your right to object"),
        *(STATUTES[key].title[lang] for key in ("be-wbtw-art60", "be-wer-art-iii-88")),
        w._("How you withdraw your consent"),
        w._("Confirmation (double opt-in)"),
        w._(
            "Your consent lapses after %(duration)s unless you renew it.",
            duration=w.duration(Duration.parse("P2Y")),
        ),
        w._("Direct marketing"),
        w._("Existing customers"),
        # Art. 9 and Art. 10 data
        w._(
            "Special category of personal data (Art. 9 GDPR), processed on the basis of "
            "%(condition)s.",
            condition=w._("your explicit consent (Art. 9(2)(a) GDPR)"),
        ),
        w._("Data relating to criminal convictions and offences (Art. 10 GDPR)."),
        # recipients: role, country, transfer safeguard outside the EEA
        *(w._(RECIPIENT_ROLE[r.role]) for r in policy.recipients),
        w.country("US"),
        w._("Transfer outside the European Economic Area"),
        *(w._(TRANSFER[r.transfer]) for r in policy.recipients if r.transfer.value != "none"),
        w._("You can obtain a copy of these safeguards from us."),
        w._("Signed on %(date)s.", date=w.date(dt.date(2024, 2, 10))),
        # retention: minimum, trigger, schedule, action, holds from 1 January
        w._("Minimum period"),
        w._("the end of the contract"),
        w._("the end of the procedure"),
        w._("your last activity"),
        w._("The data are anonymised: they can no longer be linked to you."),
        w._("The data are combined into anonymous statistics, then deleted."),
        w._("Clean-up interval"),
        w._("Records the law obliges us to keep"),
        w._(
            "%(duration)s, counted from 1 January of the year after the record",
            duration=w.duration(Duration.parse("P10Y")),
        ),
        # automated decision
        w._("This decision has legal effects for you or similarly significantly affects you."),
        w._("Human intervention"),
        # cookies
        *(w._(COOKIE_CATEGORY[c.category]) for c in policy.cookies),
        w._("Until you close your browser"),
        w._("Only after your consent"),
        w.duration(Duration.parse("P13M")),
        # security, children, processor activities, changes, legislation
        w._("Technical measures"),
        w._("Organisational measures"),
        w.ngettext(
            "If you are under %(num)d year of age, we need the consent of your parent or "
            "guardian to process your data on the basis of consent for our online services "
            "(Art. 8 GDPR).",
            "If you are under %(num)d years of age, we need the consent of your parent or "
            "guardian to process your data on the basis of consent for our online services "
            "(Art. 8 GDPR).",
            13,
        ),
        w._("When we process data on behalf of our customers"),
        w._("On behalf of"),
        w._("Changes to this notice"),
        w._("no longer in force"),
        w._("Withdrawing your consent"),
        w._(LEGAL_BASIS[LegalBasis.LEGAL_OBLIGATION]),
    ]
    missing = [e for e in expected if normal(e) not in text]
    assert not missing, f"rich {lang} {fmt} lacks: {missing}"


@pytest.mark.parametrize(
    ("lang", "phrases"),
    [
        (
            "nl",
            [
                "Privacyverklaring van Nimbus Hosting",
                "Uw rechten",
                "Wie uw persoonsgegevens ontvangt",
                "Hoe lang wij uw persoonsgegevens bewaren",
                "2 jaar",
                "14 dagen",
                "1 maand",
                "1 jaar en 6 maanden",
                "15 maart 2025",
                "Verenigde Staten",
                "Gegevensbeschermingsautoriteit (GBA)",
                "Uw toestemming (art. 6.1.a AVG)",
                "Bent u jonger dan 13 jaar",
            ],
        ),
        (
            "fr",
            [
                "Déclaration de confidentialité de Nimbus Hosting",
                "Vos droits",
                "Qui reçoit vos données",
                "Combien de temps nous conservons vos données",
                "2 ans",
                "14 jours",
                "1 mois",
                "1 an et 6 mois",
                "15 mars 2025",
                "États-Unis",
                "Autorité de protection des données (APD)",
                "Votre consentement (art. 6.1.a du RGPD)",
                "Si vous avez moins de 13 ans",
            ],
        ),
        (
            "en",
            [
                "Privacy notice of Nimbus Hosting",
                "Your rights",
                "2 years",
                "14 days",
                "1 month",
                "1 year and 6 months",
                "15 March 2025",
                "United States",
                "Belgian Data Protection Authority (GBA/APD)",
            ],
        ),
    ],
)
@pytest.mark.parametrize("fmt", FORMATS)
def test_natural_wording_in_each_language(lang: Lang, phrases: list[str], fmt: str) -> None:
    text = text_of("rich", lang, fmt)
    assert [p for p in phrases if normal(p) not in text] == []


@pytest.mark.parametrize(("lang", "fmt"), [(lang, fmt) for lang in ("nl", "fr") for fmt in FORMATS])
def test_no_english_wording_leaks_into_translations(lang: Lang, fmt: str) -> None:
    english = visible_text(rendered("rich", "en", fmt), fmt)
    text = text_of("rich", lang, fmt)
    headings = [
        "Privacy notice of",
        "Who is responsible for your personal data",
        "Which personal data we process",
        "Why we process your personal data and on what legal basis",
        "Our processing activities",
        "Who receives your personal data",
        "How long we keep your personal data",
        "Automated decisions and profiling",
        "How we protect your personal data",
        "Your rights",
        "How to exercise your rights",
        "Withdrawing your consent",
        "Complaints",
        "Children",
        "When we process data on behalf of our customers",
        "Legislation we refer to",
        "Changes to this notice",
        "Data protection officer",
        "Legal basis",
        "Recipients",
        "Maximum period",
        "Statutory retention periods",
        "Cookies on our website",
        "in force since",
        "Art. 6(1)",
        "GDPR",
    ]
    assert all(h in english for h in headings)
    assert [h for h in headings if h in text] == []


@pytest.mark.parametrize("lang", LANGS)
def test_category_only_recipients_are_named_by_kind(lang: Lang) -> None:
    for fmt in FORMATS:
        text = text_of("rich", lang, fmt)
        assert "Boekhoudkantoor De Teller" not in text
        assert "Nimbus Support" not in text
        assert normal(Words(lang)._("A department within our organisation")) in text


def test_the_complaint_right_is_always_stated(minimal: Policy) -> None:
    rights = minimal.rights.model_copy(update={"rights": [Right.ACCESS]})
    policy = minimal.model_copy(update={"rights": rights})
    text = visible_text(render_notice(policy, "nl", "html"), "html")
    assert "Klachten" in text
    assert "Gegevensbeschermingsautoriteit (GBA)" in text


def test_authority_is_printed_as_the_policy_states_it(minimal: Policy) -> None:
    stated = minimal.supervisory_authority.model_copy(
        update={
            "key": "be-cbpl",
            "name": "Commissie voor de bescherming van de persoonlijke levenssfeer",
            "website": "https://www.privacycommission.be",
        }
    )
    policy = minimal.model_copy(update={"supervisory_authority": stated})
    text = visible_text(render_notice(policy, "fr", "md"), "md")
    assert "Commissie voor de bescherming van de persoonlijke levenssfeer" in text
    assert "https://www.privacycommission.be" in text
    assert "Drukpersstraat 35, 1000 Brussel" in text
    assert AUTHORITIES["be-gba"].name["fr"] not in text


def test_a_missing_translation_falls_back_and_is_marked(minimal: Policy) -> None:
    purpose = minimal.purposes[0].model_copy(update={"name": {"nl": "Dienstverlening"}})
    policy = minimal.model_copy(update={"purposes": [purpose]})
    html = render_notice(policy, "fr", "html")
    assert '<span lang="nl">Dienstverlening</span>' in html


def test_markdown_and_html_say_the_same(rich: Policy) -> None:
    for lang in LANGS:
        md = text_of("rich", lang, "md")
        html = text_of("rich", lang, "html")
        for t in localized_texts(rich, lang):
            assert (normal(t) in md) == (normal(t) in html)
