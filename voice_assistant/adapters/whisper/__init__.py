"""Whisper tiny.en recogniser: model calls, phrase scoring, the verdict (I/O: loads a model)."""
