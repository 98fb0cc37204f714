"""The privacy notice, rendered from the policy file in Dutch, English or French.

:func:`render_notice` builds a typed view model of the notice
(:mod:`privaat.notice.view`) and lays it out with a Jinja2 template per format.
"""

from privaat.notice.render import render_notice

__all__ = ["render_notice"]
