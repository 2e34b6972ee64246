"""The standard voice: espeak-ng through pyttsx3, rendered and played (owns a thread)."""
