"""The public job API (port 8000) and the dashboard it serves."""
