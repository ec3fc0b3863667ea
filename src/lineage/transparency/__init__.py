"""Publishing the log to the transparency ecosystem: C2SP tiles, a tile server, and a
monitor that follows a published log."""
