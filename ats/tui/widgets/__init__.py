"""Desk panels. Each renders a ``BrainSnapshot`` through a pure view function."""
