"""registration points proposals and upward data reporting

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 01:20:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

# Partial unique indexes (see app/points/models.py): a code is held while its proposal is
# pending; a unit has one standing report per exam.
PENDING_PROPOSAL_SQL = "state IN ('proposed', 'city_approved')"
LIVE_SUBMISSION_SQL = "state IN ('submitted', 'accepted')"


def upgrade():
    op.create_table('ks_point_proposal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('node_id', sa.Integer(), nullable=False),
    sa.Column('exam_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('address', sa.String(length=200), nullable=False),
    sa.Column('contact', sa.String(length=50), nullable=False),
    sa.Column('phone', sa.String(length=30), nullable=False),
    sa.Column('serves_levels', sa.String(length=20), nullable=True),
    sa.Column('for_minors', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('for_medical', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('reject_reason', sa.String(length=500), nullable=True),
    sa.Column('proposed_by_id', sa.Integer(), nullable=True),
    sa.Column('proposed_at', sa.DateTime(), nullable=True),
    sa.Column('city_by_id', sa.Integer(), nullable=True),
    sa.Column('city_at', sa.DateTime(), nullable=True),
    sa.Column('province_by_id', sa.Integer(), nullable=True),
    sa.Column('province_at', sa.DateTime(), nullable=True),
    sa.Column('point_id', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.ForeignKeyConstraint(['node_id'], ['ks_node.id'], ),
    sa.ForeignKeyConstraint(['exam_id'], ['ks_exam.id'], ),
    sa.ForeignKeyConstraint(['proposed_by_id'], ['ab_user.id'], ),
    sa.ForeignKeyConstraint(['city_by_id'], ['ab_user.id'], ),
    sa.ForeignKeyConstraint(['province_by_id'], ['ab_user.id'], ),
    sa.ForeignKeyConstraint(['point_id'], ['ks_node.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('ks_point_proposal', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ks_point_proposal_node_id'), ['node_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ks_point_proposal_exam_id'), ['exam_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ks_point_proposal_state'), ['state'], unique=False)
        batch_op.create_index('uq_ks_point_proposal_pending_code', ['code'], unique=True,
                              sqlite_where=sa.text(PENDING_PROPOSAL_SQL),
                              postgresql_where=sa.text(PENDING_PROPOSAL_SQL))

    op.create_table('ks_data_submission',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('node_id', sa.Integer(), nullable=False),
    sa.Column('exam_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('snapshot', sa.JSON(), nullable=False),
    sa.Column('submitted_by_id', sa.Integer(), nullable=True),
    sa.Column('submitted_at', sa.DateTime(), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('return_reason', sa.String(length=500), nullable=True),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.ForeignKeyConstraint(['node_id'], ['ks_node.id'], ),
    sa.ForeignKeyConstraint(['exam_id'], ['ks_exam.id'], ),
    sa.ForeignKeyConstraint(['submitted_by_id'], ['ab_user.id'], ),
    sa.ForeignKeyConstraint(['decided_by_id'], ['ab_user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('ks_data_submission', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ks_data_submission_node_id'), ['node_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ks_data_submission_exam_id'), ['exam_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ks_data_submission_state'), ['state'], unique=False)
        batch_op.create_index('uq_ks_data_submission_live', ['exam_id', 'node_id'], unique=True,
                              sqlite_where=sa.text(LIVE_SUBMISSION_SQL),
                              postgresql_where=sa.text(LIVE_SUBMISSION_SQL))


def downgrade():
    op.drop_table('ks_data_submission')
    op.drop_table('ks_point_proposal')
