"""Imports every model module so the metadata is complete for Alembic and FAB."""
from .adult.models import AdultPayment, ExamSite, SeatAssignment, UnpaidCheck  # noqa: F401
from .adult.result_models import AdultAdmission, AdultResultRelease, AdultScore  # noqa: F401
from .adult.exemption_models import AdultBonus, AdultExemption  # noqa: F401  (aexempt)
from .adult.onsite_models import AdultOnsite  # noqa: F401  (onsite)
from .audit import AuditLog  # noqa: F401
from .candidates.models import (Candidate, DocumentCheck, Guardian, ImportBatch,  # noqa: F401
                                ImportRowError, Preference, QualityEvaluation, StudyHistory)
from .exams.models import Exam  # noqa: F401
from .exams.notices import Notice  # noqa: F401
from .exchange.models import ExchangeExport  # noqa: F401
from .filestore import Blob, BlobChunk  # noqa: F401
from .printing.models import AdmissionTicket, PrintBatch, PrintBatchPart  # noqa: F401
from .gaokao.models import IntegrityRecord, PhysicalExam  # noqa: F401
from .gaokao.registration_models import GaokaoRegistration  # noqa: F401
from .gaokao.bonus_models import BonusClaim  # noqa: F401
from .gaokao.preference_models import (CardRun, GaokaoPreference,  # noqa: F401
                                        PasswordCard, PasswordCardCode,
                                        PendingPreferenceChange, PreferenceBatch)
from .gaokao.score_models import BasicEduResult, GaokaoScore, ScoreRelease  # noqa: F401
from .jurisdiction import Node  # noqa: F401
from .progress import ProgressCount, ProgressDelta  # noqa: F401
from .photos.models import CandidatePhoto, PhotoImport, StoredFile  # noqa: F401
from .points.models import DataSubmission, PointProposal  # noqa: F401
from .security import KsUser  # noqa: F401
from .phases.models import Phase, PhaseExtension  # noqa: F401
from .playbooks.models import Incident, IncidentDraftCheck, IncidentEntry, IncidentSnapshot  # noqa: F401
from .review.models import Qualification, ReviewEvent  # noqa: F401
from .selfservice.models import CandidateAccount  # noqa: F401
