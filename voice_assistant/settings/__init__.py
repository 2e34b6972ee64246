"""Settings: each choice and its check, and the settings file (pure values; reads one file)."""
