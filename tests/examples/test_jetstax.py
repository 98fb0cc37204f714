"""The Jetstax example models shared/seeds/000_c8245adb5d75c3c6.txt faithfully.

Three checks: the example loads; the linter finds exactly what the seed gets wrong; the Dutch
notice rendered from it carries every promise of the seed.
"""

from __future__ import annotations

import re

import pytest

from privaat.core.duration import Duration
from privaat.core.lint import Finding
from privaat.core.policy import Policy
from privaat.core.policy.model import (
    ChannelKind,
    LegalBasis,
    RetentionAction,
    Right,
    StatuteStatus,
)
from privaat.examples import example_text

NAME = "jetstax"


# --------------------------------------------------------------------------- 1. it loads


def test_example_loads_with_the_seed_facts(policy: Policy) -> None:
    assert policy.jurisdiction == "BE"
    assert policy.languages == ["nl", "en", "fr"]
    assert policy.controller.name == "Jetstax"
    assert policy.controller.identifiers.kbo == "0730.671.009"
    assert policy.controller.address is not None
    assert policy.controller.address.city == "Rumst"
    # The text gives no e-mail address, phone number or website.
    assert policy.controller.contact.email is None
    assert policy.controller.privacy_contact is None
    assert policy.supervisory_authority.key == "be-gba"
    assert [(s.statute, s.status) for s in policy.statutes] == [
        ("eu-gdpr", StatuteStatus.IN_FORCE),
        ("be-privacywet-1992", StatuteStatus.IN_FORCE),
        ("be-wec-2005", StatuteStatus.IN_FORCE),
    ]
    assert policy.children is None
    assert policy.cookies == []


def test_example_keeps_the_seed_structure(policy: Policy) -> None:
    bases = {p.id: p.basis for p in policy.purposes}
    assert bases == {
        "requests": LegalBasis.CONTRACT,
        "newsletter": LegalBasis.CONSENT,
        "service": LegalBasis.CONTRACT,
        "administration": LegalBasis.LEGITIMATE_INTEREST,
        "direct_marketing": LegalBasis.LEGITIMATE_INTEREST,
        "performance": LegalBasis.LEGITIMATE_INTEREST,
        "legal_obligations": LegalBasis.LEGAL_OBLIGATION,
        "statistics": LegalBasis.LEGITIMATE_INTEREST,
        "network_security": LegalBasis.LEGITIMATE_INTEREST,
        "end_user_data": LegalBasis.CONSENT,
    }
    # Direct marketing on legitimate interest, with an opt-out, to customers only.
    marketing = policy.purpose("direct_marketing")
    assert marketing is not None
    assert marketing.marketing
    assert marketing.soft_opt_in
    assert marketing.legitimate_interest is not None
    assert marketing.legitimate_interest.objection is not None
    activities = {a.id: a for a in policy.activities}
    assert activities["direct_marketing"].subjects == ["customers"]
    # Anonymous aggregated statistics, with no period stated; no other retention at all.
    [rule] = policy.retention
    assert rule.action is RetentionAction.AGGREGATE
    assert (rule.maximum, rule.minimum) == (None, None)
    assert activities["statistics"].retention == [rule.id]
    assert policy.holds == []
    assert policy.rights.rights == [Right.OBJECTION]
    # No deadline is stated, so none is set: the law's one month is the default.
    assert re.search(r"^\s*deadline:", example_text(NAME), re.MULTILINE) is None
    assert policy.rights.deadline == Duration(months=1)
    assert [c.kind for c in policy.rights.channels] == [ChannelKind.POST]


def test_example_keeps_the_free_standing_promises_as_statements(policy: Policy) -> None:
    assert [s.id for s in policy.statements] == ["control", "care", "minimisation"]
    # Intentions are no security measures: only the monitoring the text names is one.
    assert [m.id for m in policy.security] == ["network_monitoring"]


# --------------------------------------------------------------------------- 2. findings

