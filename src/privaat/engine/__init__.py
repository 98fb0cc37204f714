"""Use cases that tie the core and the store together: consent, audit, staff, organisations.

Engine functions take a SQLAlchemy session, the time (``now``) and the acting principal's
label; they never commit and never read the clock or the environment themselves.
"""
