"""State store revisions, numbered ``NNNN_description.py`` with revision id ``"NNNN"``."""
