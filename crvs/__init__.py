"""CRVS statistics warehouse: agency feeds in, dimensional warehouse, quality gate, quarterly report out."""

__version__ = "0.1.0"
