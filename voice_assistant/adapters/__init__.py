"""Adapters: the real devices and engines behind the small interfaces in ``ports``."""
