"""privaat: makes a company's privacy policy true."""

__version__ = "0.1.0"
