"""Adapters implementing the ports: local (embedded default) and Google Cloud."""
