"""photos: stored files, candidate photos and ZIP photo imports

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

PATH = sa.String(length=255).with_variant(sa.String(length=255, collation='C'), 'postgresql')


def upgrade():
    op.create_table('ks_stored_file',
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('created_on', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('sha256')
    )
    op.create_table('ks_candidate_photo',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('candidate_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('file_sha256', sa.String(length=64), nullable=False),
    sa.Column('original_sha256', sa.String(length=64), nullable=False),
    sa.Column('uploaded_by', sa.Integer(), nullable=True),
    sa.Column('created_on', sa.DateTime(), nullable=False),
    sa.Column('current', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['candidate_id'], ['ks_candidate.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['file_sha256'], ['ks_stored_file.sha256'], ),
    sa.ForeignKeyConstraint(['original_sha256'], ['ks_stored_file.sha256'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('ks_candidate_photo', schema=None) as batch_op:
        batch_op.create_index('ix_ks_candidate_photo_current', ['candidate_id', 'kind', 'current'], unique=False)

    op.create_table('ks_photo_import',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('exam_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('node_path', PATH, nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('stored_path', sa.String(length=500), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('job_id', sa.String(length=64), nullable=True),
    sa.Column('report', sa.JSON(), nullable=True),
    sa.Column('created_on', sa.DateTime(), nullable=False),
    sa.Column('finished_on', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['exam_id'], ['ks_exam.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('ks_photo_import', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ks_photo_import_node_path'), ['node_path'], unique=False)


def downgrade():
    with op.batch_alter_table('ks_photo_import', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ks_photo_import_node_path'))
    op.drop_table('ks_photo_import')
    with op.batch_alter_table('ks_candidate_photo', schema=None) as batch_op:
        batch_op.drop_index('ix_ks_candidate_photo_current')
    op.drop_table('ks_candidate_photo')
    op.drop_table('ks_stored_file')
