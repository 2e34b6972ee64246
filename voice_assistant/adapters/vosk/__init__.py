"""The optional vosk (Kaldi) recogniser (I/O: loads a model folder)."""
