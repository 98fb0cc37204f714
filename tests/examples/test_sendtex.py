"""The Sendtex example models shared/seeds/004_8bdc024081c724c1.txt faithfully.

Three checks: the example loads; the linter finds exactly what the seed gets wrong; the Dutch
notice rendered from it carries every promise of the seed, including the processor activity
for the customers' mailing lists.
"""

from __future__ import annotations

import datetime as dt

import pytest

from privaat.core.lint import Finding
from privaat.core.policy import Policy
from privaat.core.policy.model import (
    ChannelKind,
    LegalBasis,
    RetentionAction,
    Role,
    StatuteStatus,
    Trigger,
    Verification,
)

NAME = "sendtex"


# --------------------------------------------------------------------------- 1. it loads


def test_example_loads_with_the_seed_facts(policy: Policy) -> None:
    assert policy.jurisdiction == "BE"
    assert policy.languages == ["nl", "en", "fr"]
    assert policy.date == dt.date(2024, 1, 2)  # "laatste update 02/01/2024"
    controller = policy.controller
    assert (controller.name, controller.legal_name) == ("Sendtex", "Sendtex bv")
    assert controller.identifiers.vat == "BE 0887.868.120"
    assert controller.address is not None
    assert (controller.address.street, controller.address.postcode) == (
        "Genkersteenweg 204",
        "3500",
    )
    assert controller.address.city == "Hasselt"
    authority = policy.supervisory_authority
    assert (authority.key, authority.email) == ("be-gba", "contact@apd-gba.be")
    privacywet = next(s for s in policy.statutes if s.statute == "be-privacywet-1992")
    assert privacywet.status is StatuteStatus.IN_FORCE


def test_example_keeps_the_seed_structure(policy: Policy) -> None:
    lists = next(a for a in policy.activities if a.id == "mailing-lists")
    assert lists.role is Role.PROCESSOR
    assert lists.on_behalf_of is not None
    assert set(lists.categories) >= {
        "user.contact.email",
        "user.device.ip_address",
        "user.name.first",
        "user.name.last",
        "user.content.custom_fields",
    }
    encrypted = policy.category("user.content.encrypted_fields")
    assert encrypted is not None
    assert encrypted.encrypted
    deletion = policy.retention_rule("account-deletion")
    assert deletion is not None
    assert (deletion.trigger, deletion.event) == (Trigger.EVENT, "account_deletion")
    assert deletion.event_label is not None
    assert set(deletion.event_label) == {"nl", "en", "fr"}
    applicants = policy.retention_rule("application-procedure")
    assert applicants is not None
    assert applicants.trigger is Trigger.PROCEDURE_END
    statistics = policy.retention_rule("statistics")
    assert statistics is not None
    assert statistics.action is RetentionAction.AGGREGATE
    marketing = policy.purpose("marketing")
    assert marketing is not None
    assert marketing.marketing
    assert marketing.basis is LegalBasis.CONSENT
    assert policy.rights.verification == [Verification.ID_DOCUMENT]
    assert [c.kind for c in policy.rights.channels] == [
        ChannelKind.REGISTERED_POST,
        ChannelKind.EMAIL,
        ChannelKind.ACCOUNT,
    ]
    assert policy.rights.deadline.months == 1
    # "Niet-functionele cookies": the Cookieverklaring is not part of the text, no lifetime.
    [cookie] = policy.cookies
    assert (cookie.lifetime, cookie.consent_required) == (None, False)


def test_example_models_the_consent_inferred_from_use(policy: Policy) -> None:
    # "Door gebruik te maken van onze applicatie/website voor ... verleent u expliciet uw
    # toestemming"; "Wanneer u de applicatie of website van Sendtex bezoekt, verklaart u zich
    # akkoord met deze gegevensinzameling".
    implied = [p.id for p in policy.purposes if p.consent is not None and p.consent.implied]
    assert implied == ["billing", "newsletter", "marketing", "contact-form", "statistics"]


def test_example_keeps_the_free_standing_promises_as_statements(policy: Policy) -> None:
    assert [s.id for s in policy.statements] == [
        "more-use-more-data",
        "relevant-data-only",
        "internal-use-only",
        "lawful-processing",
        "user-control",
    ]
    # "niet verkocht, doorgegeven of meegedeeld": a promise, not a recipient.
    assert policy.recipient("internal") is None
    assert {r.id for r in policy.recipients} == {"sending-servers", "authorities"}


# --------------------------------------------------------------------------- 2. findings

