"""The JENSDEV example models shared/seeds/002_3a4d55f6300165b5.txt faithfully.

Three checks: the example loads; the linter finds exactly what the seed gets wrong; the Dutch
notice rendered from it carries every promise of the seed.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest

from privaat.core.duration import Duration
from privaat.core.lint import Finding
from privaat.core.policy import Policy
from privaat.core.policy.model import (
    ChannelKind,
    Lang,
    LegalBasis,
    RecipientRole,
    Right,
    TransferMechanism,
    Trigger,
)
from privaat.examples import example_text
from privaat.notice import render_notice

NAME = "jensdev"


# --------------------------------------------------------------------------- 1. it loads


def test_example_loads_with_the_seed_facts(policy: Policy) -> None:
    assert policy.jurisdiction == "BE"
    assert policy.languages == ["nl", "en", "fr"]
    assert policy.version == "2018-06-29"
    assert policy.date == dt.date(2018, 6, 29)
    assert policy.controller.name == "JENSDEV"
    assert policy.controller.legal_name == "JENS Development Consultancy"
    # The text gives no postal address: none is modelled.
    assert policy.controller.address is None
    # No enterprise number, and every e-mail address of the text is hidden ("[email protected]").
    assert policy.controller.identifiers.kbo is None
    assert policy.controller.contact.email is None
    assert policy.controller.privacy_contact is None
    assert policy.supervisory_authority.key == "be-cbpl"
    assert (
        policy.supervisory_authority.name
        == "Commissie voor de Bescherming van de Persoonlijke Levenssfeer"
    )
    assert policy.children is None


def test_example_keeps_the_seed_structure(policy: Policy) -> None:
    # Contact-form history: deleted from the website at least once a year.
    forms = policy.retention_rule("contact_form_history")
    assert forms is not None
    assert (forms.trigger, forms.schedule, forms.maximum) == (
        Trigger.SCHEDULE,
        Duration(years=1),
        Duration(years=1),
    )
    # Hosting data: deleted at the latest 14 days after cancellation.
    hosting = policy.retention_rule("hosting_data")
    assert hosting is not None
    assert (hosting.trigger, hosting.maximum) == (Trigger.EVENT, Duration(days=14))
    assert hosting.event == "cancellation"
    assert hosting.event_label is not None
    assert set(hosting.event_label) == {"nl", "en", "fr"}
    # Accounting: ten years, a statutory hold under the VAT Code, from the end of the year.
    [hold] = policy.holds
    assert (hold.kind, hold.statute, hold.duration, hold.from_end_of_year, hold.country) == (
        "invoices",
        "be-wbtw-art60",
        Duration(years=10),
        True,
        "BE",
    )
    accounting = policy.purpose("accounting")
    assert accounting is not None
    assert accounting.basis is LegalBasis.LEGAL_OBLIGATION
    # The partners, each in its own country, none with a stated agreement or mechanism.
    partners = {r.id: r.country for r in policy.recipients if r.role is RecipientRole.PROCESSOR}
    assert partners == {
        "whmcs": "GB",
        "cloudways": "MT",
        "freshworks": "US",
        "apple": "US",
        "versio": "NL",
        "pdr": "AE",
        "rackspace": "US",
        "google": "US",
    }
    assert all(
        r.dpa_signed is None and not r.dpa_in_place and r.transfer is TransferMechanism.NONE
        for r in policy.recipients
    )
    credentials = policy.category("user.authorization.credentials")
    assert credentials is not None
    assert credentials.encrypted
    assert policy.rights.rights == [
        Right.ACCESS,
        Right.RECTIFICATION,
        Right.ERASURE,
        Right.RESTRICTION,
        Right.OBJECTION,
        Right.PORTABILITY,
        Right.COMPLAINT,
    ]
    assert [(c.kind, c.address) for c in policy.rights.channels] == [(ChannelKind.EMAIL, None)]
    # "Als klant heb je ten allen tijde recht op inzage ...": the rights go to customers only.
    assert policy.rights.subjects == ["customers"]
    # No deadline is stated, so none is set: the law's one month is the default.
    assert re.search(r"^\s*deadline:", example_text(NAME), re.MULTILINE) is None
    assert policy.rights.deadline == Duration(months=1)
    [cookie] = policy.cookies
    assert (cookie.provider, cookie.consent_required, cookie.lifetime) == ("google", False, None)
    assert [s.id for s in policy.statements] == ["purpose_limitation", "confidentiality"]


# --------------------------------------------------------------------------- 2. findings

#: Every finding code the seed yields, with the seed sentence that causes it.
EXPECTED_CODES: dict[str, str] = {
    # "Daarnaast houden we ook anonieme statistieken bij door gebruik te maken van Google
    # Analytics": no basis, so no balancing.
    "PV104": "anonieme statistieken ... Google Analytics",
    # "behalve in het geval van een wettelijke vordering": no statute named.
    "PV105": "wettelijke vordering",
    # Passwords ("Alle wachtwoorden zijn beveiligd opgeborgen") and the Google Analytics data
    # have no retention period.
    "PV201": "wachtwoorden, Google Analytics",
    # "BTW-nummer / ondernemingsnummer" has no fideslang key: an extension.
    "PV204": "BTW-nummer / ondernemingsnummer",
    # Statistics, support (Freshworks), passwords (Apple Keychain), domain names (Versio,
    # P.D.R Solutions) and e-mail (Rackspace): no retention stated.
    "PV304": "support, wachtwoorden, domeinnamen, e-mail, statistieken",
    # "WHMCS", "Freshworks Inc.", "Apple Keychain", "P.D.R Solutions FZC", "Rackspace",
    # "Google Analytics": outside the EEA, no transfer mechanism stated.
    "PV401": "Freshworks, Apple, P.D.R Solutions, Rackspace, Google, WHMCS",
    # "werkt JENSDEV samen met enkele betrouwbare partners": no processing agreement stated.
    "PV402": "enkele betrouwbare partners",
    # "Als bezoeker op deze website zijn enkele cookies in gebruik" (Google Analytics): no
    # consent mentioned.
    "PV501": "enkele cookies in gebruik",
    # "Je leest hier meer over in ons Cookiebeleid": the text states no lifetime for the Google
    # Analytics cookie.
    "PV503": "Google Analytics, geen levensduur",
    # "Daarvoor kan je altijd contact opnemen via [email protected]": the address is hidden.
    "PV706": "[email protected]",
    # "Als klant heb je ten allen tijde recht op inzage ..."; "Als klant beschik je steeds over het
    # recht om een klacht in te dienen": visitors, people using the contact forms and domain
    # holders are left out.
    "PV708": "Als klant",
    # "Commissie voor de Bescherming van de Persoonlijke Levenssfeer": renamed on 25 May 2018.
    "PV802": "Commissie voor de Bescherming van de Persoonlijke Levenssfeer",
    # No enterprise number anywhere in the text.
    "PV805": "geen ondernemingsnummer",
    # "Dit kan per e-mail op [email protected]": no readable e-mail address.
    "PV808": "[email protected]",
    # The text gives no postal address anywhere.
    "PV809": "geen adres",
}

#: Where every finding points: (code, id of the item the finding is about).
EXPECTED_PLACES: set[tuple[str, str]] = {
    ("PV104", "statistics"),
    ("PV105", "legal_demands"),
    ("PV201", "user.authorization.credentials"),
    ("PV201", "user.device.cookie_id"),
    ("PV201", "user.behavior.browsing_history"),
    ("PV204", "user.contact.organization.vat"),
    *(
        ("PV304", activity)
        for activity in ("website_statistics", "support", "passwords", "domains", "email")
    ),
    *(("PV401", r) for r in ("whmcs", "freshworks", "apple", "pdr", "rackspace", "google")),
    *(
        ("PV402", r)
        for r in ("whmcs", "cloudways", "freshworks", "apple", "versio", "pdr", "rackspace")
    ),
    ("PV402", "google"),
    ("PV501", "Google Analytics"),
    ("PV503", "Google Analytics"),
    ("PV706", "rights"),
    ("PV708", "rights"),
    ("PV802", "supervisory_authority"),
    ("PV805", "controller"),
    ("PV808", "controller"),
    ("PV809", "controller"),
}


def test_findings_are_exactly_what_the_seed_gets_wrong(
    findings: list[Finding], places: set[tuple[str, str]]
) -> None:
    assert {f.code for f in findings} == set(EXPECTED_CODES)
    assert places == EXPECTED_PLACES


# --------------------------------------------------------------------------- 3. the notice

#: Every promise of the seed (in my words) and the strings the Dutch notice must carry for it.
CHECKLIST: list[tuple[str, list[str]]] = [
    (
        "JENSDEV (JENS Development Consultancy, Jens De Beule) is the controller; website "
        "JENSDEV.com",
        ["JENSDEV", "JENS Development Consultancy", "JENSDEV.com", "Jens De Beule"],
    ),
    ("last changed on 29 June 2018", ["29 juni 2018"]),
    (
        "it concerns visitors, people using the contact forms, customers and domain holders",
        [
            "Bezoekers van de website",
            "Aanvragers via de contactformulieren",
            "Klanten",
            "Domeinnaamhouders",
        ],
    ),
    (
        "from customers: contact person's name, company name, address, e-mail, contact "
        "person's phone, VAT / enterprise number",
        [
            "Naam contactpersoon",
            "Bedrijfsnaam",
            "Adres",
            "E-mailadres",
            "Telefoonnummer contactpersoon",
            "BTW-nummer / ondernemingsnummer",
        ],
    ),
    (
        "contact forms are e-mailed and stored in the website's database; the history is "
        "deleted from the website at least once a year",
        [
            "Contactformulieren op de website",
            "Database van de website JENSDEV.com",
            "De historiek van de contactformulieren wordt op de website minstens éénmaal per "
            "jaar verwijderd.",
            "**Maximale termijn:** 1 jaar",
            "**Opschoningsinterval:** 1 jaar",
        ],
    ),
    (
        "visitors: some cookies; anonymous statistics with Google Analytics",
        [
            "Anonieme statistieken bijhouden",
            "Google Analytics",
            "Anonieme statistieken over het websitebezoek.",
            "| Niet vermeld |",
        ],
    ),
    (
        "WHMCS, fully managed by JENSDEV except for updates, makes quotes, invoices and credit "
        "notes and runs hosting and customer management",
        [
            "WHMCS",
            "Offertes, facturen en creditnota's",
            "volledig, met beperking tot updates, in beheer is van JENSDEV",
            "Het klantenbeheerpakket (WHMCS) is, op updates na, volledig in eigen beheer",
            "https://www.whmcs.com/privacy-policy/",
        ],
    ),
    (
        "Cloudways Ltd. rents servers in a secured European data centre, ISO certified",
        [
            "Cloudways Ltd.",
            "Malta",
            "servers in een beveiligd Europees datacenter",
            "ISO-gecertificeerd en GDPR-conform",
        ],
    ),
    (
        "Freshworks Inc. for the support department",
        ["Freshworks Inc.", "Producten voor de support-afdeling.", "Verenigde Staten"],
    ),
    (
        "customers' passwords in Apple Keychain, protected by a strong password, two-factor "
        "authentication or a fingerprint; only authorised project members can use them, not view",
        [
            "Apple (Apple Keychain)",
            "Wachtwoorden van de klant voor de diensten en websites in beheer",
            "Versleuteld opgeslagen",
            "tweefactorauthenticatie of een vingerafdruk",
            "kunnen je wachtwoord gebruiken, niet bekijken",
        ],
    ),
    (
        ".be domains through Versio BV, other extensions through P.D.R Solutions FZC; the "
        "holder's name, address, e-mail and phone are mandatory",
        [
            "Versio BV",
            "Registratie van .be-domeinnamen.",
            "Nederland",
            "P.D.R Solutions FZC",
            "Verenigde Arabische Emiraten",
            "Registratie van domeinnamen",
            "U moet deze gegevens verstrekken",
        ],
    ),
    (
        "e-mail through Rackspace, known for its experience in privacy-compliant e-mail",
        ["Rackspace", "E-mailverkeer.", "privacyconforme diensten en beleid"],
    ),
    (
        "the processing serves only following up requests, providing the services asked for "
        "and invoicing them",
        [
            "Opvolging van aanvragen",
            "Verlening van de door jou gevraagde diensten",
            "Facturatie van door jou gevraagde diensten",
            "art. 6.1.b AVG",
        ],
    ),
    (
        "the processing is needed only to provide the services JENSDEV offers",
        [
            "De verwerking is enkel nodig voor het leveren van de diensten die JENSDEV je biedt, "
            "zowel voor opvolging van aanvragen, verlening van de door jou gevraagde diensten als "
            "facturatie van door jou gevraagde diensten.",
        ],
    ),
    (
        "JENSDEV respects privacy and treats data confidentially; data are never made available "
        "to third parties except under a legal demand or where needed to deliver a product or "
        "service",
        [
            "JENSDEV respecteert jouw privacy en behandelt jouw persoonlijke gegevens "
            "vertrouwelijk.",
            "JENSDEV zal jouw gegevens nooit en op geen enkele wijze aan derden ter beschikking "
            "stellen, behalve in het geval van een wettelijke vordering of wanneer dit "
            "noodzakelijk verband houdt met de levering van een product of dienst.",
            "Bevoegde instanties, enkel in het geval van een wettelijke vordering",
        ],
    ),
    (
        "customer data are kept as long as the law requires, among others 10 years for accounting",
        [
            "(onder andere op het gebied van boekhouding, 10 jaar)",
            "**Maximale termijn:** 10 jaar",
            "Btw-wetboek, art. 60",
            "10 jaar, te rekenen vanaf 1 januari van het jaar na dat van het stuk",
        ],
    ),
    (
        "when a service such as hosting is cancelled, all stored data are deleted after the "
        "customer's approval or at the latest 14 days after the cancellation",
        [
            "verwijderen we pas na jouw goedkeuring alle opgeslagen data, of ten laatste 14 "
            "dagen na opzegging",
            "**Maximale termijn:** 14 dagen",
            "**Te rekenen vanaf:** de opzegging van de dienst",
        ],
    ),
    (
        "as a customer: access, rectification, erasure, restriction, objection, portability",
        [
            "**Inzage**",
            "**Rectificatie**",
            "**Gegevenswissing**",
            "**Beperking**",
            "**Bezwaar**",
            "**Overdraagbaarheid van gegevens**",
            "Als klant heb je te allen tijde recht op inzage",
            "Wij kennen deze rechten toe aan de volgende groepen: Klanten.",
        ],
    ),
    (
        "appropriate measures against misuse, loss, unauthorised access, unwanted disclosure "
        "and unauthorised alteration; report doubts about security",
        [
            "Passende maatregelen tegen misbruik, verlies, onbevoegde toegang, ongewenste "
            "openbaarmaking en ongeoorloofde wijziging",
            "Als jij het idee hebt dat jouw gegevens toch niet goed beveiligd zijn",
        ],
    ),
    (
        "a complaint to the Commission for the Protection of Privacy, Drukpersstraat 35, "
        "1000 Brussel",
        [
            "**Klacht**",
            "Commissie voor de Bescherming van de Persoonlijke Levenssfeer",
            "Drukpersstraat 35, 1000 Brussel",
        ],
    ),
    (
        "questions to Jens De Beule, managing director, by e-mail",
        ["Jens De Beule, zaakvoerder van JENSDEV, per e-mail"],
    ),
    (
        "the policy may be changed unilaterally without notice; the online version is the latest",
        [
            "eenzijdig zonder voorafgaande verwittiging gewijzigd of aangevuld",
            "Deze online versie is steeds de meest recente versie.",
        ],
    ),
]


@pytest.mark.parametrize(("promise", "strings"), CHECKLIST, ids=[p for p, _ in CHECKLIST])
def test_dutch_notice_carries_the_promise(notice_nl: str, promise: str, strings: list[str]) -> None:
    missing = [s for s in strings if s not in notice_nl]
    assert not missing, f"{promise}: not in the Dutch notice: {missing}"


def test_dutch_notice_names_the_email_channel(notice_nl: str) -> None:
    # "Daarvoor kan je altijd contact opnemen via [email protected]": by e-mail, address hidden.
    assert "**Per e-mail:** adres niet vermeld" in notice_nl


@pytest.mark.parametrize("lang", ["nl", "en", "fr"])
def test_notice_prints_no_placeholder_address(policy: Policy, lang: Lang) -> None:
    # The text gives no postal address: the notice neither invents one nor prints a placeholder.
    text = render_notice(policy, lang, "md")
    for placeholder in ("adres niet vermeld /", "address not stated /", "adresse non mentionnée"):
        assert placeholder not in text


def test_dutch_notice_has_no_controller_address(controller_section_nl: str) -> None:
    assert "**Adres:**" not in controller_section_nl


def test_english_and_french_notices_render(notice_en_fr: str) -> None:
    assert "JENSDEV" in notice_en_fr
    assert "Cloudways Ltd." in notice_en_fr
