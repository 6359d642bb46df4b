"""Replicas: membership with heartbeats, lease generations (fencing tokens), shared operations.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision: str | None = "0005"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("leases") as batch:
        batch.add_column(sa.Column("generation", BIG_ID, server_default=sa.text("0"), nullable=False))
    op.create_table(
        "replicas",
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("host", sa.String(), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_replicas")),
    )
    op.create_table(
        "operations",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("app", sa.String(), nullable=False),
        sa.Column("type", sa.String(), nullable=False),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("revision", sa.String(), nullable=True),
        sa.Column("prune", sa.Boolean(), nullable=True),
        sa.Column("confirm_prune", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("replica", sa.String(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_operations")),
    )
    op.create_index(op.f("ix_operations_app_state"), "operations", ["app", "state"])
    op.create_index(op.f("ix_operations_created_at"), "operations", ["created_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_operations_created_at"), table_name="operations")
    op.drop_index(op.f("ix_operations_app_state"), table_name="operations")
    op.drop_table("operations")
    op.drop_table("replicas")
    with op.batch_alter_table("leases") as batch:
        batch.drop_column("generation")
