"""Rules on data categories (Art. 5, 9, 10, 30 GDPR) and their fideslang keys."""

from __future__ import annotations

from collections.abc import Iterator

from privaat.core import fideslang
from privaat.core.lint.engine import Hit, Severity, rule
from privaat.core.policy.model import Art9Condition, Policy


@rule(
    "PV201",
    Severity.ERROR,
    "category with no retention rule",
    "GDPR Art. 5(1)(e), Art. 13(2)(a)",
)
def no_retention(policy: Policy) -> Iterator[Hit]:
    kept = {key for rule_ in policy.retention for key in rule_.categories}
    for i, category in enumerate(policy.categories):
        if category.key not in kept:
            yield Hit(
                ("categories", i, "key"),
                f"category {category.key!r} has no retention rule, so nothing says how long "
                "it is kept",
                f"list {category.key!r} in the categories of a retention rule",
            )


@rule(
    "PV202",
    Severity.ERROR,
    "special category without an Art. 9 condition",
    "GDPR Art. 9(1)-(2)",
)
def special_without_condition(policy: Policy) -> Iterator[Hit]:
    for i, category in enumerate(policy.categories):
        if category.special and category.art9_condition is None:
            yield Hit(
                ("categories", i, "art9_condition"),
                f"special category {category.key!r} names no Art. 9(2) condition",
                "set art9_condition to one of: " + ", ".join(c.value for c in Art9Condition),
            )


@rule(
    "PV203",
    Severity.ERROR,
    "special-category key not marked special",
    "GDPR Art. 9(1)",
)
def special_not_marked(policy: Policy) -> Iterator[Hit]:
    for i, category in enumerate(policy.categories):
        if fideslang.is_special(category.key) and not category.special:
            yield Hit(
                ("categories", i, "special"),
                f"category {category.key!r} is a special category of Art. 9 "
                "but is not marked special",
                "set special: true and name its art9_condition",
            )


@rule(
    "PV204",
    Severity.INFO,
    "category key extends the fideslang taxonomy",
    "fideslang data-category taxonomy",
)
def extends_taxonomy(policy: Policy) -> Iterator[Hit]:
    for i, category in enumerate(policy.categories):
        if category.key in fideslang.KNOWN_KEYS:
            continue
        parent = fideslang.known_parent(category.key)
        below = f"below {parent!r}" if parent else "outside every known key"
        yield Hit(
            ("categories", i, "key"),
            f"category {category.key!r} is not a fideslang key; it extends the taxonomy {below}",
            "keep it if deliberate, or use the nearest fideslang key so imports match",
        )


@rule("PV205", Severity.WARNING, "category used by no activity", "GDPR Art. 30(1)(c)")
def unused_category(policy: Policy) -> Iterator[Hit]:
    used = {key for activity in policy.activities for key in activity.categories}
    for i, category in enumerate(policy.categories):
        if category.key not in used:
            yield Hit(
                ("categories", i, "key"),
                f"category {category.key!r} is processed by no activity",
                f"list {category.key!r} in the categories of the activity that processes it, "
                "or remove the category",
            )


@rule(
    "PV206",
    Severity.WARNING,
    "criminal-offence data processed",
    "GDPR Art. 10; BE Act of 30 July 2018 art. 10; NL UAVG art. 31-33",
)
def criminal_data(policy: Policy) -> Iterator[Hit]:
    for i, category in enumerate(policy.categories):
        if category.criminal or fideslang.is_criminal(category.key):
            yield Hit(
                ("categories", i, "key"),
                f"category {category.key!r} holds criminal convictions or offences (Art. 10)",
                "check that national law authorises this processing and name the provision "
                "in the policy",
            )