#: Every finding code the seed yields, with the seed sentence that causes it.
EXPECTED_CODES: dict[str, str] = {
    # "De detectie van en bescherming tegen fraude ..." and "Om prestaties op te volgen ...":
    # Sendtex's own interest, with no balancing test.
    "PV104": "fraude / prestaties opvolgen",
    # "om zo wettelijke verplichtingen na te komen zoals ... fiscaliteit of juridische
    # noodzaak": no statute named.
    "PV105": "wettelijke verplichtingen ... fiscaliteit",
    # "Door gebruik te maken van onze applicatie/website voor het inschrijven op de nieuwsbrief,
    # het invullen van het contactformulier, het opslaan van gegevens voor facturatiedoeleinden
    # ... verleent u expliciet uw toestemming"; "Wanneer u de applicatie of website van Sendtex
    # bezoekt, verklaart u zich akkoord met deze gegevensinzameling": consent inferred from use.
    "PV112": "verleent u expliciet uw toestemming",
    # "Samenstelling van het gezin", "Vrijetijdsbesteding en interessen", "opleiding en
    # vorming", "BTWnr", browser type, custom and "encrypted" fields, campaign statistics:
    # no fideslang key, extensions.
    "PV204": "sollicitanten, btw-nummer, variabele velden",
    # "Sendtex bewaart en verwerkt persoonsgegevens zolang dit noodzakelijk is"; statistics
    # with no period.
    "PV302": "zolang dit noodzakelijk is",
    # "Onze e-mail sending servers worden internationaal gehost": no transfer mechanism ...
    "PV401": "internationaal gehost",
    # ... and no processing agreement stated for them.
    "PV402": "internationaal gehost",
    # "Niet-functionele cookies helpen ons ..."; "is het aan te raden dat u cookies
    # ingeschakeld hebt": no consent asked.
    "PV501": "Niet-functionele cookies",
    # "verwijzen wij u graag door naar onze Cookieverklaring", which the text does not contain:
    # no lifetime stated.
    "PV503": "Niet-functionele cookies",
    # "Wij vragen u dan ook om bij voorkeur een kopie van de voorzijde van uw identiteitskaart
    # toe te voegen aan uw aanvraag."
    "PV705": "kopie van de voorzijde van uw identiteitskaart",
    # "in overeenstemming met de Privacywet ... de Wet tot bescherming van de persoonlijke
    # levenssfeer ten opzichte van de verwerking van persoonsgegevens" (repealed in 2018).
    "PV803": "de Privacywet",
}

#: Where the main findings point: (code, id of the item the finding is about).
EXPECTED_PLACES: set[tuple[str, str]] = {
    ("PV104", "fraud"),
    ("PV104", "performance"),
    ("PV105", "legal-obligations"),
    *(
        ("PV112", purpose)
        for purpose in ("billing", "newsletter", "marketing", "contact-form", "statistics")
    ),
    ("PV302", "as-needed"),
    ("PV302", "statistics"),
    ("PV401", "sending-servers"),
    ("PV402", "sending-servers"),
    ("PV501", "Niet-functionele cookies"),
    ("PV503", "Niet-functionele cookies"),
    ("PV803", "be-privacywet-1992"),
}


def test_findings_are_exactly_what_the_seed_gets_wrong(
    findings: list[Finding], places: set[tuple[str, str]]
) -> None:
    assert {f.code for f in findings} == set(EXPECTED_CODES)
    assert places >= EXPECTED_PLACES


# --------------------------------------------------------------------------- 3. the notice

