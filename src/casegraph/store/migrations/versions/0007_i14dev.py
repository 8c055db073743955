"""device databases, sticker packs, overlapping exports

Revision ID: i14dev
Revises: i13anchor
Create Date: 2026-11-30 10:00:00

Additive: media.sticker_pack, attachments.stored_sha256, person_decisions.evidence and
.confidence (proposed links), message_sources and event_sources (further sources of a
message or event already in a chat).
"""

import sqlalchemy as sa
from alembic import op

revision = "i14dev"
down_revision = "i13anchor"
branch_labels = None
depends_on = None


def _record_sources(table: str, record_column: str, record_table: str) -> None:
    op.create_table(
        table,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column(record_column, sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f(f"fk_{table}_case_id_cases"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            [record_column],
            [f"{record_table}.id"],
            name=op.f(f"fk_{table}_{record_column}_{record_table}"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["sources.id"],
            name=op.f(f"fk_{table}_source_id_sources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
        sa.UniqueConstraint(record_column, "source_id", name=op.f(f"uq_{table}_{record_column}")),
    )
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.create_index(batch_op.f(f"ix_{table}_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f(f"ix_{table}_source_id"), ["source_id"], unique=False)


def upgrade() -> None:
    with op.batch_alter_table("media", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sticker_pack", sa.JSON(), nullable=True))
    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("stored_sha256", sa.String(length=64), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_attachments_stored_sha256"), ["stored_sha256"], unique=False
        )
    with op.batch_alter_table("person_decisions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("evidence", sa.JSON(), nullable=False, server_default=sa.text("'{}'"))
        )
        batch_op.add_column(sa.Column("confidence", sa.Double(), nullable=True))
    _record_sources("message_sources", "message_id", "messages")
    _record_sources("event_sources", "event_id", "chat_events")


def downgrade() -> None:
    op.drop_table("event_sources")
    op.drop_table("message_sources")
    with op.batch_alter_table("person_decisions", schema=None) as batch_op:
        batch_op.drop_column("confidence")
        batch_op.drop_column("evidence")
    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_attachments_stored_sha256"))
        batch_op.drop_column("stored_sha256")
    with op.batch_alter_table("media", schema=None) as batch_op:
        batch_op.drop_column("sticker_pack")
