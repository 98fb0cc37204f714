"""The words of the Art. 30 register in Dutch, English and French.

Every fixed text the register prints is here, keyed by language, so that a record
built in one language never mixes in another.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from privaat.core.duration import Duration
from privaat.core.policy.model import (
    Art9Condition,
    LegalBasis,
    MeasureKind,
    RecipientRole,
    RetentionAction,
    Role,
    Source,
    TransferMechanism,
    Trigger,
)

Words = Mapping[str, str]


def word(table: Words, lang: str) -> str:
    """The entry of `table` in `lang`, falling back to English."""
    return table.get(lang) or table["en"]


def pick(text: Mapping[Any, str] | None, lang: str, order: Sequence[str] = ()) -> str | None:
    """A policy text in `lang`; else in the first language of `order` it has; else any."""
    if not text:
        return None
    if lang in text:
        return text[lang]
    for other in order:
        if other in text:
            return text[other]
    return next(iter(text.values()))


LEGAL_BASIS: dict[LegalBasis, Words] = {
    LegalBasis.CONSENT: {
        "nl": "Toestemming (art. 6.1.a AVG)",
        "en": "Consent (Art. 6(1)(a) GDPR)",
        "fr": "Consentement (art. 6.1.a RGPD)",
    },
    LegalBasis.CONTRACT: {
        "nl": "Uitvoering van een overeenkomst (art. 6.1.b AVG)",
        "en": "Performance of a contract (Art. 6(1)(b) GDPR)",
        "fr": "Exécution d'un contrat (art. 6.1.b RGPD)",
    },
    LegalBasis.LEGAL_OBLIGATION: {
        "nl": "Wettelijke verplichting (art. 6.1.c AVG)",
        "en": "Legal obligation (Art. 6(1)(c) GDPR)",
        "fr": "Obligation légale (art. 6.1.c RGPD)",
    },
    LegalBasis.VITAL_INTERESTS: {
        "nl": "Vitale belangen (art. 6.1.d AVG)",
        "en": "Vital interests (Art. 6(1)(d) GDPR)",
        "fr": "Intérêts vitaux (art. 6.1.d RGPD)",
    },
    LegalBasis.PUBLIC_TASK: {
        "nl": "Taak van algemeen belang (art. 6.1.e AVG)",
        "en": "Public task (Art. 6(1)(e) GDPR)",
        "fr": "Mission d'intérêt public (art. 6.1.e RGPD)",
    },
    LegalBasis.LEGITIMATE_INTEREST: {
        "nl": "Gerechtvaardigd belang (art. 6.1.f AVG)",
        "en": "Legitimate interest (Art. 6(1)(f) GDPR)",
        "fr": "Intérêt légitime (art. 6.1.f RGPD)",
    },
}

ART9: dict[Art9Condition, Words] = {
    Art9Condition.EXPLICIT_CONSENT: {
        "nl": "uitdrukkelijke toestemming (art. 9.2.a AVG)",
        "en": "explicit consent (Art. 9(2)(a) GDPR)",
        "fr": "consentement explicite (art. 9.2.a RGPD)",
    },
    Art9Condition.EMPLOYMENT: {
        "nl": "arbeidsrecht en sociale zekerheid (art. 9.2.b AVG)",
        "en": "employment and social security law (Art. 9(2)(b) GDPR)",
        "fr": "droit du travail et sécurité sociale (art. 9.2.b RGPD)",
    },
    Art9Condition.VITAL_INTERESTS: {
        "nl": "vitale belangen (art. 9.2.c AVG)",
        "en": "vital interests (Art. 9(2)(c) GDPR)",
        "fr": "intérêts vitaux (art. 9.2.c RGPD)",
    },
    Art9Condition.NOT_FOR_PROFIT: {
        "nl": "stichting of vereniging zonder winstoogmerk (art. 9.2.d AVG)",
        "en": "not-for-profit body (Art. 9(2)(d) GDPR)",
        "fr": "organisme à but non lucratif (art. 9.2.d RGPD)",
    },
    Art9Condition.MADE_PUBLIC: {
        "nl": "kennelijk openbaar gemaakt (art. 9.2.e AVG)",
        "en": "manifestly made public (Art. 9(2)(e) GDPR)",
        "fr": "manifestement rendues publiques (art. 9.2.e RGPD)",
    },
    Art9Condition.LEGAL_CLAIMS: {
        "nl": "rechtsvorderingen (art. 9.2.f AVG)",
        "en": "legal claims (Art. 9(2)(f) GDPR)",
        "fr": "droits en justice (art. 9.2.f RGPD)",
    },
    Art9Condition.SUBSTANTIAL_PUBLIC_INTEREST: {
        "nl": "zwaarwegend algemeen belang (art. 9.2.g AVG)",
        "en": "substantial public interest (Art. 9(2)(g) GDPR)",
        "fr": "intérêt public important (art. 9.2.g RGPD)",
    },
    Art9Condition.HEALTH_CARE: {
        "nl": "gezondheidszorg (art. 9.2.h AVG)",
        "en": "health or social care (Art. 9(2)(h) GDPR)",
        "fr": "soins de santé (art. 9.2.h RGPD)",
    },
    Art9Condition.PUBLIC_HEALTH: {
        "nl": "volksgezondheid (art. 9.2.i AVG)",
        "en": "public health (Art. 9(2)(i) GDPR)",
        "fr": "santé publique (art. 9.2.i RGPD)",
    },
    Art9Condition.ARCHIVING_RESEARCH: {
        "nl": "archivering, onderzoek of statistiek (art. 9.2.j AVG)",
        "en": "archiving, research or statistics (Art. 9(2)(j) GDPR)",
        "fr": "archivage, recherche ou statistiques (art. 9.2.j RGPD)",
    },
}

NO_ART9_CONDITION: Words = {
    "nl": "geen voorwaarde van art. 9.2 AVG vermeld",
    "en": "no Art. 9(2) GDPR condition stated",
    "fr": "aucune condition de l'art. 9.2 RGPD indiquée",
}
CRIMINAL: Words = {
    "nl": "strafrechtelijke gegevens (art. 10 AVG)",
    "en": "criminal convictions and offences (Art. 10 GDPR)",
    "fr": "données pénales (art. 10 RGPD)",
}

ROLE: dict[Role, Words] = {
    Role.CONTROLLER: {
        "nl": "verwerkingsverantwoordelijke",
        "en": "controller",
        "fr": "responsable du traitement",
    },
    Role.JOINT_CONTROLLER: {
        "nl": "gezamenlijke verwerkingsverantwoordelijke",
        "en": "joint controller",
        "fr": "responsable conjoint du traitement",
    },
    Role.PROCESSOR: {"nl": "verwerker", "en": "processor", "fr": "sous-traitant"},
}

RECIPIENT_ROLE: dict[RecipientRole, Words] = {
    RecipientRole.PROCESSOR: {"nl": "verwerker", "en": "processor", "fr": "sous-traitant"},
    RecipientRole.SUB_PROCESSOR: {
        "nl": "subverwerker",
        "en": "sub-processor",
        "fr": "sous-traitant ultérieur",
    },
    RecipientRole.CONTROLLER: {
        "nl": "verwerkingsverantwoordelijke",
        "en": "controller",
        "fr": "responsable du traitement",
    },
    RecipientRole.JOINT_CONTROLLER: {
        "nl": "gezamenlijke verwerkingsverantwoordelijke",
        "en": "joint controller",
        "fr": "responsable conjoint",
    },
    RecipientRole.AUTHORITY: {
        "nl": "overheid",
        "en": "public authority",
        "fr": "autorité publique",
    },
    RecipientRole.INTERNAL: {"nl": "intern", "en": "internal", "fr": "interne"},
}

SOURCE: dict[Source, Words] = {
    Source.DATA_SUBJECT: {
        "nl": "de betrokkene zelf",
        "en": "the data subject",
        "fr": "la personne concernée",
    },
    Source.OBSERVED: {
        "nl": "waargenomen bij gebruik",
        "en": "observed during use",
        "fr": "observées lors de l'utilisation",
    },
    Source.CUSTOMER: {"nl": "onze klant", "en": "our customer", "fr": "notre client"},
    Source.THIRD_PARTY: {"nl": "derden", "en": "third parties", "fr": "des tiers"},
    Source.PUBLIC: {
        "nl": "openbare bronnen",
        "en": "public sources",
        "fr": "des sources publiques",
    },
}

TRANSFER: dict[TransferMechanism, Words] = {
    TransferMechanism.NONE: {
        "nl": "geen doorgiftemechanisme",
        "en": "no transfer mechanism",
        "fr": "aucun mécanisme de transfert",
    },
    TransferMechanism.ADEQUACY: {
        "nl": "adequaatheidsbesluit (art. 45 AVG)",
        "en": "adequacy decision (Art. 45 GDPR)",
        "fr": "décision d'adéquation (art. 45 RGPD)",
    },
    TransferMechanism.DPF: {
        "nl": "EU-VS Data Privacy Framework (adequaatheidsbesluit, art. 45 AVG)",
        "en": "EU-US Data Privacy Framework (adequacy decision, Art. 45 GDPR)",
        "fr": "cadre de protection des données UE-États-Unis (adéquation, art. 45 RGPD)",
    },
    TransferMechanism.SCC: {
        "nl": "modelcontractbepalingen (art. 46.2.c AVG)",
        "en": "standard contractual clauses (Art. 46(2)(c) GDPR)",
        "fr": "clauses contractuelles types (art. 46.2.c RGPD)",
    },
    TransferMechanism.BCR: {
        "nl": "bindende bedrijfsvoorschriften (art. 47 AVG)",
        "en": "binding corporate rules (Art. 47 GDPR)",
        "fr": "règles d'entreprise contraignantes (art. 47 RGPD)",
    },
    TransferMechanism.DEROGATION: {
        "nl": "afwijking (art. 49 AVG)",
        "en": "derogation (Art. 49 GDPR)",
        "fr": "dérogation (art. 49 RGPD)",
    },
}

DEROGATION_DOCUMENTATION: Words = {
    "nl": "documentatie van passende waarborgen (art. 49.1 tweede alinea AVG)",
    "en": "documentation of suitable safeguards (Art. 49(1) second subparagraph GDPR)",
    "fr": "documentation des garanties appropriées (art. 49.1 deuxième alinéa RGPD)",
}
NOT_DOCUMENTED: Words = {
    "nl": "niet gedocumenteerd",
    "en": "not documented",
    "fr": "non documentée",
}

DPA_SIGNED: Words = {
    "nl": "verwerkersovereenkomst gesloten op {date}",
    "en": "data processing agreement signed on {date}",
    "fr": "contrat de sous-traitance signé le {date}",
}
DPA_IN_PLACE: Words = {
    "nl": "verwerkersovereenkomst gesloten",
    "en": "data processing agreement concluded",
    "fr": "contrat de sous-traitance conclu",
}
IMPLIED_CONSENT: Words = {
    "nl": "toestemming afgeleid uit het gebruik van de website of dienst",
    "en": "consent inferred from use of the website or service",
    "fr": "consentement déduit de l'utilisation du site ou du service",
}

MEASURE_KIND: dict[MeasureKind, Words] = {
    MeasureKind.TECHNICAL: {"nl": "technisch", "en": "technical", "fr": "technique"},
    MeasureKind.ORGANISATIONAL: {
        "nl": "organisatorisch",
        "en": "organisational",
        "fr": "organisationnelle",
    },
}

TRIGGER: dict[Trigger, Words] = {
    Trigger.COLLECTION: {"nl": "de verzameling", "en": "collection", "fr": "la collecte"},
    Trigger.LAST_ACTIVITY: {
        "nl": "de laatste activiteit",
        "en": "the last activity",
        "fr": "la dernière activité",
    },
    Trigger.CONTRACT_END: {
        "nl": "het einde van het contract",
        "en": "the end of the contract",
        "fr": "la fin du contrat",
    },
    Trigger.EVENT: {"nl": "de gebeurtenis", "en": "the event", "fr": "l'événement"},
    Trigger.PROCEDURE_END: {
        "nl": "het einde van de procedure",
        "en": "the end of the procedure",
        "fr": "la fin de la procédure",
    },
    Trigger.SCHEDULE: {
        "nl": "de periodieke opschoning",
        "en": "the periodic sweep",
        "fr": "le nettoyage périodique",
    },
}

ACTION: dict[RetentionAction, Words] = {
    RetentionAction.DELETE: {
        "nl": "daarna verwijderd",
        "en": "then deleted",
        "fr": "puis supprimées",
    },
    RetentionAction.ANONYMISE: {
        "nl": "daarna geanonimiseerd",
        "en": "then anonymised",
        "fr": "puis anonymisées",
    },
    RetentionAction.AGGREGATE: {
        "nl": "daarna samengevoegd tot anonieme statistieken",
        "en": "then aggregated into anonymous statistics",
        "fr": "puis agrégées en statistiques anonymes",
    },
}

AT_MOST: Words = {
    "nl": "maximaal {d} na {t}",
    "en": "at most {d} after {t}",
    "fr": "au maximum {d} après {t}",
}
AT_ONCE: Words = {
    "nl": "onmiddellijk na {t}",
    "en": "immediately after {t}",
    "fr": "immédiatement après {t}",
}
WHILE_PROCEDURE: Words = {
    "nl": "alleen zolang de procedure loopt",
    "en": "only while the procedure runs",
    "fr": "uniquement pendant la durée de la procédure",
}
AT_LEAST: Words = {"nl": "minstens {d}", "en": "at least {d}", "fr": "au moins {d}"}
SWEEP: Words = {
    "nl": "verwijderd bij een opschoning om de {d}",
    "en": "removed in a sweep every {d}",
    "fr": "supprimées lors d'un nettoyage tous les {d}",
}
NO_MAXIMUM: Words = {
    "nl": "geen maximale bewaartermijn vermeld",
    "en": "no maximum retention stated",
    "fr": "aucune durée maximale indiquée",
}
HOLD: Words = {
    "nl": "{what}: wettelijk bewaard gedurende {d}{eoy} — {statute}",
    "en": "{what}: kept by law for {d}{eoy} — {statute}",
    "fr": "{what} : conservées légalement pendant {d}{eoy} — {statute}",
}
FROM_END_OF_YEAR: Words = {
    "nl": " vanaf 1 januari na het jaar van het stuk",
    "en": " from 1 January after the year of the document",
    "fr": " à partir du 1er janvier suivant l'année du document",
}

# Statements for a field that has nothing to list: the register says so in words.
NONE: Words = {"nl": "geen", "en": "none", "fr": "aucun"}
NO_DPO: Words = {
    "nl": "geen functionaris voor gegevensbescherming aangesteld",
    "en": "no data protection officer appointed",
    "fr": "aucun délégué à la protection des données désigné",
}
NO_REPRESENTATIVE_EU: Words = {
    "nl": "niet vereist (gevestigd in de EER)",
    "en": "not required (established in the EEA)",
    "fr": "non requis (établi dans l'EEE)",
}
NO_REPRESENTATIVE: Words = {
    "nl": "geen vertegenwoordiger aangewezen",
    "en": "no representative designated",
    "fr": "aucun représentant désigné",
}
NO_JOINT_CONTROLLER: Words = {
    "nl": "geen gezamenlijke verwerkingsverantwoordelijke",
    "en": "no joint controller",
    "fr": "aucun responsable conjoint",
}
NO_RECIPIENTS: Words = {"nl": "geen ontvangers", "en": "no recipients", "fr": "aucun destinataire"}
NO_TRANSFERS: Words = {
    "nl": "geen doorgifte buiten de EER",
    "en": "no transfers outside the EEA",
    "fr": "aucun transfert hors de l'EEE",
}
NO_SPECIAL: Words = {
    "nl": "geen bijzondere of strafrechtelijke gegevens",
    "en": "no special-category or criminal data",
    "fr": "aucune donnée sensible ou pénale",
}
NO_RETENTION: Words = {
    "nl": "geen bewaarregel vastgelegd",
    "en": "no retention rule recorded",
    "fr": "aucune règle de conservation enregistrée",
}
NO_SECURITY: Words = {
    "nl": "geen maatregelen beschreven",
    "en": "no measures described",
    "fr": "aucune mesure décrite",
}
NO_PURPOSE: Words = {
    "nl": "geen doel vermeld",
    "en": "no purpose stated",
    "fr": "aucune finalité indiquée",
}
NO_CONTROLLERS: Words = {
    "nl": "verwerkingsverantwoordelijken niet vermeld",
    "en": "controllers not stated",
    "fr": "responsables du traitement non indiqués",
}
NO_BASIS: Words = {
    "nl": "geen eenduidige rechtsgrond",
    "en": "no single legal basis",
    "fr": "pas de base juridique unique",
}

_UNITS: dict[str, tuple[Words, Words]] = {
    # unit: (singular, plural)
    "years": ({"nl": "jaar", "en": "year", "fr": "an"}, {"nl": "jaar", "en": "years", "fr": "ans"}),
    "months": (
        {"nl": "maand", "en": "month", "fr": "mois"},
        {"nl": "maanden", "en": "months", "fr": "mois"},
    ),
    "days": (
        {"nl": "dag", "en": "day", "fr": "jour"},
        {"nl": "dagen", "en": "days", "fr": "jours"},
    ),
}
_AND: Words = {"nl": " en ", "en": " and ", "fr": " et "}
_IMMEDIATELY: Words = {"nl": "onmiddellijk", "en": "immediately", "fr": "immédiatement"}


def duration_words(duration: Duration, lang: str) -> str:
    """A duration in words: ``2 years and 6 months``, ``30 dagen``, ``3 mois``.

    A zero duration (P0D) reads ``immediately``.
    """
    parts = []
    for unit, amount in (
        ("years", duration.years),
        ("months", duration.months),
        ("days", duration.days),
    ):
        if amount:
            singular, plural = _UNITS[unit]
            parts.append(f"{amount} {word(singular if amount == 1 else plural, lang)}")
    if not parts:
        return word(_IMMEDIATELY, lang)
    return word(_AND, lang).join(parts)
