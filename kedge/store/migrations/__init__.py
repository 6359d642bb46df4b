"""Alembic environment and revisions of the state store (run by ``kedge.store.migrate``)."""
