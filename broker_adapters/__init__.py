"""Venue adapters behind one async protocol (see ``broker_adapters.base``)."""
