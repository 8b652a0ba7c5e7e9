"""forms: admission tickets and batch prints

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

PATH = sa.String(length=255).with_variant(sa.String(length=255, collation='C'), 'postgresql')


def upgrade():
    op.create_table('ks_admission_ticket',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('candidate_id', sa.Integer(), nullable=False),
    sa.Column('ticket_number', sa.String(length=30), nullable=False),
    sa.Column('site', sa.String(length=200), nullable=False),
    sa.Column('room', sa.String(length=20), nullable=True),
    sa.Column('seat', sa.String(length=10), nullable=True),
    sa.Column('timetable', sa.JSON(), nullable=True),
    sa.Column('created_on', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['candidate_id'], ['ks_candidate.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('candidate_id'),
    sa.UniqueConstraint('ticket_number')
    )
    op.create_table('ks_print_batch',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('node_path', PATH, nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('exam_id', sa.Integer(), nullable=True),
    sa.Column('selection', sa.JSON(), nullable=True),
    sa.Column('candidate_ids', sa.JSON(), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('job_id', sa.String(length=64), nullable=True),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('done', sa.Integer(), nullable=False),
    sa.Column('skipped', sa.Integer(), nullable=False),
    sa.Column('parts', sa.Integer(), nullable=False),
    sa.Column('pages', sa.Integer(), nullable=False),
    sa.Column('path', sa.String(length=500), nullable=True),
    sa.Column('message', sa.String(length=500), nullable=True),
    sa.Column('created_on', sa.DateTime(), nullable=False),
    sa.Column('finished_on', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['exam_id'], ['ks_exam.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('ks_print_batch', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ks_print_batch_node_path'), ['node_path'], unique=False)

    op.create_table('ks_print_batch_part',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('part', sa.Integer(), nullable=False),
    sa.Column('path', sa.String(length=500), nullable=False),
    sa.Column('forms', sa.Integer(), nullable=False),
    sa.Column('pages', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['ks_print_batch.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('batch_id', 'part', name='uq_ks_print_batch_part')
    )


def downgrade():
    op.drop_table('ks_print_batch_part')
    with op.batch_alter_table('ks_print_batch', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ks_print_batch_node_path'))
    op.drop_table('ks_print_batch')
    op.drop_table('ks_admission_ticket')
