"""Renderings of a MapSnapshot: text (optionally coloured) and JSON."""
