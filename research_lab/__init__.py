"""Research lab: strategy DSL, candidate generators, vectorized backtester, walk-forward,
gates, shadow evaluation and promotion of challengers.

It sits above ``ats.indicators`` and ``ats.strategies`` and below the brain/CLI: a promoted
challenger is a DSL JSON document the brain loads with ``research_lab.dsl.load_strategy``.
"""
