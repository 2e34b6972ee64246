"""Speech model downloads: resumable fetch, checked unpack, install (network and disk I/O)."""
