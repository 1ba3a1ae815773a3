"""daily tallies of the figures: rating_tally and shift_tally, filled from the rows

The two rating indexes the figures read before go (two fewer indexes for every rating insert).

Revision ID: ecdba2c60c42
Revises: bd9b04077992
Create Date: 2026-11-22 09:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'ecdba2c60c42'
down_revision = 'bd9b04077992'
branch_labels = None
depends_on = None

HOURS = [f"h{hour:02d}" for hour in range(24)]
TAGS = ["tag_complaints", "tag_shirking", "tag_errors"]
COUNTED_RATING = sa.text('excluded_at IS NULL AND follow_up_of_id IS NULL')


def count(name):
    return sa.Column(name, sa.Integer(), nullable=False, server_default="0")


def upgrade():
    op.create_table(
        'rating_tally',
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('window_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('rated_on', sa.Date(), nullable=False),
        count('ratings'), *(count(f"s{score}") for score in range(1, 6)), *(count(tag) for tag in TAGS),
        *(count(hour) for hour in HOURS),
        sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_rating_tally_unit_id_unit')),
        sa.PrimaryKeyConstraint('unit_id', 'window_id', 'rated_on', name=op.f('pk_rating_tally')),
    )
    op.create_table(
        'shift_tally',
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('started_on', sa.Date(), nullable=False),
        count('approved'), count('pending'),
        sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_shift_tally_unit_id_unit')),
        sa.PrimaryKeyConstraint('unit_id', 'started_on', name=op.f('pk_shift_tally')),
    )
    # Existing ratings and shifts: the same computation as the session's, from the rows.
    from server.stats.tallies import rebuild

    rebuild(op.get_bind())
    with op.batch_alter_table('rating', schema=None) as batch_op:
        batch_op.drop_index('ix_rating_counted_unit_day', sqlite_where=COUNTED_RATING, postgresql_where=COUNTED_RATING)
        batch_op.drop_index('ix_rating_counted_day', sqlite_where=COUNTED_RATING, postgresql_where=COUNTED_RATING)


def downgrade():
    with op.batch_alter_table('rating', schema=None) as batch_op:
        batch_op.create_index('ix_rating_counted_day', ['rated_on', 'unit_id', 'score', 'window_id', 'created_at'],
                              unique=False, sqlite_where=COUNTED_RATING, postgresql_where=COUNTED_RATING)
        batch_op.create_index('ix_rating_counted_unit_day', ['unit_id', 'rated_on', 'score', 'window_id', 'created_at'],
                              unique=False, sqlite_where=COUNTED_RATING, postgresql_where=COUNTED_RATING)
    op.drop_table('shift_tally')
    op.drop_table('rating_tally')
