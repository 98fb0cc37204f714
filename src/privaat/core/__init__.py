"""The pure domain: no database, web or CLI imports here."""
