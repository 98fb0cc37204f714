"""The JixawStudio example models shared/seeds/003_fea8988d470a9b0a.txt faithfully.

Three checks: the example loads; the linter finds exactly what the seed gets wrong; the Dutch
notice rendered from it carries every promise of the seed.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest

from privaat.core.lint import Finding
from privaat.core.policy import Policy
from privaat.core.policy.model import ChannelKind, Lang, LegalBasis, Right, TransferMechanism
from privaat.examples import example_text
from privaat.notice import render_notice

NAME = "jixawstudio"


# --------------------------------------------------------------------------- 1. it loads


def test_example_loads_with_the_seed_facts(policy: Policy) -> None:
    assert policy.jurisdiction == "NL"
    assert policy.languages == ["nl", "en", "fr"]
    assert policy.controller.name == "JixawStudio"
    assert policy.controller.identifiers.kvk == "68210361"
    assert policy.controller.identifiers.vat == "NL152269617B02"
    # The two e-mail addresses of the seed, each where the seed gives it.
    assert policy.controller.contact.email == "info@jixawwebsolutions.nl"
    assert policy.controller.privacy_contact == "info@jixawstudio.nl"
    # "t: 00 31 (0)13 203 24 57" is the telephone; the mobile "m:" number is a statement.
    assert policy.controller.contact.phone == "00 31 (0)13 203 24 57"
    # The text gives no postal address: none is modelled.
    assert policy.controller.address is None
    assert policy.supervisory_authority.key == "nl-ap"
    assert policy.date == dt.date(2024, 1, 2)


def test_example_keeps_the_seed_structure(policy: Policy) -> None:
    bases = {p.id: p.basis for p in policy.purposes}
    assert bases["analytics"] is LegalBasis.CONSENT
    assert bases["improvement"] is LegalBasis.CONSENT
    assert bases["security"] is LegalBasis.LEGITIMATE_INTEREST
    assert bases["legal-order"] is LegalBasis.LEGAL_OBLIGATION
    seven = policy.retention_rule("seven-years")
    assert seven is not None
    assert seven.minimum is not None
    assert seven.minimum.years == 7
    assert seven.maximum is None
    ga = policy.recipient("google-analytics")
    assert ga is not None
    assert (ga.country, ga.transfer) == ("US", TransferMechanism.NONE)
    # "waar wij een verwerkers overeenkomst mee hebben gesloten": an agreement, no date.
    assert (ga.dpa_in_place, ga.dpa_signed) == (True, None)
    # "Deze worden alleen gebruikt bij Google-Analytics": no cookie name, no lifetime stated.
    [cookie] = policy.cookies
    assert (cookie.provider, cookie.lifetime, cookie.consent_required) == (
        "google-analytics",
        None,
        True,
    )
    assert [d.human_review for d in policy.automated_decisions] == [None]
    assert Right.WITHDRAW_CONSENT not in policy.rights.rights
    assert [(c.kind, c.address) for c in policy.rights.channels] == [
        (ChannelKind.EMAIL, "info@jixawstudio.nl")
    ]
    # No deadline is stated, so none is set: the law's one month is the default.
    assert re.search(r"^\s*deadline:", example_text(NAME), re.MULTILINE) is None
    assert [s.id for s in policy.statements] == [
        "no-other-purposes",
        "no-sale",
        "third-party-websites",
        "mobile-phone",
    ]


# --------------------------------------------------------------------------- 2. findings

#: Every finding code the seed yields, with the seed sentence that causes it.
EXPECTED_CODES: dict[str, str] = {
    # "Dit doen we aan de hand van een gerechtvaardigd belang" (server logs, unsolicited data):
    # no balancing test anywhere.
    "PV104": "gerechtvaardigd belang, zonder afweging",
    # "Een politievordering kan ons verplichten om uw gegevens met de politie te delen": no statute.
    "PV105": "politievordering",
    # "Na het verkrijgen van uw toestemming ...": how consent is asked is never said.
    "PV106": "Na het verkrijgen van uw toestemming",
    # "Uw e-mailadres kunnen we ook gebruiken om u via nieuwsbrieven up-to-date te houden",
    # listed among the data needed "Om uw overeenkomst ... uit te voeren".
    "PV110": "nieuwsbrieven als deel van de overeenkomst",
    # "browsersversie, en het tijdstip van uw bezoek" and the research agency's feedback have
    # no fideslang key: extensions.
    "PV204": "serverlogs en feedback",
    # "De persoonsgegevens bewaren we tenminste 7 (zeven) jaar".
    "PV301": "tenminste 7 (zeven) jaar",
    # "niet langer dan het nodig is"; server logs with no period; unsolicited data deleted
    # "voor zover technisch mogelijk" with no period.
    "PV302": "niet langer dan het nodig is / serverlogs / overige persoonsgegevens",
    # "het Amerikaanse Google Analytics": no transfer mechanism stated.
    "PV401": "het Amerikaanse Google Analytics",
    # "We zouden een onderzoeksbureau kunnen inzetten"; "wordt een incassobureau ingeschakeld":
    # no processing agreement stated for either.
    "PV402": "onderzoeksbureau, incassobureau",
    # "Cookies kunnen ook persoonsgegevens bevatten ... Deze worden alleen gebruikt bij
    # Google-Analytics": no lifetime stated.
    "PV503": "cookies van Google Analytics",
    # "dan kunnen wij de diensten blokkeren ... voordat er automatisch diensten worden opgezegd":
    # no human review.
    "PV601": "automatisch ... blokkeren ... opzeggen",
    # The rights paragraph lists no right to human intervention.
    "PV602": "Uw privacy rechten: geen menselijke tussenkomst",
    # The rights paragraph does not mention withdrawing consent.
    "PV704": "Uw privacy rechten: geen intrekking van toestemming",
    # "Contact gegevens": website, e-mail, phones, KvK and VAT, but no postal address.
    "PV809": "Contact gegevens: geen adres",
}

#: Where the main findings point: (code, id of the item the finding is about).
EXPECTED_PLACES: set[tuple[str, str]] = {
    ("PV104", "security"),
    ("PV104", "unsolicited"),
    ("PV105", "legal-order"),
    ("PV106", "analytics"),
    ("PV106", "improvement"),
    ("PV110", "newsletter"),
    ("PV301", "seven-years"),
    ("PV302", "as-needed"),
    ("PV302", "server-logs"),
    ("PV302", "unsolicited"),
    ("PV401", "google-analytics"),
    ("PV402", "research-agency"),
    ("PV402", "debt-collector"),
    ("PV503", "Cookies van Google Analytics"),
    ("PV601", "unpaid-invoices"),
    ("PV809", "controller"),
}


def test_findings_are_exactly_what_the_seed_gets_wrong(
    findings: list[Finding], places: set[tuple[str, str]]
) -> None:
    assert {f.code for f in findings} == set(EXPECTED_CODES)
    assert places >= EXPECTED_PLACES


def test_the_processing_agreement_with_google_analytics_counts(
    places: set[tuple[str, str]],
) -> None:
    # "waar wij een verwerkers overeenkomst mee hebben gesloten": no PV402 for Google Analytics.
    assert ("PV402", "google-analytics") not in places


# --------------------------------------------------------------------------- 3. the notice

#: Every promise of the seed (in my words) and the strings the Dutch notice must carry for it.
CHECKLIST: list[tuple[str, list[str]]] = [
    (
        "JixawStudio is the controller, with KvK, VAT, website, e-mail and both phone numbers",
        [
            "JixawStudio",
            "68210361",
            "NL152269617B02",
            "https://www.jixawstudio.nl",
            "info@jixawwebsolutions.nl",
            "00 31 (0)13 203 24 57",
            "00 31 (0)6 52 76 62 64",
        ],
    ),
    ("the version date", ["2 januari 2024"]),
    (
        "it processes name, address, company details, e-mail, phone, login details, customer "
        "number, order numbers, IP address, payment details and the domain name",
        [
            "Naam",
            "Adres en woonplaats",
            "Bedrijfsgegevens ((bedrijfs)naam en vestigingsadres)",
            "E-mailadres",
            "Telefoonnummer",
            "Inloggegevens",
            "Klantnummer",
            "Bestelgegevens (offertenummer, factuurnummer en winkelmandje)",
            "IP-adres",
            "Betaalgegevens (rekeningnummer en naam rekeninghouder)",
            "Domeinnaam",
        ],
    ),
    (
        "why each item is needed: invoices, messages and newsletters, emergencies and two-step "
        "verification by text message, secured login, a faster service",
        [
            "nodig voor het opstellen van facturen",
            "belangrijke berichten over uw vraag, bestelling, factuur of account",
            "in een noodgeval of om uw input te vragen",
            "tweetrapsverificatie of monitoring van uw website",
            "zodat alleen u of mensen met wie u deze gegevens zelf deelt kunnen inloggen",
            "waarmee we u sneller kunnen helpen",
            "Opgeslagen na een geslaagde bestelling",
        ],
    ),
    (
        "server logs hold IP address, browser version and time of visit, to fix errors and "
        "track down people who endanger the network",
        [
            "Serverlogs",
            "Verbindingsgegevens in serverlogs (browserversie en tijdstip van uw bezoek)",
            "fouten op onze systemen op te lossen",
            "personen op te sporen die ons netwerk in gevaar brengen",
        ],
    ),
    (
        "unsolicited personal data from support tickets, social media and e-mail are deleted "
        "when not needed, as far as technically possible",
        [
            "Overige persoonsgegevens die u ons ongevraagd toestuurt",
            "supporttickets, social-mediaberichten of e-mailberichten",
            "voor zover technisch mogelijk",
        ],
    ),
    (
        "the purposes: access, website features, the agreement, contact, complaints, security "
        "and fraud, newsletters, and (with consent) insight into use and improvement",
        [
            "Het verlenen van toegang tot onze website en diensten",
            "inloggen in uw controlepaneel",
            "Het laten werken van handige functionaliteiten op onze website",
            "winkelmandje bewaard blijft bij een volgend bezoek",
            "Het aangaan en uitvoeren van uw overeenkomst met ons",
            "Het opnemen van contact",
            "Het behandelen van uw klacht",
            "Het beveiligen van onze diensten en het bestrijden van fraude",
            "Nieuwsbrieven over nieuwe ontwikkelingen bij JixawStudio",
            "Het verkrijgen van inzicht in het gebruik van onze website",
            "Het verbeteren en evalueren van onze website en diensten",
            "Een politievordering kan ons verplichten om uw gegevens met de politie te delen",
        ],
    ),
    (
        "the legal bases: contract, legitimate interest, consent, legal obligation",
        ["overeenkomst", "gerechtvaardigd belang", "toestemming", "wettelijke verplichting"],
    ),
    (
        "without these data the agreement cannot be performed; without sharing with the whois "
        "database no domain name can be registered",
        [
            "hebben wij deze persoonsgegevens van u nodig",
            "Als we dit niet delen, is de registratie van een domeinnaam niet mogelijk",
        ],
    ),
    (
        "recipients: iDEAL and PayPal, the whois database, the police, Google Analytics (United "
        "States), a research agency, a debt collection agency",
        [
            "iDEAL",
            "PayPal",
            "De whois-database van de verantwoordelijke domeinnaamorganisatie",
            "De politie, wanneer een politievordering ons daartoe verplicht",
            "Google Analytics",
            "Verenigde Staten",
            "De verklaring vermeldt geen waarborg voor deze doorgifte.",
            "**Verwerkersovereenkomst (art. 28 AVG):** Er is een verwerkersovereenkomst gesloten.",
            "Een onderzoeksbureau, om te horen hoe tevreden u over onze diensten bent",
            "Een incassobureau, bij niet-betaalde facturen",
        ],
    ),
    (
        "personal data are kept at least 7 years, the statutory period, from the end of the "
        "contract; otherwise no longer than needed",
        [
            "tenminste 7 (zeven) jaar",
            "Minimale termijn:** 7 jaar",
            "het einde van de overeenkomst",
            "Algemene wet inzake rijksbelastingen, art. 52",
            "niet langer dan het nodig is om de doelen te realiseren",
            "Mochten er nog andere wettelijke bewaartermijnen",
        ],
    ),
    (
        "the rights: access, rectification, portability, erasure, restriction, objection, "
        "complaint, by e-mail to info@jixawstudio.nl, with adequate identification",
        [
            "Inzage",
            "Rectificatie",
            "Overdraagbaarheid van gegevens",
            "Gegevenswissing",
            "Beperking",
            "Bezwaar",
            "Klacht",
            "info@jixawstudio.nl",
            "adequaat te identificeren",
            "een klacht in te dienen",
        ],
    ),
    ("the supervisory authority", ["Autoriteit Persoonsgegevens"]),
    (
        "the complaint right rests on the privacy legislation",
        ["Algemene Verordening Gegevensbescherming", "“de privacywetgeving”"],
    ),
    (
        "the cookies: only Google Analytics",
        ["Cookies van Google Analytics", "surfgedrag en interesses", "| Niet vermeld |"],
    ),
    (
        "automatic payment reminders, blocking of services, debt collection before cancellation",
        [
            "Automatische betalingsherinneringen, blokkering en opzegging van diensten",
            "sturen wij automatisch enkele waarschuwingen naar de niet-betalende klant",
            "dan kunnen wij de diensten blokkeren die bij ons worden afgenomen",
            "er wordt een incassobureau ingeschakeld voordat er automatisch diensten worden "
            "opgezegd",
        ],
    ),
    (
        "security: need-to-know access, shielded access, regular checks, SSL certificates, "
        "protection after sharing",
        [
            "Alleen de noodzakelijke personen hebben toegang tot uw gegevens",
            "De toegang tot uw gegevens is afgeschermd",
            "Onze beveiligingsmaatregelen worden regelmatig gecontroleerd",
            "SSL-certificaten voor een veilige overdracht van uw gegevens",
            "ook nadat ze gedeeld zijn met een andere partij",
        ],
    ),
    (
        "no sale of data: anyone asking to buy them is shown the door; data are shared only in "
        "the three cases, and in two more with consent",
        [
            "Wanneer iemand JixawStudio vraagt om zomaar uw persoonsgegevens te mogen kopen, "
            "zullen we hem vriendelijk de deur wijzen.",
            "JixawStudio deelt uw gegevens alleen met anderen voor het verlenen of uitvoeren van "
            "onze diensten",
        ],
    ),
    (
        "the data are used for no other purposes, unless consented to beforehand or required "
        "by law",
        [
            "JixawStudio zal uw persoonsgegevens niet voor andere doeleinden gebruiken dan "
            "degene die hierboven besproken zijn, tenzij u daar vooraf toestemming voor hebt "
            "gegeven of wij daartoe wettelijk verplicht zijn.",
        ],
    ),
    (
        "the statements do not apply to other parties' websites linked to; read their "
        "statements before sharing data",
        [
            "Onze privacy- en cookieverklaring zijn niet van toepassing op websites van anderen "
            "waar wij naartoe linken",
            "vergeet dan niet om goed hun privacy- en cookieverklaring door te lezen",
        ],
    ),
]


@pytest.mark.parametrize(("promise", "strings"), CHECKLIST, ids=[p for p, _ in CHECKLIST])
def test_dutch_notice_carries_the_promise(notice_nl: str, promise: str, strings: list[str]) -> None:
    missing = [s for s in strings if s not in notice_nl]
    assert not missing, f"{promise}: not in the Dutch notice: {missing}"


@pytest.mark.parametrize("lang", ["nl", "en", "fr"])
def test_notice_prints_no_placeholder_address(policy: Policy, lang: Lang) -> None:
    # The text gives no postal address: the notice neither invents one nor prints a placeholder.
    text = render_notice(policy, lang, "md")
    assert "(geen adres vermeld)" not in text
    assert "—, —" not in text


def test_dutch_notice_has_no_controller_address(controller_section_nl: str) -> None:
    assert "**Adres:**" not in controller_section_nl


def test_english_and_french_notices_render(notice_en_fr: str) -> None:
    assert "JixawStudio" in notice_en_fr
    assert "Google Analytics" in notice_en_fr
