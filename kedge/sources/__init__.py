"""Kedge's `sources` layer (see the design's architecture section)."""
