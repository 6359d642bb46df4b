"""Applications (spec, status, flags) and app events (drift found and reverted, syncs).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision: str | None = "0001"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "apps",
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("spec", JSON, nullable=False),
        sa.Column("status", JSON, nullable=False),
        sa.Column("suspended", sa.Boolean(), nullable=False),
        sa.Column("pinned_revision", sa.String(), nullable=True),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("updated_at", TIME, nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_apps")),
    )
    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("app", sa.String(), nullable=False),
        sa.Column("type", sa.String(), nullable=False),
        sa.Column("resource_kind", sa.String(), nullable=True),
        sa.Column("resource_name", sa.String(), nullable=True),
        sa.Column("fields", JSON, nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("detected_at", TIME, nullable=False),
        sa.Column("reverted_at", TIME, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_events_app_detected_at"), "events", ["app", "detected_at"])
    op.create_index(op.f("ix_events_type_reverted_at"), "events", ["type", "reverted_at"])


def downgrade() -> None:
    op.drop_table("events")
    op.drop_table("apps")
