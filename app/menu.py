"""Every add_view / add_api of the application, in menu order."""
from flask_babel import lazy_gettext as _l

from .audit_views import AuditLogView
from .candidates.import_views import RegistryImportView
from .candidates.part_views import GuardianView, QualityEvaluationView, StudyHistoryView
from .candidates.views import CandidateView
from .exams.views import ExamView
from .forms.ticket_views import AdmissionTicketView
from .forms.verify_views import PrintVerifyView
from .forms.views import PrintView
from .jurisdiction_views import NodeApi, NodeView
from .photos.import_views import PhotoImportView
from .phases.views import PhaseExtensionView, PhaseView, TimelineView
from .photos.views import PhotoView
from .selfservice.staff_views import ActivationView, CandidateAccountView
from .review.views import QualificationView, ReviewView


def register_views(appbuilder):
    appbuilder.add_view(NodeView, "Units", icon="fa-sitemap", label=_l("Units"),
                        category="Jurisdiction", category_label=_l("Jurisdiction"),
                        category_icon="fa-map")
    appbuilder.add_view(ExamView, "Exams", icon="fa-calendar", label=_l("Exams"),
                        category="Exams", category_label=_l("Exams"), category_icon="fa-book")
    appbuilder.add_view(PhaseView, "Phases", icon="fa-clock-o", label=_l("Phases"),
                        category="Exams")
    appbuilder.add_view(PhaseExtensionView, "Extensions", icon="fa-hourglass",
                        label=_l("Extensions"), category="Exams")
    appbuilder.add_view(TimelineView, "Calendar", icon="fa-calendar", label=_l("Calendar"),
                        category="Exams")
    appbuilder.add_view(CandidateView, "Candidates", icon="fa-id-card", label=_l("Candidates"),
                        category="Candidates", category_label=_l("Candidates"),
                        category_icon="fa-users")
    appbuilder.add_view(RegistryImportView, "Registry import", icon="fa-upload",
                        label=_l("Registry import"), category="Candidates")
    appbuilder.add_view_no_menu(GuardianView)
    appbuilder.add_view_no_menu(StudyHistoryView)
    appbuilder.add_view_no_menu(QualityEvaluationView)
    appbuilder.add_view(PhotoImportView, "Photo import", icon="fa-camera",
                        label=_l("Photo import"), category="Candidates")
    appbuilder.add_view_no_menu(PhotoView)
    appbuilder.add_view_no_menu(ActivationView)
    appbuilder.add_view(CandidateAccountView, "Self-service accounts", icon="fa-key",
                        label=_l("Self-service accounts"), category="Candidates")
    appbuilder.add_view(PrintView, "Batch print", icon="fa-print", label=_l("Batch print"),
                        category="Candidates")
    appbuilder.add_view(PrintVerifyView, "Verify printout", icon="fa-check-circle",
                        label=_l("Verify a printed form"), category="Candidates")
    appbuilder.add_view(AdmissionTicketView, "Admission tickets", icon="fa-ticket",
                        label=_l("Admission tickets"), category="Candidates")
    appbuilder.add_view(ReviewView, "Review", icon="fa-check-square-o", label=_l("Review"),
                        category="Candidates")
    appbuilder.add_view(QualificationView, "Qualifications", icon="fa-certificate",
                        label=_l("Qualifications"), category="Candidates")
    appbuilder.add_view(AuditLogView, "Audit log", icon="fa-history", label=_l("Audit log"),
                        category="Audit", category_label=_l("Audit"), category_icon="fa-eye")
    appbuilder.add_api(NodeApi)
