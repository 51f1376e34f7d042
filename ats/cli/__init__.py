"""Command-line front end: thin wiring over the core; all text through ``ats.i18n``."""
