"""The session timer: state, schedule, sentences, voice commands (pure: no threads, no I/O)."""
