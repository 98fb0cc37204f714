"""privaat's own database: models, the engine and sessions, migrations.

Repositories and engine functions take a session and never commit: the caller owns the
transaction (the API commits once per request, the CLI once per command).
"""
