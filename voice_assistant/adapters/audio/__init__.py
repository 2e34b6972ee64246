"""Sound devices and files: microphone (PortAudio threads), playback, earcons, WAV (I/O)."""