#: Every finding code the seed yields, with the seed sentence that causes it.
EXPECTED_CODES: dict[str, str] = {
    # "dient de klant steeds, waar nodig, de wettelijk vereiste toestemmingen van de
    # eindgebruikers te verkrijgen": no way for end users to withdraw.
    "PV103": "toestemmingen van de eindgebruikers",
    # "in het kader van algemene fiscale en boekhoudkundige verplichtingen": no statute named.
    "PV105": "algemene fiscale en boekhoudkundige verplichtingen",
    # "Hieronder vindt u informatie over welke gegevens Jetstax verzamelt, waarom, hoe lang ...":
    # the text never says how long.
    "PV201": "hoe lang (nergens vermeld)",
    # "Jetstax kan anonieme, geaggregeerde gegevens gebruiken": aggregated, but not when.
    "PV302": "anonieme, geaggregeerde gegevens",
    # Same silence on retention, per processing activity.
    "PV304": "hoe lang (per activiteit)",
    # "U kunt zich uiteraard afmelden voor dit soort berichten (zie verder)": the only right the
    # text states; access, rectification, erasure, restriction, portability, withdrawal and
    # complaint are missing.
    "PV704": "zie verder",
    # "de wet van 8 december 1992 ("Privacywet") ... regelen de bescherming van uw
    # persoonsgegevens".
    "PV803": "de wet van 8 december 1992",
    # The text gives no e-mail address at all.
    "PV808": "geen e-mailadres",
}

#: Where every finding points: (code, id of the item the finding is about).
EXPECTED_PLACES: set[tuple[str, str]] = {
    ("PV103", "end_user_data"),
    ("PV105", "legal_obligations"),
    *(
        ("PV201", key)
        for key in (
            "user.name",
            "user.contact.address",
            "user.contact.phone_number",
            "user.contact.email",
            "user.account",
            "user.authorization.credentials",
            "user.demographic.profile",
            "user.content.private",
            "user.content",
        )
    ),
    ("PV302", "aggregation"),
    *(
        ("PV304", activity)
        for activity in (
            "requests",
            "newsletter",
            "customers",
            "direct_marketing",
            "performance",
            "legal_obligations",
            "network_security",
            "end_user_data",
        )
    ),
    ("PV704", "rights"),
    ("PV803", "be-privacywet-1992"),
    ("PV808", "controller"),
}


def test_findings_are_exactly_what_the_seed_gets_wrong(
    findings: list[Finding], places: set[tuple[str, str]]
) -> None:
    assert {f.code for f in findings} == set(EXPECTED_CODES)
    assert places == EXPECTED_PLACES


def test_every_right_but_objection_is_missing(findings: list[Finding]) -> None:
    [finding] = [f for f in findings if f.code == "PV704"]
    for right in (
        "access",
        "rectification",
        "erasure",
        "restriction",
        "portability",
        "withdraw_consent",
        "complaint",
    ):
        assert right in finding.message


# --------------------------------------------------------------------------- 3. the notice

