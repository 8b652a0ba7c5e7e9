"""exception playbooks and incidents

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 01:20:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'ks_incident',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('anomaly', sa.String(length=20), nullable=False),
        sa.Column('exam_id', sa.Integer(), nullable=False),
        sa.Column('node_id', sa.Integer(), nullable=False),
        sa.Column('summary', sa.Text(), nullable=False),
        sa.Column('status', sa.String(length=10), server_default='open', nullable=False),
        sa.Column('opened_by_id', sa.Integer(), nullable=True),
        sa.Column('opened_on', sa.DateTime(), nullable=False),
        sa.Column('resolved_on', sa.DateTime(), nullable=True),
        sa.Column('closed_on', sa.DateTime(), nullable=True),
        sa.Column('paper_since', sa.DateTime(), nullable=True),
        sa.Column('paper_until', sa.DateTime(), nullable=True),
        sa.Column('version', sa.Integer(), server_default='1', nullable=False),
        sa.ForeignKeyConstraint(['exam_id'], ['ks_exam.id']),
        sa.ForeignKeyConstraint(['node_id'], ['ks_node.id']),
        sa.ForeignKeyConstraint(['opened_by_id'], ['ab_user.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_ks_incident_exam_id', 'ks_incident', ['exam_id'])
    op.create_index('ix_ks_incident_node_id', 'ks_incident', ['node_id'])
    op.create_table(
        'ks_incident_entry',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('incident_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('step', sa.String(length=30), nullable=True),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('note', sa.Text(), nullable=True),
        sa.Column('detail', sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(['incident_id'], ['ks_incident.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['ab_user.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_ks_incident_entry_incident_id', 'ks_incident_entry', ['incident_id'])
    op.create_table(
        'ks_incident_snapshot',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('incident_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('requested_on', sa.DateTime(), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('job_id', sa.String(length=64), nullable=True),
        sa.Column('path', sa.String(length=500), nullable=True),
        sa.Column('rows', sa.Integer(), nullable=True),
        sa.Column('message', sa.String(length=500), nullable=True),
        sa.Column('finished_on', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['incident_id'], ['ks_incident.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['ab_user.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_ks_incident_snapshot_incident_id', 'ks_incident_snapshot',
                    ['incident_id'])
    op.create_table(
        'ks_incident_draft_check',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('incident_id', sa.Integer(), nullable=False),
        sa.Column('candidate_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['incident_id'], ['ks_incident.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['candidate_id'], ['ks_candidate.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['ab_user.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('incident_id', 'candidate_id', name='uq_ks_incident_draft_check'),
    )
    op.create_index('ix_ks_incident_draft_check_incident_id', 'ks_incident_draft_check',
                    ['incident_id'])
    op.create_index('ix_ks_incident_draft_check_candidate_id', 'ks_incident_draft_check',
                    ['candidate_id'])


def downgrade():
    op.drop_table('ks_incident_draft_check')
    op.drop_table('ks_incident_snapshot')
    op.drop_table('ks_incident_entry')
    op.drop_table('ks_incident')
