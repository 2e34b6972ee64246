"""The running assistant: the single-threaded loop, always-on mode, output, data folder (I/O)."""
