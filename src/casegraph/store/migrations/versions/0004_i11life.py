"""referral lifecycle: partners' ids of received items, partners' reports back

Revision ID: i11life
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "i11life"
down_revision = "i10scope"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "exchange_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("origin", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=False),
        sa.Column("local_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_exchange_links_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_links")),
        sa.UniqueConstraint(
            "case_id", "origin", "kind", "external_id", name=op.f("uq_exchange_links_case_id")
        ),
    )
    with op.batch_alter_table("exchange_links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_exchange_links_case_id"), ["case_id"], unique=False)
    op.create_table(
        "partner_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("country", sa.String(length=12), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("referral_id", sa.String(length=64), nullable=False),
        sa.Column("referral_version", sa.Integer(), nullable=False),
        sa.Column("reporter", sa.String(length=200), nullable=False),
        sa.Column("reporter_country", sa.String(length=2), nullable=False),
        sa.Column("reporter_fingerprint", sa.String(length=40), nullable=False),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("package_sha256", sa.String(length=64), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_partner_reports_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner_reports")),
        sa.UniqueConstraint("case_id", "package_sha256", name=op.f("uq_partner_reports_case_id")),
    )
    with op.batch_alter_table("partner_reports", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_partner_reports_case_id"), ["case_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("partner_reports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_partner_reports_case_id"))
    op.drop_table("partner_reports")
    with op.batch_alter_table("exchange_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_exchange_links_case_id"))
    op.drop_table("exchange_links")
