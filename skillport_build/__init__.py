"""Skillport: share Claude Skills privately from one git repository."""

__version__ = "0.1.0"
