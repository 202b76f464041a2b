"""pinflow: render, lint and drift-gate the publish-and-promote workflow."""
from __future__ import annotations

__version__ = "0.1.0"
