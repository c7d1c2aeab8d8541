"""Durable state: schema migrations, connections, and data access outside the engine hot path."""
