"""Helpers every rule script shares: logging to the rule log, progress lines, deterministic figures."""
