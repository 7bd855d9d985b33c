"""Runtimes: what runs a generator."""
