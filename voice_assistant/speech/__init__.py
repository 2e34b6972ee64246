"""Speech engines: registry, opening them (recogniser on its own thread), hardware-free speakers."""
