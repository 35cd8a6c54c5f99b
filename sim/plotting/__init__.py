"""Figures: one shared look (:mod:`.style`), figures built from saved results."""
