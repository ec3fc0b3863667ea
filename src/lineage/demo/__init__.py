"""The demo: a realistic synthetic pipeline that uses only the public pipeline API."""
