"""The pocketsphinx recogniser and its language model (I/O: loads its model)."""
