"""高考 physical examination and integrity records

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 01:20:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    text = lambda n: sa.String(length=n)  # noqa: E731
    op.create_table('ks_physical_exam',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('candidate_id', sa.Integer(), nullable=False),
    sa.Column('serial', text(20), nullable=True),
    sa.Column('hospital', text(100), nullable=False),
    sa.Column('exam_date', sa.Date(), nullable=False),
    sa.Column('history', text(200), nullable=True),
    sa.Column('vision_naked_right', sa.Float(), nullable=False),
    sa.Column('vision_naked_left', sa.Float(), nullable=False),
    sa.Column('vision_corrected_right', sa.Float(), nullable=True),
    sa.Column('vision_corrected_left', sa.Float(), nullable=True),
    sa.Column('lens_right', sa.Integer(), nullable=True),
    sa.Column('lens_left', sa.Integer(), nullable=True),
    sa.Column('colour_vision', text(1), nullable=False),
    sa.Column('eye_disease', text(100), nullable=True),
    sa.Column('bp_systolic', sa.Integer(), nullable=False),
    sa.Column('bp_diastolic', sa.Integer(), nullable=False),
    sa.Column('heart', text(100), nullable=True),
    sa.Column('lungs', text(100), nullable=True),
    sa.Column('abdomen', text(100), nullable=True),
    sa.Column('nervous', text(100), nullable=True),
    sa.Column('height', sa.Float(), nullable=False),
    sa.Column('weight', sa.Float(), nullable=False),
    sa.Column('skin', text(100), nullable=True),
    sa.Column('spine', text(100), nullable=True),
    sa.Column('limbs', text(100), nullable=True),
    sa.Column('hearing_right', sa.Float(), nullable=False),
    sa.Column('hearing_left', sa.Float(), nullable=False),
    sa.Column('smell', text(1), nullable=False),
    sa.Column('ent', text(100), nullable=True),
    sa.Column('lips_palate', text(100), nullable=True),
    sa.Column('teeth', text(100), nullable=True),
    sa.Column('chest_xray', text(100), nullable=True),
    sa.Column('alt', sa.Integer(), nullable=True),
    sa.Column('other', text(200), nullable=True),
    sa.Column('conclusion', text(1), nullable=False),
    sa.Column('restrictions', text(60), nullable=True),
    sa.Column('doctor', text(40), nullable=False),
    sa.Column('created_on', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['candidate_id'], ['ks_candidate.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('candidate_id')
    )
    op.create_table('ks_integrity_record',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('candidate_id', sa.Integer(), nullable=False),
    sa.Column('occurred_on', sa.Date(), nullable=False),
    sa.Column('kind', text(2), nullable=False),
    sa.Column('description', text(1000), nullable=False),
    sa.Column('decision', text(500), nullable=False),
    sa.Column('document_number', text(60), nullable=True),
    sa.Column('created_on', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['candidate_id'], ['ks_candidate.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('ks_integrity_record', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ks_integrity_record_candidate_id'), ['candidate_id'], unique=False)


def downgrade():
    with op.batch_alter_table('ks_integrity_record', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ks_integrity_record_candidate_id'))
    op.drop_table('ks_integrity_record')
    op.drop_table('ks_physical_exam')
