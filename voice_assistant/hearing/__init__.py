"""From input to transcripts: cutting and @SECONDS marks (pure), the listener (owns a thread)."""
