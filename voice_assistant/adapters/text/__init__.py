"""Typed answers, one line of stdin each (``--text``): owns the console reader thread."""
