"""installation secrets (the key of public account and chat ids)

Revision ID: i10scope
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "i10scope"
down_revision = "i10auth"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "installation_secrets",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("value", sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_installation_secrets")),
    )


def downgrade() -> None:
    op.drop_table("installation_secrets")
