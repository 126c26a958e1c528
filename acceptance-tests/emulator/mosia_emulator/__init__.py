"""Mosia's AWS emulator: moto's server with real lifecycles, missing calls and fault injection."""

__version__ = "0.1.0"
