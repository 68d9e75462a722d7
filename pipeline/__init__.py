"""regclust: regional industrial clusters from official statistics."""

__version__ = "0.1.0"
