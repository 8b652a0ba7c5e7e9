"""成人高考 payment, unpaid check, exam sites and ticket numbering

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 01:20:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'ks_adult_payment',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('candidate_id', sa.Integer(), nullable=False),
        sa.Column('amount', sa.Numeric(precision=10, scale=2), nullable=False),
        sa.Column('paid_at', sa.DateTime(), nullable=False),
        sa.Column('transaction_id', sa.String(length=64), nullable=False),
        sa.Column('source', sa.String(length=255), nullable=True),
        sa.Column('imported_by', sa.Integer(), nullable=True),
        sa.Column('imported_on', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['candidate_id'], ['ks_candidate.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('candidate_id'),
        sa.UniqueConstraint('transaction_id'),
    )
    op.create_table(
        'ks_adult_unpaid_check',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('candidate_id', sa.Integer(), nullable=False),
        sa.Column('reason', sa.String(length=2), nullable=False),
        sa.Column('note', sa.String(length=200), nullable=True),
        sa.Column('checked_by', sa.Integer(), nullable=True),
        sa.Column('checked_on', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['candidate_id'], ['ks_candidate.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('candidate_id'),
    )
    op.create_table(
        'ks_exam_site',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('exam_id', sa.Integer(), nullable=False),
        sa.Column('node_id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=2), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('address', sa.String(length=200), nullable=False),
        sa.Column('contact', sa.String(length=50), nullable=True),
        sa.Column('phone', sa.String(length=30), nullable=True),
        sa.Column('rooms', sa.Integer(), nullable=False),
        sa.Column('seats_per_room', sa.Integer(), server_default='30', nullable=False),
        sa.ForeignKeyConstraint(['exam_id'], ['ks_exam.id']),
        sa.ForeignKeyConstraint(['node_id'], ['ks_node.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('exam_id', 'node_id', 'code', name='uq_ks_exam_site_code'),
    )
    with op.batch_alter_table('ks_exam_site', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ks_exam_site_exam_id'), ['exam_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ks_exam_site_node_id'), ['node_id'], unique=False)
    op.create_table(
        'ks_adult_seat',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('candidate_id', sa.Integer(), nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('room', sa.Integer(), nullable=False),
        sa.Column('seat', sa.Integer(), nullable=False),
        sa.Column('paper_group', sa.String(length=10), nullable=False),
        sa.ForeignKeyConstraint(['candidate_id'], ['ks_candidate.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['site_id'], ['ks_exam_site.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('candidate_id'),
        sa.UniqueConstraint('site_id', 'room', 'seat', name='uq_ks_adult_seat'),
    )
    with op.batch_alter_table('ks_adult_seat', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ks_adult_seat_site_id'), ['site_id'], unique=False)


def downgrade():
    with op.batch_alter_table('ks_adult_seat', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ks_adult_seat_site_id'))
    op.drop_table('ks_adult_seat')
    with op.batch_alter_table('ks_exam_site', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ks_exam_site_node_id'))
        batch_op.drop_index(batch_op.f('ix_ks_exam_site_exam_id'))
    op.drop_table('ks_exam_site')
    op.drop_table('ks_adult_unpaid_check')
    op.drop_table('ks_adult_payment')
