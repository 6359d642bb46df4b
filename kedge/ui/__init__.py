"""Kedge's `ui` layer (see the design's architecture section)."""
