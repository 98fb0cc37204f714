"""``python -m privaat``."""

from privaat.cli import main

main()
