"""Initial schema: inventory (ownership), create intents, apply history.

Revision ID: 0001
Revises: none
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision: str | None = None
branch_labels = None
depends_on = None

# Spelled out rather than imported from kedge.store.tables: a revision must keep describing the
# schema as it was when it was written, whatever the models become.
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TIME = sa.DateTime(timezone=True)


def _identity_columns() -> list[sa.Column[str]]:
    return [
        sa.Column("app", sa.String(), nullable=False),
        sa.Column("api_version", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("provider", sa.String(), nullable=False),
        sa.Column("provider_config", sa.String(), nullable=False),
        sa.Column("identity_kind", sa.String(), nullable=False),
        sa.Column("external_id", sa.String(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "inventory",
        sa.Column("id", sa.Integer(), nullable=False),
        *_identity_columns(),
        sa.Column("spec", JSON, nullable=False),
        sa.Column("outputs", JSON, nullable=False),
        sa.Column("annotations", JSON, nullable=False),
        sa.Column("labels", JSON, nullable=False),
        sa.Column("adopted", sa.Boolean(), nullable=False),
        sa.Column("updated_at", TIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inventory")),
        sa.UniqueConstraint("app", "api_version", "kind", "name", name=op.f("uq_inventory_key")),
        sa.UniqueConstraint(
            "external_id", "identity_kind", "provider_config", "provider", name=op.f("uq_inventory_identity")
        ),
    )
    op.create_table(
        "intents",
        sa.Column("id", sa.Integer(), nullable=False),
        *_identity_columns(),
        sa.Column("spec", JSON, nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_intents")),
        sqlite_autoincrement=True,  # ids are handles held by the engine: never reuse one
    )
    op.create_index(op.f("ix_intents_app"), "intents", ["app"])
    op.create_table(
        "runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("app", sa.String(), nullable=False),
        sa.Column("revision", sa.String(), nullable=True),
        sa.Column("trigger", sa.String(), nullable=False),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("result", sa.String(), nullable=False),
        sa.Column("started_at", TIME, nullable=False),
        sa.Column("finished_at", TIME, nullable=True),
        sa.Column("summary", JSON, nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_runs")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_runs_app_started_at"), "runs", ["app", "started_at"])
    op.create_table(
        "run_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("api_version", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("action", sa.String(), nullable=False),
        sa.Column("result", sa.String(), nullable=False),
        sa.Column("diff", JSON, nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("recorded_at", TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name=op.f("fk_run_results_run_id_runs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_run_results")),
    )
    op.create_index(op.f("ix_run_results_run_id"), "run_results", ["run_id"])


def downgrade() -> None:
    op.drop_table("run_results")
    op.drop_table("runs")
    op.drop_table("intents")
    op.drop_table("inventory")
