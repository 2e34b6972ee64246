"""heat-or-ice: an offline, hands-free heat-or-ice assistant for back pain."""

__version__ = "0.1.0"
