"""Kedge's `controller` layer (see the design's architecture section)."""
