"""Knowledge base: cities, services/desks and their texts per language (Italian is the source)."""
