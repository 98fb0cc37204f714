"""The JSM example models shared/seeds/001_de27e8eb41b681c3.txt faithfully.

Three checks: the example loads; the linter finds exactly what the seed gets wrong; the Dutch
notice rendered from it carries every promise of the seed.
"""

from __future__ import annotations

import datetime as dt

import pytest

from privaat.core.duration import Duration
from privaat.core.lint import Finding
from privaat.core.policy import Policy
from privaat.core.policy.model import (
    ChannelKind,
    LegalBasis,
    Right,
    StatuteStatus,
    Verification,
)

NAME = "jsm"


# --------------------------------------------------------------------------- 1. it loads


def test_example_loads_with_the_seed_facts(policy: Policy) -> None:
    assert policy.jurisdiction == "BE"
    assert policy.languages == ["nl", "en", "fr"]
    assert policy.version == "2018-05-01"
    assert policy.date == dt.date(2018, 5, 1)
    assert policy.controller.name == "JSM BV"
    assert policy.controller.identifiers.kbo == "0758.818.627"
    assert policy.controller.contact.email == "info@JSM.be"
    assert policy.supervisory_authority.key == "be-cbpl"
    assert policy.supervisory_authority.name == "Privacy Commissie"
    assert [(s.statute, s.status) for s in policy.statutes] == [
        ("be-privacywet-1992", StatuteStatus.IN_FORCE),
        ("eu-gdpr", StatuteStatus.IN_FORCE),
    ]
    assert policy.children is not None
    assert policy.children.min_age == 16
    assert policy.rights.deadline == Duration(days=30)
    assert policy.rights.extension is None


def test_example_keeps_the_newsletter_rule(policy: Policy) -> None:
    # "Klanten kunnen berichten ontvangen gebaseerd op gerechtvaardigd belang van de onderneming.
    # Bezoekers van onze website, potentiële klanten (prospects) en derden ... moeten eerst via
    # een opt-in hun toestemming geven": two purposes.
    customers = policy.purpose("newsletter_customers")
    assert customers is not None
    assert customers.basis is LegalBasis.LEGITIMATE_INTEREST
    assert customers.soft_opt_in
    assert customers.marketing
    assert customers.legitimate_interest is not None
    assert customers.legitimate_interest.objection is not None
    assert "opt-out" in customers.legitimate_interest.objection["nl"]
    optin = policy.purpose("newsletter_consent")
    assert optin is not None
    assert optin.basis is LegalBasis.CONSENT
    assert not optin.soft_opt_in
    assert optin.consent is not None
    assert optin.consent.withdrawal is not None
    activities = {a.id: a for a in policy.activities}
    assert activities["newsletter_customers"].subjects == ["customers"]
    assert set(activities["newsletter_consent"].subjects) == {
        "visitors",
        "prospects",
        "third_parties",
    }
    existing = {s.id for s in policy.subjects if s.existing_customers}
    assert existing == {"customers"}


def test_example_keeps_the_seed_structure(policy: Policy) -> None:
    # "na maximaal 3 jaar van inactieve periode"; after a contract: no period stated.
    inactivity = policy.retention_rule("inactivity")
    assert inactivity is not None
    assert inactivity.maximum == Duration(years=3)
    assert {c.key for c in policy.categories} <= set(inactivity.categories)
    contract = policy.retention_rule("contract_term")
    assert contract is not None
    assert (contract.maximum, contract.minimum) == (None, None)
    assert policy.holds == []
    # "Wij verstrekken geen persoonsgegevens aan partijen welke gevestigd zijn buiten de EU."
    assert {r.country for r in policy.recipients} == {"BE"}
    # "Met hen werd telkens een verwerkersovereenkomst gesloten": an agreement, no date.
    providers = policy.recipient("service_providers")
    assert providers is not None
    assert providers.dpa_in_place
    assert providers.dpa_signed is None
    assert set(providers.categories) == {
        "user.name",
        "user.demographic.language",
        "user.demographic.gender",
        "user.contact.email",
    }
    assert Right.RESTRICTION not in policy.rights.rights
    assert policy.rights.verification == [Verification.ID_DOCUMENT]
    assert [(c.kind, c.address) for c in policy.rights.channels] == [
        (ChannelKind.EMAIL, "info@JSM.be"),
        (ChannelKind.POST, "JSM BV, Engelse Wandeling 2 F8V, 8500 Kortrijk"),
        (ChannelKind.ACCOUNT, None),
    ]
    assert [c.consent_required for c in policy.cookies] == [True, True, True, False]
    # The text states the lifetime of none of its cookies.
    assert [c.lifetime for c in policy.cookies] == [None, None, None, None]


