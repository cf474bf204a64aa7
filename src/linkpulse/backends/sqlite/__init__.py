"""The embedded backend: links, analytics and the click queue in SQLite files."""
