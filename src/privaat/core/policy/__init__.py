"""The policy model, its loader and its cross-reference checks."""

from privaat.core.policy.loader import LoadedPolicy, load_policy, read_policy
from privaat.core.policy.model import Policy

__all__ = ["LoadedPolicy", "Policy", "load_policy", "read_policy"]