def test_example_models_the_implied_consent(policy: Policy) -> None:
    # "Door gebruik te maken van de website en/of diensten verschaft de gebruiker zijn impliciete
    # toestemming": the basis of the data a website visit collects, and nowhere else.
    implied = [p.id for p in policy.purposes if p.consent is not None and p.consent.implied]
    assert implied == ["website_operation"]
    website = policy.purpose("website_operation")
    assert website is not None
    assert website.basis is LegalBasis.CONSENT


def test_example_keeps_the_free_standing_promises_as_statements(policy: Policy) -> None:
    assert [s.id for s in policy.statements] == [
        "associated_companies",
        "no_disclosure",
        "special_categories",
        "third_party_sites",
        "principles",
        "liability",
    ]
    # No promise is squeezed into a security measure any more.
    assert "processor_agreements" not in {m.id for m in policy.security}


# --------------------------------------------------------------------------- 2. findings

#: Every finding code the seed yields, with the seed sentence that causes it.
EXPECTED_CODES: dict[str, str] = {
    # "Bepalen van uw geschiktheid als klant of partner"; "Klanten kunnen berichten ontvangen
    # gebaseerd op gerechtvaardigd belang van de onderneming": no balancing anywhere.
    "PV104": "gerechtvaardigd belang, zonder afweging",
    # "behalve om te voldoen aan wettelijke verplichtingen en in geval van uitdrukkelijk verzoek
    # van de gerechtelijke autoriteiten of politiediensten": no statute named.
    "PV105": "om te voldoen aan wettelijke verplichtingen",
    # "Door gebruik te maken van de website en/of diensten verschaft de gebruiker zijn impliciete
    # toestemming aan de gegevensverwerking conform deze privacyverklaring."
    "PV112": "impliciete toestemming",
    # "gedurende een termijn gelijk aan de wettelijke bewaartermijn of de verjaringstermijn":
    # no period.
    "PV302": "de wettelijke bewaartermijn of de verjaringstermijn",
    # "Facturatie- en betalingsgegevens", "Financiële identificatie (bankrekeningnummer(s))", kept
    # "gedurende een termijn gelijk aan de wettelijke bewaartermijn ... om sociaalrechtelijke of
    # fiscale redenen": no statutory hold for the invoices is declared.
    "PV308": "Facturatie- en betalingsgegevens",
    # "Onze gerichte e-mailberichten bevatten meestal cookies ... om te weten of u het bericht
    # opent": consent is asked only once a link is clicked.
    "PV501": "gerichte e-mailberichten bevatten meestal cookies",
    # "JSM BV gebruikt functionele, analytische en tracking cookies": no lifetime for any of them,
    # nor for the tracking in e-mails.
    "PV503": "functionele, analytische en tracking cookies",
    # "Indien de voorwaarden zijn nageleefd is JSM BV verplicht gevolg te geven binnen 30 dagen".
    "PV702": "binnen 30 dagen",
    # Section 11 names no right to restriction of processing.
    "PV704": "geen recht op beperking",
    # "Wij kunnen u vragen om u te legitimeren".
    "PV705": "u te legitimeren",
    # "kan de gebruiker zich altijd wenden tot de privacy commissie"; "www.privacycommission.be".
    "PV802": "de privacy commissie",
    # "meer bepaald de wet van 8 december 1992 tot bescherming van de persoonlijke levenssfeer".
    "PV803": "de wet van 8 december 1992",
    # "websitebezoekers die jonger zijn dan 16 jaar": Belgium says 13.
    "PV804": "jonger dan 16 jaar",
}

