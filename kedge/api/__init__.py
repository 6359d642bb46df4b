"""Kedge's `api` layer (see the design's architecture section)."""
