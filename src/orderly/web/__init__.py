"""The operations dashboard: server-rendered pages under /app."""
