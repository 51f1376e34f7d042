"""ATS: a paper-first, multi-agent trading system for the trader's desktop."""

__version__ = "0.1.0"