#: Every promise of the seed (in my words) and the strings the Dutch notice must carry for it.
CHECKLIST: list[tuple[str, list[str]]] = [
    (
        "Sendtex bv in Hasselt is the controller, with VAT number, e-mail and phone",
        [
            "Sendtex bv",
            "Genkersteenweg 204",
            "3500 Hasselt",
            "BE 0887.868.120",
            "info@sendtex.com",
            "+32 (0)11 54 23 12",
        ],
    ),
    ("the date of the last update", ["2 januari 2024"]),
    (
        "the statutes as the statement cites them, the Privacywet presented as in force",
        [
            "Wet van 8 december 1992 tot bescherming van de persoonlijke levenssfeer (Privacywet)",
            "Privacywet (Wet tot bescherming van de persoonlijke levenssfeer ten opzichte van de "
            "verwerking van persoonsgegevens)",
            "Verordening van 27 april 2016",
            "Wet van 3 december 2017 tot oprichting van de Gegevensbeschermingsautoriteit",
        ],
    ),
    (
        "the data subjects: visitors, contact form users, newsletter subscribers, customers, "
        "suppliers, applicants",
        [
            "Bezoekers van de applicatie en website",
            "Gebruikers van het contactformulier",
            "Inschrijvers op de nieuwsbrief",
            "Klanten (gebruikers van de Sendtex-applicatie)",
            "Leveranciers",
            "Sollicitanten",
        ],
    ),
    (
        "website visits: anonymised IP address, browser type, pages visited, cookies",
        [
            "IP-adres",
            "geanonimiseerd IP-adres",
            "Browsertype",
            "Bezochte webpagina's en uur en dag van consultatie",
            "Cookies",
        ],
    ),
    (
        "contact form, newsletter, customers and suppliers: name, first name, company, business "
        "address, e-mail, phone, VAT number",
        [
            "Naam en voornaam",
            "Bedrijfsnaam",
            "Bedrijfsadres",
            "E-mailadres",
            "Telefoonnummer",
            "Btw-nummer",
        ],
    ),
    (
        "applicants: identification, family composition, leisure and interests, education, "
        "profession, only while the procedure runs",
        [
            "Samenstelling van het gezin",
            "Vrijetijdsbesteding en interessen",
            "Gegevens omtrent opleiding en vorming",
            "Gegevens omtrent beroep en betrekking",
            "zolang de procedure loopt",
            "**Maximale termijn:** alleen zolang de procedure loopt",
        ],
    ),
    (
        "the purposes of section 4, with billing, the newsletter and the contact form on the "
        "consent given by using the site",
        [
            "U toegang verschaffen tot uw gebruikersprofiel",
            "Het aanbieden en verbeteren van een algemene en gepersonaliseerde dienstverlening",
            "gebruikersbeoordelingen",
            "Het aanbieden en verbeteren van de aangeleverde producten",
            "Facturatiedoeleinden",
            "Nieuwsbrieven, aanbod van informatie en aanbiedingen",
            "Marketingdoeleinden",
            "De detectie van en bescherming tegen fraude, fouten en/of criminele gedragingen",
            "Prestaties opvolgen om het product en de diensten te evalueren en te optimaliseren",
            "Statistische doeleinden",
            "Het nakomen van wettelijke verplichtingen, zoals fiscaliteit of juridische noodzaak",
            "verleent u expliciet uw toestemming",
            "verklaart u zich akkoord met deze gegevensinzameling",
            "Wij gaan ervan uit dat u uw toestemming geeft door onze website of onze diensten te "
            "gebruiken.",
            "te allen tijde het recht om uw toestemming in te trekken",
        ],
    ),
    (
        "the legal bases: contract, consent, legitimate interest, legal obligation",
        ["overeenkomst", "toestemming", "gerechtvaardigd belang", "wettelijke verplichting"],
    ),
    (
        "incomplete or incorrect data may postpone expected actions",
        ["behoudt Sendtex zich het recht voor bepaalde verwachte handelingen"],
    ),
    (
        "data are used only internally and never sold or passed on to third parties",
        [
            "De persoonsgegevens worden enkel verwerkt voor intern gebruik binnen Sendtex.",
            "niet verkocht, doorgegeven of meegedeeld aan derde partijen",
        ],
    ),
    (
        "data are collected for a safe, optimal and personal experience; the more the use, the "
        "more data; processing is essential to the service",
        [
            "veilige, optimale en persoonlijke gebruikerservaring",
            "De verzameling van persoonsgegevens wordt uitgebreider naarmate u intensiever gebruik "
            "maakt van de applicatie/website en onze online dienstverlening.",
        ],
    ),
    (
        "only relevant and necessary data are processed",
        [
            "Sendtex verbindt zich ertoe enkel de gegevens te verwerken die ter zake dienend zijn "
            "en noodzakelijk zijn voor de doeleinden waarvoor zij verzameld werden.",
        ],
    ),
    (
        "the guarantees of section 6.1: fair and lawful processing, only for the stated "
        "purposes, adequate, relevant and not excessive, kept only as long as needed",
        [
            "Sendtex verwerkt uw persoonsgegevens steeds eerlijk en rechtmatig.",
            "enkel conform de omschreven en gerechtvaardigde doeleinden van deze "
            "Privacyverklaring verwerkt",
            "toereikend, ter zake dienend en niet overmatig",
            "maar bewaard zolang dit noodzakelijk is",
        ],
    ),
    (
        "the user provides the data and so keeps a certain control",
        ["De Gebruiker verschaft steeds zelf de persoonsgegevens aan Sendtex"],
    ),
    (
        "Sendtex processes its customers' mailing lists on their behalf: e-mail, IP, first and "
        "last name, custom fields; only to make the platform work; never contacts, shares or "
        "sells them unless the law requires it; stored on EU servers; sent through "
        "internationally hosted servers, through EU servers only on request",
        [
            "Wanneer wij gegevens verwerken in opdracht van onze klanten",
            "E-maillijsten van onze klanten",
            "Onze klanten, de gebruikers van de Sendtex-applicatie",
            "Voornaam",
            "Achternaam",
            "Door de gebruiker zelf gedefinieerde variabele velden",
            "Statistieken van e-mailcampagnes",
            "custom API-connectie",
            "om de functionaliteiten van het platform te laten werken",
            "tenzij dit opgelegd wordt door de wet",
            "beveiligde EU-based servers",
            "Internationaal gehoste e-mail sending servers",
            "Subverwerker",
            "onbekend gebied",
            "via enkel EU-servers",
        ],
    ),
    (
        "fields a customer marks as encrypted are stored and exchanged encrypted",
        [
            'Velden die u als "encrypted" definieert',
            "encrypted in de databank opgeslagen",
            "SSL-beveiligde verbinding",
        ],
    ),
    (
        "retention: as long as needed, possibly longer with restricted access for legal "
        "obligations; statistics anonymous; deleted irreversibly when the account is deleted",
        [
            "zolang dit noodzakelijk is voor het verwezenlijken van de omschreven en "
            "gerechtvaardigde doeleinden",
            "beperkt toegankelijk",
            "anonieme statistieken",
            "**Maximale termijn:** onmiddellijk na de bevestigde verwijdering van het account in "
            "de Sendtex applicatie",
            "onomkeerbaar en definitief uit de Sendtex databanken verwijderd",
        ],
    ),
    (
        "the cookies: non-functional cookies; the Cookieverklaring explains how to disable them",
        [
            "Niet-functionele cookies",
            "technische keuzes herinneren",
            "Cookieverklaring",
            "| Niet vermeld |",
        ],
    ),
    (
        "security: technical measures, precautions, breach response, EU servers, documented "
        "access, encryption, SSL, anonymised IP",
        [
            "De nodige technische en beveiligingsmaatregelen",
            "Alle mogelijke voorzorgen om ongeoorloofde toegang en gebruik te vermijden",
            "Bij inbraak in haar informaticasystemen",
            "E-maillijsten opgeslagen op beveiligde EU-based servers",
            "select en gedocumenteerd aantal mensen",
            "Geanonimiseerd IP-adres voor websitestatistieken",
        ],
    ),
    (
        "the rights, answered within one month, requested by registered post or e-mail with "
        "proof of identity, or in the application itself",
        [
            "Inzage",
            "Rectificatie",
            "Gegevenswissing",
            "Beperking",
            "Bezwaar",
            "Overdraagbaarheid van gegevens",
            "Intrekking van uw toestemming",
            "Klacht",
            "binnen 1 maand",
            "kopie van een identiteitsbewijs",
            "Per aangetekende brief",
            "Sendtex bv, Genkersteenweg 204, 3500 Hasselt, België",
            "info@sendtex.com",
            "volledig autonoom uw account en alle gerelateerde e-mailmarketinggegevens verwijderen",
            "aanvullende verklaring",
            "recht om vergeten te worden",
            "Sendtex beoordeelt de aanwezigheid van een van deze gevallen",
            "Beperking van de verwerking",
            "dwingende gerechtvaardigde gronden",
            "uitsluitend rust op uw toestemming",
        ],
    ),
    (
        "a complaint can go to the Gegevensbeschermingsautoriteit",
        ["Gegevensbeschermingsautoriteit (GBA)", "contact@apd-gba.be"],
    ),
    (
        "the statement may change; readers should consult it regularly",
        ["op regelmatige basis dit document te raadplegen"],
    ),
]


@pytest.mark.parametrize(("promise", "strings"), CHECKLIST, ids=[p for p, _ in CHECKLIST])
def test_dutch_notice_carries_the_promise(notice_nl: str, promise: str, strings: list[str]) -> None:
    missing = [s for s in strings if s not in notice_nl]
    assert not missing, f"{promise}: not in the Dutch notice: {missing}"


def test_english_and_french_notices_render(notice_en_fr: str) -> None:
    assert "Sendtex" in notice_en_fr
    assert "info@sendtex.com" in notice_en_fr
