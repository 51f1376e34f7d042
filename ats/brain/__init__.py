"""The brain: tools, agents and the orchestrator that runs the cycle."""
