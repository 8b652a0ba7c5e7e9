"""candidate self-service accounts

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 16:40:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'ks_candidate_account',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('candidate_id', sa.Integer(), nullable=False),
        sa.Column('password_hash', sa.String(length=256), nullable=True),
        sa.Column('activation_code_hash', sa.String(length=256), nullable=True),
        sa.Column('activation_expires', sa.DateTime(), nullable=True),
        sa.Column('recovery_question', sa.String(length=100), nullable=True),
        sa.Column('recovery_answer_hash', sa.String(length=256), nullable=True),
        sa.Column('failed_logins', sa.Integer(), server_default='0', nullable=False),
        sa.Column('locked_until', sa.DateTime(), nullable=True),
        sa.Column('last_login', sa.DateTime(), nullable=True),
        sa.Column('created_on', sa.DateTime(), nullable=False),
        sa.Column('changed_on', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['candidate_id'], ['ks_candidate.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('candidate_id'),
    )


def downgrade():
    op.drop_table('ks_candidate_account')
