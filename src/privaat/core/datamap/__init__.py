"""The data map: where a company's personal data lives, as a checked file."""
