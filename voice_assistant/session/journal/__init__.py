"""The session journal: SQLite schema, writes, recovery, queries, safe wrapper (disk I/O)."""
