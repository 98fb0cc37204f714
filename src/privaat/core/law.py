"""Facts of EU, Belgian and Dutch law that the policy model and the linter rely on.

Every fact here is data, so a change in the law is a change of one entry.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from privaat.core.duration import Duration

#: EU and EEA member states (ISO 3166-1 alpha-2). Transfers within need no mechanism.
EEA: frozenset[str] = frozenset(
    [
        "AT",
        "BE",
        "BG",
        "HR",
        "CY",
        "CZ",
        "DK",
        "EE",
        "FI",
        "FR",
        "DE",
        "GR",
        "HU",
        "IE",
        "IT",
        "LV",
        "LT",
        "LU",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SK",
        "SI",
        "ES",
        "SE",
        "IS",
        "LI",
        "NO",
    ]
)

#: Countries with an adequacy decision under Art. 45 GDPR. The United States is adequate
#: only for organisations certified under the EU-US Data Privacy Framework.
ADEQUATE: frozenset[str] = frozenset(
    ["AD", "AR", "CA", "CH", "FO", "GB", "GG", "IL", "IM", "JP", "JE", "KR", "NZ", "UY"]
)
ADEQUATE_IF_CERTIFIED: frozenset[str] = frozenset({"US"})

#: Age below which a child's consent to online services needs a parent (Art. 8 GDPR).
CHILD_CONSENT_AGE: dict[str, int] = {
    "BE": 13,  # Wet van 30 juli 2018, art. 7
    "NL": 16,  # UAVG, art. 5
    "FR": 15,
    "DE": 16,
    "LU": 16,
}

#: Countries whose policies privaat knows the national facts of.
SUPPORTED_JURISDICTIONS: frozenset[str] = frozenset({"BE", "NL"})


@dataclass(frozen=True, slots=True)
class Authority:
    """A data-protection supervisory authority, current or renamed."""

    key: str
    country: str
    name: dict[str, str]
    website: str
    email: str | None = None
    address: str | None = None
    renamed_to: str | None = None
    renamed_on: date | None = None


AUTHORITIES: dict[str, Authority] = {
    a.key: a
    for a in (
        Authority(
            key="be-gba",
            country="BE",
            name={
                "nl": "Gegevensbeschermingsautoriteit (GBA)",
                "en": "Belgian Data Protection Authority (GBA/APD)",
                "fr": "Autorité de protection des données (APD)",
            },
            website="https://www.gegevensbeschermingsautoriteit.be",
            email="contact@apd-gba.be",
            address="Drukpersstraat 35, 1000 Brussel",
        ),
        Authority(
            key="be-cbpl",
            country="BE",
            name={
                "nl": "Commissie voor de Bescherming van de Persoonlijke Levenssfeer (Privacycommissie)",
                "en": "Belgian Privacy Commission",
                "fr": "Commission de la protection de la vie privée",
            },
            website="https://www.privacycommission.be",
            address="Drukpersstraat 35, 1000 Brussel",
            renamed_to="be-gba",
            renamed_on=date(2018, 5, 25),
        ),
        Authority(
            key="nl-ap",
            country="NL",
            name={
                "nl": "Autoriteit Persoonsgegevens",
                "en": "Dutch Data Protection Authority (Autoriteit Persoonsgegevens)",
                "fr": "Autorité néerlandaise de protection des données (Autoriteit Persoonsgegevens)",
            },
            website="https://autoriteitpersoonsgegevens.nl",
            address="Postbus 93374, 2509 AJ Den Haag",
        ),
        Authority(
            key="nl-cbp",
            country="NL",
            name={
                "nl": "College bescherming persoonsgegevens",
                "en": "Dutch Data Protection Board (CBP)",
                "fr": "College bescherming persoonsgegevens (CBP)",
            },
            website="https://cbpweb.nl",
            renamed_to="nl-ap",
            renamed_on=date(2016, 1, 1),
        ),
    )
}

#: Authority names (lower case) as policies write them, to catch renamed authorities.
STALE_AUTHORITY_NAMES: dict[str, str] = {
    "privacycommissie": "be-gba",
    "privacy commissie": "be-gba",
    "privacy commission": "be-gba",
    "commissie voor de bescherming van de persoonlijke levenssfeer": "be-gba",
    "commission de la protection de la vie privée": "be-gba",
    "privacycommission.be": "be-gba",
    "college bescherming persoonsgegevens": "nl-ap",
    "cbpweb.nl": "nl-ap",
}


@dataclass(frozen=True, slots=True)
class Statute:
    """A statute a policy may cite."""

    key: str
    country: str  # "EU" for EU law
    title: dict[str, str]
    in_force: bool = True
    repealed_by: str | None = None
    repealed_on: date | None = None


STATUTES: dict[str, Statute] = {
    s.key: s
    for s in (
        Statute(
            "eu-gdpr",
            "EU",
            {
                "nl": "Algemene Verordening Gegevensbescherming (EU) 2016/679",
                "en": "General Data Protection Regulation (EU) 2016/679",
                "fr": "Règlement général sur la protection des données (UE) 2016/679",
            },
        ),
        Statute(
            "be-privacywet-1992",
            "BE",
            {
                "nl": "Wet van 8 december 1992 tot bescherming van de persoonlijke levenssfeer (Privacywet)",
                "en": "Belgian Privacy Act of 8 December 1992",
                "fr": "Loi du 8 décembre 1992 relative à la protection de la vie privée",
            },
            in_force=False,
            repealed_by="be-kaderwet-2018",
            repealed_on=date(2018, 9, 5),
        ),
        Statute(
            "be-kaderwet-2018",
            "BE",
            {
                "nl": "Wet van 30 juli 2018 betreffende de bescherming van natuurlijke personen "
                "met betrekking tot de verwerking van persoonsgegevens",
                "en": "Belgian Act of 30 July 2018 on the protection of natural persons "
                "with regard to the processing of personal data",
                "fr": "Loi du 30 juillet 2018 relative à la protection des personnes physiques "
                "à l'égard des traitements de données à caractère personnel",
            },
        ),
        Statute(
            "be-gba-wet-2017",
            "BE",
            {
                "nl": "Wet van 3 december 2017 tot oprichting van de Gegevensbeschermingsautoriteit",
                "en": "Belgian Act of 3 December 2017 establishing the Data Protection Authority",
                "fr": "Loi du 3 décembre 2017 portant création de l'Autorité de protection des données",
            },
        ),
        Statute(
            "be-wec-2005",
            "BE",
            {
                "nl": "Wet van 13 juni 2005 betreffende de elektronische communicatie",
                "en": "Belgian Electronic Communications Act of 13 June 2005",
                "fr": "Loi du 13 juin 2005 relative aux communications électroniques",
            },
        ),
        Statute(
            "be-wer-boek-xii",
            "BE",
            {
                "nl": "Wetboek van economisch recht, boek XII (elektronische handel, "
                "ongevraagde e-mail)",
                "en": "Belgian Code of Economic Law, Book XII (electronic commerce, unsolicited e-mail)",
                "fr": "Code de droit économique, livre XII (commerce électronique)",
            },
        ),
        Statute(
            "be-wbtw-art60",
            "BE",
            {
                "nl": "Btw-wetboek, art. 60 (bewaring van facturen, 10 jaar)",
                "en": "Belgian VAT Code, art. 60 (keeping invoices, 10 years)",
                "fr": "Code de la TVA, art. 60 (conservation des factures, 10 ans)",
            },
        ),
        Statute(
            "be-wer-art-iii-88",
            "BE",
            {
                "nl": "Wetboek van economisch recht, art. III.88 (boekhouding, 7 jaar)",
                "en": "Belgian Code of Economic Law, art. III.88 (accounting books, 7 years)",
                "fr": "Code de droit économique, art. III.88 (comptabilité, 7 ans)",
            },
        ),
        Statute(
            "be-wib92",
            "BE",
            {
                "nl": "Wetboek van de inkomstenbelastingen 1992",
                "en": "Belgian Income Tax Code 1992",
                "fr": "Code des impôts sur les revenus 1992",
            },
        ),
        Statute(
            "nl-uavg",
            "NL",
            {
                "nl": "Uitvoeringswet Algemene verordening gegevensbescherming",
                "en": "Dutch GDPR Implementation Act (UAVG)",
                "fr": "Loi néerlandaise d'exécution du RGPD (UAVG)",
            },
        ),
        Statute(
            "nl-wbp",
            "NL",
            {
                "nl": "Wet bescherming persoonsgegevens",
                "en": "Dutch Personal Data Protection Act (Wbp)",
                "fr": "Loi néerlandaise sur la protection des données personnelles (Wbp)",
            },
            in_force=False,
            repealed_by="nl-uavg",
            repealed_on=date(2018, 5, 25),
        ),
        Statute(
            "nl-awr-art52",
            "NL",
            {
                "nl": "Algemene wet inzake rijksbelastingen, art. 52 (fiscale bewaarplicht, 7 jaar)",
                "en": "Dutch General Tax Act, art. 52 (fiscal records, 7 years)",
                "fr": "Loi générale néerlandaise sur les impôts, art. 52 (7 ans)",
            },
        ),
        Statute(
            "nl-bw2-art10",
            "NL",
            {
                "nl": "Burgerlijk Wetboek boek 2, art. 10 (administratieplicht, 7 jaar)",
                "en": "Dutch Civil Code book 2, art. 10 (bookkeeping, 7 years)",
                "fr": "Code civil néerlandais, livre 2, art. 10 (7 ans)",
            },
        ),
        Statute(
            "nl-telecommunicatiewet",
            "NL",
            {
                "nl": "Telecommunicatiewet (art. 11.7 en 11.7a: e-mail en cookies)",
                "en": "Dutch Telecommunications Act (art. 11.7 and 11.7a: e-mail and cookies)",
                "fr": "Loi néerlandaise sur les télécommunications (art. 11.7 et 11.7a)",
            },
        ),
    )
}


@dataclass(frozen=True, slots=True)
class HoldStatute:
    """The minimum a statutory hold must last, by country and kind of record."""

    country: str
    kind: str
    minimum: Duration
    statute: str
    from_end_of_year: bool = True
    label: dict[str, str] = field(default_factory=dict)


HOLD_MINIMUMS: dict[tuple[str, str], HoldStatute] = {
    (h.country, h.kind): h
    for h in (
        HoldStatute(
            "BE",
            "invoices",
            Duration(years=10),
            "be-wbtw-art60",
            label={
                "nl": "facturen en btw-stukken",
                "en": "invoices and VAT records",
                "fr": "factures et pièces TVA",
            },
        ),
        HoldStatute(
            "BE",
            "accounting",
            Duration(years=7),
            "be-wer-art-iii-88",
            label={"nl": "boekhouding", "en": "accounting books", "fr": "comptabilité"},
        ),
        HoldStatute(
            "NL",
            "invoices",
            Duration(years=7),
            "nl-awr-art52",
            label={"nl": "facturen", "en": "invoices", "fr": "factures"},
        ),
        HoldStatute(
            "NL",
            "fiscal",
            Duration(years=7),
            "nl-awr-art52",
            label={
                "nl": "fiscale administratie",
                "en": "fiscal records",
                "fr": "documents fiscaux",
            },
        ),
        HoldStatute(
            "NL",
            "accounting",
            Duration(years=7),
            "nl-bw2-art10",
            label={"nl": "administratie", "en": "accounting records", "fr": "comptabilité"},
        ),
    )
}

#: A reply to a rights request is due within one month (Art. 12(3) GDPR)...
RIGHTS_DEADLINE = Duration(months=1)
#: ...extendable by at most two further months, with reasons given within the first.
RIGHTS_MAX_EXTENSION = Duration(months=2)
