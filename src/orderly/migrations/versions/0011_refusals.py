"""refusals: a statement can refuse its own transaction with a stable code

Revision ID: 0011
Revises: 0010

`orderly_refuse(code, message)` raises an error (SQLSTATE P0001) whose hint is `code`. Order
capture sends its write statement together with COMMIT, in one round trip: if that statement
finds a stock row short (it never should, the rows were locked before the plan was made), it
calls this function, so the whole transaction rolls back and the API answers with the code
(`kit.db.Transaction.at_commit`, `refusal=`), instead of committing a partial order.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        """
        CREATE FUNCTION orderly_refuse(code text, message text) RETURNS boolean
        LANGUAGE plpgsql VOLATILE AS $$
        BEGIN
            RAISE EXCEPTION USING ERRCODE = 'P0001', MESSAGE = message, HINT = code;
        END
        $$
        """
    )


def downgrade() -> None:
    op.execute("DROP FUNCTION orderly_refuse(text, text)")
