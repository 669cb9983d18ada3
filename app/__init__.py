"""QwQ Desktop: a private, offline chat for the QwQ-32B reasoning model."""

__version__ = "0.1.0"
