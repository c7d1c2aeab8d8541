"""Conveyor: a self-hosted job platform on PostgreSQL."""

__version__ = "0.1.0"
