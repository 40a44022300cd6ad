"""``demand_models``: each demand model file the project wrote, with its sha256 (a file whose
hash is not recorded here is refused, never loaded).

Revision ID: 0052_demand_models
Revises: 0051_show_sell_through
"""

from alembic import op

revision = "0052_demand_models"
down_revision = "0051_show_sell_through"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE promoteros.demand_models (
            version text PRIMARY KEY,
            created_at timestamptz NOT NULL,
            path text NOT NULL,
            sha256 text NOT NULL UNIQUE,
            metrics jsonb NOT NULL DEFAULT '{}'
        )
        """
    )


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS promoteros.demand_models")