#: Where every finding points: (code, id of the item the finding is about).
EXPECTED_PLACES: set[tuple[str, str]] = {
    ("PV104", "suitability"),
    ("PV104", "newsletter_customers"),
    ("PV105", "legal_obligations"),
    ("PV112", "website_operation"),
    ("PV302", "contract_term"),
    ("PV308", "customer_services"),
    ("PV501", "Tracking in e-mailberichten"),
    *(
        ("PV503", cookie)
        for cookie in (
            "Functionele cookies",
            "Analytische cookies",
            "Tracking cookies",
            "Tracking in e-mailberichten",
        )
    ),
    ("PV702", "rights"),
    ("PV704", "rights"),
    ("PV705", "rights"),
    ("PV802", "supervisory_authority"),
    ("PV803", "be-privacywet-1992"),
    ("PV804", "children"),
}


def test_findings_are_exactly_what_the_seed_gets_wrong(
    findings: list[Finding], places: set[tuple[str, str]]
) -> None:
    assert {f.code for f in findings} == set(EXPECTED_CODES)
    assert places == EXPECTED_PLACES


def test_restriction_is_the_only_missing_right(findings: list[Finding]) -> None:
    [finding] = [f for f in findings if f.code == "PV704"]
    assert "misses restriction" in finding.message


# --------------------------------------------------------------------------- 3. the notice