#: Every promise of the seed (in my words) and the strings the Dutch notice must carry for it.
CHECKLIST: list[tuple[str, list[str]]] = [
    (
        "Jetstax, registered office in Rumst, KBO 0730.671.009, is the controller",
        ["Jetstax", "Schoolstraat 4A bus 1.1, 2840 Rumst", "0730.671.009"],
    ),
    # The text is undated: the version is the example's own (see the comment in the file).
    ("the version of the policy", ["Versie 2019.1"]),
    (
        "the policy covers current, former and future customers and all website visitors, and "
        "the end users whose consent the customer must obtain",
        [
            "Huidige en voormalige klanten",
            "Toekomstige klanten",
            "Bezoekers van de Jetstax-website(s)",
            "Eindgebruikers van onze klanten",
        ],
    ),
    (
        "Jetstax asks new customers for name, address, phone, e-mail and customer number and "
        "assigns login details; it collects data from the use of its websites and services",
        [
            "Naam",
            "Adres",
            "Telefoonnummer",
            "E-mailadres",
            "Klantnummer",
            "Inloggegevens (door Jetstax toegewezen)",
            "Gegevens over uw gebruik van onze website(s), producten en diensten",
        ],
    ),
    (
        "information requests and newsletter sign-ups; pre-contractual information is used only "
        "to give the requested information",
        [
            "Een aanvraag voor onze producten en services verwerken",
            "De nieuwsbrief van Jetstax",
            "U meldt zich aan voor de nieuwsbrief.",
            "wordt alleen gebruikt om u de gevraagde informatie te verstrekken, op de manier die "
            "u wilt",
        ],
    ),
    (
        "setting up, maintaining and supporting products and services, under the General Terms "
        "for Managed Hosting & Cloud Services, and administrative purposes",
        [
            "producten en diensten opzetten, onderhouden en ondersteunen",
            "Algemene Voorwaarden voor Managed Hosting & Cloud Services",
            "Administratieve doeleinden en intern administratief beheer",
        ],
    ),
    (
        "offers of new products, services and special deals in writing, by phone or "
        "electronically, with an opt-out",
        [
            "Informatie verstrekken over (nieuwe) producten en services van Jetstax",
            "(schriftelijk, telefonisch of elektronisch)",
            "U kunt zich uiteraard afmelden voor dit soort berichten.",
        ],
    ),
    (
        "evaluating products and services with personal data and consumer profiles: feedback, "
        "market research, answers to questions, fraud detection, quality assurance",
        [
            "Prestaties bijhouden: onze producten en diensten evalueren",
            "Consumentenprofielen",
            "Vragen van klanten en feedback over de dienstverlening",
            "bijvoorbeeld via marktonderzoek",
            "fraudedetectie en kwaliteitsborging",
            "profilering",
        ],
    ),
    (
        "legal obligations: tax and accounting duties towards public authorities, confidential "
        "disclosure to competent authorities in police or judicial investigations",
        [
            "Voldoen aan wettelijke verplichtingen",
            "Overheidsinstanties, bijvoorbeeld in het kader van algemene fiscale en "
            "boekhoudkundige verplichtingen",
            "De daartoe bevoegde autoriteiten in het kader van een politioneel of gerechtelijk "
            "onderzoek",
        ],
    ),
    (
        "research, tests and statistics on anonymous, aggregated data that cannot be traced to "
        "an individual",
        [
            "Onderzoeken, tests en statistieken bijhouden, ook voor trendanalyse",
            "anonieme, geaggregeerde gegevens",
            "niet te herleiden tot een specifiek individu",
            "samengevoegd tot anonieme statistieken",
        ],
    ),
    (
        "the four legal bases, and for legitimate interests (direct marketing, fraud "
        "prevention, internal administration, network and information security) a balance "
        "with the person's privacy",
        [
            "art. 6.1.a AVG",
            "art. 6.1.b AVG",
            "art. 6.1.c AVG",
            "art. 6.1.f AVG",
            "Direct marketing",
            "fraudepreventie",
            "Intern administratief beheer",
            "Het bewaken van passende netwerk- en informatiebeveiliging",
            "Wij streven altijd naar een evenwicht tussen dat belang en het respecteren van de "
            "privacy van de betrokkene.",
        ],
    ),
    (
        "the customer obtains its end users' consent where the law requires it",
        [
            "De klant verkrijgt, waar nodig, de wettelijk vereiste toestemming van zijn "
            "eindgebruikers.",
        ],
    ),
    (
        "customer data are managed securely, respectfully and with care; for each purpose only "
        "the data it needs; network and information security are monitored",
        [
            "Jetstax wil haar klantgegevens veilig, respectvol en met de nodige zorgvuldigheid "
            "beheren en gebruiken",
            "Voor elk doel verwerkt Jetstax alleen die gegevens die nodig zijn om het beoogde doel "
            "te bereiken.",
            "Bewaking van passende netwerk- en informatiebeveiliging",
        ],
    ),
    (
        "Jetstax informs its customers and users and gives them control; everyone should control "
        "their personal data",
        [
            "Jetstax wil haar klanten en gebruikers zoveel mogelijk informeren over haar diensten",
            "Jetstax gaat uit van het principe dat iedereen controle moet hebben over zijn "
            "persoonsgegevens.",
        ],
    ),
    (
        "Jetstax seeks to meet its obligations and respect the customer's rights; more on rights "
        "at the Data Protection Authority's website",
        [
            "Jetstax streeft ernaar haar verplichtingen na te komen en de rechten van de klant te "
            "respecteren",
            "Gegevensbeschermingsautoriteit",
            "https://www.gegevensbeschermingsautoriteit.be/burger",
        ],
    ),
    ("objecting to marketing is the right the text states", ["**Bezwaar**"]),
    (
        "the only address the text gives is the registered office",
        ["**Per post:** Jetstax, Schoolstraat 4A bus 1.1, 2840 Rumst"],
    ),
    (
        "the GDPR, the Privacy Act of 8 December 1992 and the Electronic Communications Act of "
        "13 June 2005 as cited",
        [
            "De Europese Algemene Verordening Gegevensbescherming 2016/679 van 27 april 2016",
            'de wet van 8 december 1992 ("Privacywet")',
            'de wet van 13 juni 2005 ("Wet Elektronische Communicatie")',
        ],
    ),
]


@pytest.mark.parametrize(("promise", "strings"), CHECKLIST, ids=[p for p, _ in CHECKLIST])
def test_dutch_notice_carries_the_promise(notice_nl: str, promise: str, strings: list[str]) -> None:
    missing = [s for s in strings if s not in notice_nl]
    assert not missing, f"{promise}: not in the Dutch notice: {missing}"


def test_english_and_french_notices_render(notice_en_fr: str) -> None:
    assert "Jetstax" in notice_en_fr
    assert "0730.671.009" in notice_en_fr
