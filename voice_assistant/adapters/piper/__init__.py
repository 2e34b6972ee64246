"""The natural voice: Piper in a worker process, its client, the phrase cache (I/O, process)."""