#: Every promise of the seed (in my words) and the strings the Dutch notice must carry for it.
CHECKLIST: list[tuple[str, list[str]]] = [
    (
        "JSM BV in Kortrijk is the controller, with enterprise number, phone, website, e-mail",
        [
            "JSM BV",
            "Engelse Wandeling 2 F8V, 8500 Kortrijk",
            "0758.818.627",
            "+32(0)56/70.67.70",
            "www.JSM.be",
            "info@JSM.be",
        ],
    ),
    ("last changed on 1 May 2018", ["1 mei 2018"]),
    (
        "the statement covers JSM and the companies associated with it, and is part of the "
        "General Terms",
        [
            "Deze privacyverklaring geldt voor JSM en voor de bedrijven die met JSM geassocieerd "
            "worden.",
            "De privacyverklaring vormt een integraal deel van onze Algemene Voorwaarden.",
        ],
    ),
    (
        "using the website or services is taken as implied consent to the processing; who does "
        "not agree must end the contact",
        [
            "Door gebruik te maken van de website en/of diensten verschaft de gebruiker zijn "
            "impliciete toestemming aan de gegevensverwerking conform deze privacyverklaring.",
            "moet u het contact onmiddellijk beëindigen",
            "Wij gaan ervan uit dat u uw toestemming geeft door onze website of onze diensten te "
            "gebruiken.",
            "stuur daarvoor een gespecificeerd verzoek naar info@JSM.be",
        ],
    ),
    (
        "it concerns prospects, customers, suppliers and partners, website visitors, applicants "
        "and third parties who are not customers",
        [
            "Potentiële klanten (prospects)",
            "Klanten",
            "Leveranciers",
            "Partners",
            "Bezoekers van onze website",
            "Sollicitanten",
            "Derden (geen klanten)",
        ],
    ),
    (
        "a website visit collects device type, IP address, operating system, browser type, "
        "traffic and location data, web logs and other communication data",
        [
            "Informatie over uw computer (apparaattype, besturingssysteem, browsertype)",
            "IP-adres",
            "Details van uw bezoeken aan onze website (verkeersgegevens, weblogs, andere "
            "communicatiegegevens)",
            "Locatiegegevens",
            "Passief verzameld bij een bezoek aan onze website of sociale-mediakanalen",
            "Systeembeheer, verkeer filteren, gebruikersdomeinen opzoeken en statistieken "
            "rapporteren",
        ],
    ),
    (
        "identifying data: name, first name, gender, preferred language, e-mail, phone, address",
        [
            "Naam en voornaam",
            "Geslacht",
            "Voorkeurstaal",
            "E-mailadres",
            "Telefoonnummer",
            "Adres",
        ],
    ),
    (
        "professional data: current employment, position, title, decision-making authority",
        ["Huidige tewerkstelling", "Functie, titel en beslissingsbevoegdheid"],
    ),
    (
        "financial data: external credit scores (not from the person), bank account numbers",
        [
            "Kredietinformatie (externe kredietscores)",
            "Externe kredietscores",
            "Bankrekeningnummer(s)",
        ],
    ),
    (
        "contract data: commercial information, invoicing and payment data, user name and password",
        [
            "Commerciële informatie over producten/diensten",
            "Facturatie- en betalingsgegevens",
            "Authenticatiegegevens (gebruikersnaam, wachtwoord)",
        ],
    ),
    (
        "the data are not combined with other personal data JSM holds",
        ["Wij combineren deze gegevens niet met andere persoonsgegevens waarover wij beschikken"],
    ),
    (
        "the twelve purposes of section 5",
        [
            "Verwerking van bestelling of contract t.b.v. telecommunicatiediensten",
            "Telefonisch of e-mailcontact in het kader van installatie, support of opvolging",
            "Reageren op technische, commerciële of niet-commerciële vragen die u indient en "
            "indien nodig om opheldering vragen",
            "De mogelijkheid bieden een account aan te maken op front- of backoffice-toepassingen",
            "Correcte toegang en gebruik van de website en diensten",
            "Informeren over wijzigingen van diensten en producten",
            "Bepalen van uw geschiktheid als klant of partner",
            "Verwerken van sollicitaties die u indient",
            "Facturatie en betalingen",
            "Personaliseren van uw site-ervaring",
            "Interesseprofielen opbouwen voor advertentiedoeleinden",
            "Verzenden van de nieuwsbrief en andere commerciële of niet-commerciële berichten",
            "Overige dienstverlening en interne bedrijfsvoering",
        ],
    ),
    (
        "customers receive messages on the company's legitimate interest and can opt out in "
        "every mailing; visitors, prospects and third parties only after an opt-in",
        [
            "Klanten kunnen berichten ontvangen op basis van het gerechtvaardigd belang van de "
            "onderneming.",
            "Gebruik de opt-out-mogelijkheid die in elke mailing verwerkt zit of contacteer ons "
            "via info@JSM.be.",
            "aan bezoekers, prospects en derden",
            "Opt-in",
        ],
    ),
    (
        "the legal bases the text states or implies: contract, legitimate interest, consent, "
        "legal obligation",
        ["art. 6.1.b AVG", "art. 6.1.f AVG", "art. 6.1.a AVG", "art. 6.1.c AVG"],
    ),
    (
        "data are shared with third parties only with written consent, withdrawable at any time",
        [
            "Persoonsgegevens delen met derden met uw schriftelijke toestemming",
            "U kunt deze toestemming te allen tijde intrekken.",
            "Organisaties en bedrijven waarmee JSM samenwerkt, enkel met uw uitdrukkelijke "
            "schriftelijke toestemming",
        ],
    ),
    (
        "recipients: processors for e-mail marketing, invoicing, follow-up orders and direct "
        "mailing (name, first name, language, gender, e-mail) under a processing agreement; "
        "staff bound to confidentiality; judicial authorities and police on express request; "
        "nobody outside the EU",
        [
            "Externe dienstverleners voor e-mailmarketing, facturatie, nabestellingen en direct "
            "mailing",
            "**Verwerkersovereenkomst (art. 28 AVG):** Er is een verwerkersovereenkomst gesloten.",
            "de nodige afspraken gemaakt om de beveiliging van uw persoonsgegevens te waarborgen",
            "Medewerkers van JSM",
            "zij zijn tot vertrouwelijkheid verplicht",
            "Gerechtelijke autoriteiten en politiediensten op hun uitdrukkelijk verzoek",
            "België",
        ],
    ),
    (
        "personal data are deleted after at most 3 years of inactivity",
        [
            "Verwijderd uit ons bestand na maximaal 3 jaar inactiviteit",
            "3 jaar",
            "uw laatste activiteit",
        ],
    ),
    (
        "contract data are kept for the contract and then for the statutory or limitation "
        "period, returned on request and destroyed carefully and securely",
        [
            "de wettelijke bewaartermijn (bijvoorbeeld om sociaalrechtelijke of fiscale redenen)",
            "de verjaringstermijn waarbinnen een rechtsvordering kan worden ingesteld",
            "op verzoek terugbezorgd en zorgvuldig en veilig vernietigd",
            "het einde van de overeenkomst",
        ],
    ),
    (
        "functional, analytical and tracking cookies, consent asked on the first visit, "
        "refused through the browser settings",
        [
            "Functionele cookies",
            "Analytische cookies",
            "Tracking cookies",
            "Toestemming gevraagd bij uw eerste bezoek aan onze website",
            "Stel uw internetbrowser zo in dat hij geen cookies meer opslaat",
        ],
    ),
    (
        "targeted e-mails contain tracking that shows opens, reads, deletes and clicks; "
        "a click asks for consent to the cookies",
        [
            "Tracking in e-mailberichten",
            "Weten of u ons e-mailbericht opent, leest of verwijdert en op welke links u klikt.",
            "Wanneer u op een link in een e-mail van JSM klikt, wordt toestemming gevraagd om de "
            "cookies toe te staan.",
        ],
    ),
    (
        "security: physical access, devices, paper and digital documents policies, a secured "
        "environment open to a limited number of staff",
        [
            "Interne policy omtrent fysieke toegang tot kantoor en bedrijfswagens",
            "Interne policy omtrent gebruik van computers, smartphones en andere digitale "
            "apparaten",
            "Up-to-date antivirus en beveiligingsupdates",
            "clean desk policy",
            "versnippering van documenten",
            "Interne policy omtrent digitale documenten",
            "Opslag in een beveiligde omgeving die niet toegankelijk is voor het publiek",
        ],
    ),
    (
        "information is processed for internal purposes only; nothing is passed on to third "
        "parties except for the contracts, legal obligations or on the express request of the "
        "judicial authorities or police; any other passing on is stated or asked consent for",
        [
            "De informatie wordt louter voor interne doeleinden verwerkt.",
            "Wij geven uw persoonsgegevens geenszins door aan derden, behalve indien dit "
            "noodzakelijk is voor het uitvoeren van de overeenkomsten tussen u en ons",
            "wordt dat uitdrukkelijk vermeld of wordt u uitdrukkelijk om uw toestemming gevraagd",
        ],
    ),
    (
        "sensitive data are never collected; express agreement would be asked; unsolicited "
        "sensitive data are used under the applicable law; what counts as sensitive",
        [
            "Wij verzamelen en verwerken in geen geval persoonsgegevens die gekwalificeerd "
            "worden als gevoelig.",
            "zullen we u vragen om uitdrukkelijk akkoord te gaan",
            "Als u ons ongevraagd gevoelige persoonsgegevens verstrekt",
            "raciale of etnische afkomst",
            "strafregister (inclusief informatie over vermoedelijke criminele activiteiten)",
        ],
    ),
    (
        "links to partners', advertisers' and affiliates' sites: their own statements, no "
        "responsibility; JSM assumes they respect the GDPR",
        [
            "Onze website kan links bevatten naar sites van onze partners, adverteerders en/of "
            "gelieerde ondernemingen.",
            "wij aanvaarden geen enkele verantwoordelijkheid of aansprakelijkheid",
            "JSM gaat ervan uit dat deze derde partijen eveneens de nieuwe GDPR-regelgeving in "
            "acht nemen.",
        ],
    ),
    (
        "processing is fair, lawful, adequate and not kept longer than needed; the best possible "
        "security; compliance with the policy is checked regularly",
        [
            "De verwerking gebeurt op een eerlijke en rechtmatige wijze",
            "toereikend, ter zake dienend en niet overmatig",
            "JSM treft de best mogelijke veiligheidsmaatregelen",
            "We controleren regelmatig of we aan dit privacybeleid voldoen.",
        ],
    ),
    (
        "JSM is not liable for damage from the use of the website or its information",
        [
            "JSM kan niet aansprakelijk gesteld worden voor rechtstreekse of onrechtstreekse "
            "schade",
        ],
    ),
    (
        "the rights: access, correction, erasure, objection, portability, withdrawing consent, "
        "complaint",
        [
            "**Inzage**",
            "**Rectificatie**",
            "**Gegevenswissing**",
            "**Bezwaar**",
            "**Overdraagbaarheid van gegevens**",
            "**Intrekking van uw toestemming**",
            "**Klacht**",
        ],
    ),
    (
        "requests by e-mail to info@JSM.be, by letter, or erasure yourself in the account",
        [
            "**Per e-mail:** [info@JSM.be]",
            "**Per post:** JSM BV, Engelse Wandeling 2 F8V, 8500 Kortrijk",
            "**In uw account:**",
            "U kunt uw gegevens zelf laten verwijderen via de persoonlijke instellingen van uw "
            "account.",
        ],
    ),
    ("a reply within 30 days of receipt", ["binnen 30 dagen na ontvangst"]),
    ("JSM may ask you to identify yourself", ["identiteitsbewijs"]),
    (
        "complaints to JSM first, then to the Privacy Commission (privacycommission.be/nl); "
        "security concerns to customer service or info@JSM.be",
        [
            "Privacy Commissie",
            "https://www.privacycommission.be/nl",
            "neem dan eerst rechtstreeks contact met ons op",
            "neem dan contact op met onze klantenservice of via info@JSM.be",
        ],
    ),
    (
        "the Privacy Act of 8 December 1992 as the law that governs the processing",
        [
            "de wet van 8 december 1992 tot bescherming van de persoonlijke levenssfeer ten "
            "opzichte van de verwerking van persoonsgegevens (privacywet)",
            "de nieuwe GDPR-regelgeving",
        ],
    ),
    (
        "no data on visitors under 16 without a parent's or guardian's consent; such data are "
        "deleted on notice to info@JSM.be",
        [
            "jonger dan 16 jaar",
            "tenzij ze toestemming hebben van ouders of voogd",
            "dan verwijderen wij deze informatie",
        ],
    ),
    (
        "JSM may change the statement at any time on this page; the latest terms are online",
        [
            "behoudt zich het recht voor om op gelijk welk moment wijzigingen aan te brengen",
            "http://www.JSM.be/algemene-voorwaarden/",
        ],
    ),
]


@pytest.mark.parametrize(("promise", "strings"), CHECKLIST, ids=[p for p, _ in CHECKLIST])
def test_dutch_notice_carries_the_promise(notice_nl: str, promise: str, strings: list[str]) -> None:
    missing = [s for s in strings if s not in notice_nl]
    assert not missing, f"{promise}: not in the Dutch notice: {missing}"


def test_dutch_notice_states_no_cookie_lifetime(notice_nl: str) -> None:
    # The text gives the lifetime of none of its four kinds of cookies: none is invented.
    assert notice_nl.count("| Niet vermeld |") == 4


def test_english_and_french_notices_render(notice_en_fr: str) -> None:
    assert "JSM BV" in notice_en_fr
    assert "info@JSM.be" in notice_en_fr
