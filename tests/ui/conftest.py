"""The UI tests use the API's fixtures: a real store with tokens, the in-memory control plane,
and the server with the UI mounted."""

from tests.api.conftest import api, client, clock, control, migrated_db, store, tokens  # noqa: F401
