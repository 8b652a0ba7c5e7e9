"""Every add_view / add_api of the application, in menu order: the composition root, the one
module that imports every feature package. It also gives lower packages' screens what upper
packages add to them (dependency inversion: ``candidates`` imports no review, photos or gaokao)."""
from flask import current_app
from flask_babel import lazy_gettext as _l

from .adult.doc_views import ExamDocumentView, RoomAllocationView  # asites
from .adult.site_views import ExamSiteView, SiteRangeView  # asites: SiteRangeView
from .adult.exemption_views import AdultBonusView, AdultExemptionView  # aexempt
from .adult.onsite_views import AdultOnsiteView  # onsite (issue 18.4)
from .adult.views import AdultPaymentView, TicketNumberingView, UnpaidCheckView
from .adult.results_views import AdultRegisterFormView, AdultResultView
from .audit_views import AuditLogView
from .candidates.document_views import DocumentCheckView
from .candidates.export_views import CandidateExportView
from .candidates.import_views import RegistryImportView
from .candidates.part_views import GuardianView, QualityEvaluationView, StudyHistoryView
from .candidates.views import CandidateView
from .exams.notice_views import NoticeView
from .exams.views import ExamView
from .printing.ticket_views import AdmissionTicketView
from .printing.verify_views import PrintVerifyView
from .printing.views import PrintView
from .gaokao.views import IntegrityRecordView, PhysicalExamView
from .gaokao.card_views import PasswordCardView  # gpref
from .gaokao.preference_sheet import sheet as gaokao_preference_sheet  # gpref
from .gaokao.preference_views import GaokaoPreferenceView, PreferenceBatchView  # gpref
from .printing.password_cards import cards_pdf, generate_run  # gpref
from .gaokao.archive_views import GaokaoArchiveView
from .gaokao.registration_views import GaokaoRegistrationView
from .gaokao.views import PhysicalCheckView, PhysicalReportView  # gphys
from .gaokao.bonus_views import MinorityClaimView, PolicyClaimView, SpecialClaimView
from .gaokao.scores_views import (AcademicResultView, BasicEduImportView,  # gscores
                                 GaokaoScoreImportView, GaokaoScoreView, QualityResultView)
from .jurisdiction_views import NodeApi, NodeView
from .list_progress import use_progress_counters
from .photos.import_views import PhotoImportView
from .phases.views import PhaseExtensionView, PhaseView, TimelineView
from .playbooks.views import IncidentView
from .photos.thumbs import remember_photos, thumbnail
from .photos.views import PhotoView
from .points.report_views import DataSubmissionView, ReportedRecordView
from .points.views import PointProposalView
from .selfservice.staff_views import ActivationView, CandidateAccountView
from .review.dossier import dossier_of
from .review.views import QualificationView, ReviewView


def _attach_upper_parts():
    """The candidate screens' tabs of the 高考 archive and of the data reports that froze the
    record ("changed since reported"), the review dossier on the detail page, the photo
    column, and the candidate lists' count from the progress counters."""
    CandidateView.attach(related_views=[GaokaoRegistrationView, PhysicalExamView,
                                        IntegrityRecordView,
                                        ReportedRecordView],
                         dossier=dossier_of, thumbnail=thumbnail,
                         remember_photos=remember_photos)
    use_progress_counters()
    # gpref: the card screen's PDF and job come from printing (which imports gaokao).
    PasswordCardView.cards_pdf = staticmethod(cards_pdf)
    PasswordCardView.generate_task = staticmethod(generate_run)


def register_views(appbuilder):
    _attach_upper_parts()
    # gpref: the 考生志愿表 template reads the candidate's batches through this function.
    current_app.jinja_env.globals["gaokao_preference_sheet"] = gaokao_preference_sheet
    appbuilder.add_view(NodeView, "Units", icon="fa-sitemap", label=_l("Units"),
                        category="Jurisdiction", category_label=_l("Jurisdiction"),
                        category_icon="fa-map")
    appbuilder.add_view(PointProposalView, "Point proposals", icon="fa-map-marker",
                        label=_l("Point proposals"), category="Jurisdiction")
    appbuilder.add_view(ExamView, "Exams", icon="fa-calendar", label=_l("Exams"),
                        category="Exams", category_label=_l("Exams"), category_icon="fa-book")
    appbuilder.add_view(PhaseView, "Phases", icon="fa-clock-o", label=_l("Phases"),
                        category="Exams")
    appbuilder.add_view(PhaseExtensionView, "Extensions", icon="fa-hourglass",
                        label=_l("Extensions"), category="Exams")
    appbuilder.add_view(TimelineView, "Calendar", icon="fa-calendar", label=_l("Calendar"),
                        category="Exams")
    appbuilder.add_view(NoticeView, "Notices", icon="fa-bullhorn",
                        label=_l("Notices to candidates"), category="Exams")
    appbuilder.add_view(CandidateView, "Candidates", icon="fa-id-card", label=_l("Candidates"),
                        category="Candidates", category_label=_l("Candidates"),
                        category_icon="fa-users")
    appbuilder.add_view(RegistryImportView, "Registry import", icon="fa-upload",
                        label=_l("Registry import"), category="Candidates")
    appbuilder.add_view_no_menu(CandidateExportView)
    appbuilder.add_view_no_menu(GuardianView)
    appbuilder.add_view_no_menu(StudyHistoryView)
    appbuilder.add_view_no_menu(QualityEvaluationView)
    appbuilder.add_view(DocumentCheckView, "Document reviews", icon="fa-id-badge",
                        label=_l("Document reviews"), category="Candidates")
    appbuilder.add_view(PhotoImportView, "Photo import", icon="fa-camera",
                        label=_l("Photo import"), category="Candidates")
    appbuilder.add_view_no_menu(PhotoView)
    appbuilder.add_view_no_menu(ActivationView)
    appbuilder.add_view(CandidateAccountView, "Self-service accounts", icon="fa-key",
                        label=_l("Self-service accounts"), category="Candidates")
    printing = appbuilder.add_view(PrintView, "Batch print", icon="fa-print",
                                   label=_l("Batch print"), category="Candidates")
    # 公示 is printed by whoever prints forms (PrintView's permission).
    appbuilder.add_link("Publicity list", href="PrintView.publicity_pick", icon="fa-bullhorn",
                        label=_l("Publicity list"), category="Candidates", baseview=printing)
    appbuilder.add_view(PrintVerifyView, "Verify printout", icon="fa-check-circle",
                        label=_l("Verify a printed form"), category="Candidates")
    appbuilder.add_view(AdmissionTicketView, "Admission tickets", icon="fa-ticket",
                        label=_l("Admission tickets"), category="Candidates")
    appbuilder.add_view(ReviewView, "Review", icon="fa-check-square-o", label=_l("Review"),
                        category="Candidates")
    appbuilder.add_view(QualificationView, "Qualifications", icon="fa-certificate",
                        label=_l("Qualifications"), category="Candidates")
    appbuilder.add_view(DataSubmissionView, "Data reports", icon="fa-paper-plane",
                        label=_l("Data reports"), category="Candidates")
    appbuilder.add_view_no_menu(ReportedRecordView)
    from .exchange.views import ExchangeView
    appbuilder.add_view(ExchangeView, "Data exchange", icon="fa-exchange",
                        label=_l("National data exchange"), category="Candidates")
    appbuilder.add_view(PhysicalExamView, "Physical examinations", icon="fa-heartbeat",
                        label=_l("Physical examinations"), category="Gaokao archive",
                        category_label=_l("高考 archive"), category_icon="fa-archive")
    appbuilder.add_view(IntegrityRecordView, "Integrity records", icon="fa-gavel",
                        label=_l("Integrity records"), category="Gaokao archive")
    # 高考 志愿 and the password cards (gpref)
    appbuilder.add_view(PreferenceBatchView, "Preference batches", icon="fa-list",
                        label=_l("Preference batches"), category="Gaokao archive")
    appbuilder.add_view(GaokaoPreferenceView, "Preferences not filled", icon="fa-bell",
                        label=_l("Preferences not filled"), category="Gaokao archive")
    appbuilder.add_view(PasswordCardView, "Password cards", icon="fa-credit-card",
                        label=_l("Password cards"), category="Gaokao archive")
    # 高考 registration, the archive page and its completeness report (greg).
    appbuilder.add_view(GaokaoRegistrationView, "Gaokao registration", icon="fa-pencil-square-o",
                        label=_l("Registration information"), category="Gaokao archive")
    appbuilder.add_view(GaokaoArchiveView, "Archive completeness", icon="fa-tasks",
                        label=_l("Archive completeness report"), category="Gaokao archive")
    # 体检 校对 / 确认 and reports upward (gphys)
    appbuilder.add_view(PhysicalCheckView, "Physical result checks", icon="fa-check-square",
                        label=_l("Proofread and confirm physical results"),
                        category="Gaokao archive")
    appbuilder.add_view(PhysicalReportView, "Physical result reports", icon="fa-paper-plane",
                        label=_l("Physical result reports"), category="Gaokao archive")
    # 高考 优惠 (民审, other policies) and 专项 qualifications (gaokao/bonus_views.py).
    appbuilder.add_view(MinorityClaimView, "Ethnic minority policy", icon="fa-users",
                        label=_l("Ethnic minority policy (民审)"), category="Gaokao archive")
    appbuilder.add_view(PolicyClaimView, "Bonus policies", icon="fa-plus-circle",
                        label=_l("Other bonus / reduced-score policies"),
                        category="Gaokao archive")
    appbuilder.add_view(SpecialClaimView, "Special plans", icon="fa-road",
                        label=_l("Special-plan qualifications"), category="Gaokao archive")
    # 高考 scores, 学业水平考试 and 综合素质评价 (issue 17 parts 6, 8, 9; gscores)
    appbuilder.add_view(GaokaoScoreView, "Scores", icon="fa-list-ol", label=_l("Scores"),
                        category="Gaokao archive")
    appbuilder.add_view(GaokaoScoreImportView, "Score import", icon="fa-upload",
                        label=_l("Score import and release"), category="Gaokao archive")
    appbuilder.add_view(AcademicResultView, "Academic proficiency results",
                        icon="fa-graduation-cap", label=_l("Academic proficiency test results"),
                        category="Gaokao archive")
    appbuilder.add_view(QualityResultView, "Quality evaluation", icon="fa-star",
                        label=_l("Comprehensive quality evaluation"), category="Gaokao archive")
    appbuilder.add_view(BasicEduImportView, "Basic education import", icon="fa-upload",
                        label=_l("Academic and quality import"), category="Gaokao archive")
    incidents = appbuilder.add_view(IncidentView, "Incidents", icon="fa-exclamation-triangle",
                                    label=_l("Incidents"), category="Incidents",
                                    category_label=_l("Exception handling"),
                                    category_icon="fa-bolt")
    # Same permission as the incident list: whoever sees incidents reads the playbooks.
    appbuilder.add_link("Exception playbooks", href="IncidentView.reference", icon="fa-list-ol",
                        label=_l("Exception playbooks"), category="Incidents",
                        baseview=incidents)
    appbuilder.add_view(AdultPaymentView, "Payment results", icon="fa-credit-card",
                        label=_l("Payment results"), category="Adult exam",
                        category_label=_l("Adult exam logistics"), category_icon="fa-university")
    # onsite: the point's 现场确认 screen and the 报名流程表 batches (issue 18.4)
    onsite = appbuilder.add_view(AdultOnsiteView, "On-site confirmation", icon="fa-id-card-o",
                                 label=_l("On-site confirmation"), category="Adult exam")
    appbuilder.add_link("Registration procedure sheets", href="AdultOnsiteView.batch",
                        icon="fa-print", label=_l("Registration procedure sheets"),
                        category="Adult exam", baseview=onsite)
    appbuilder.add_view(UnpaidCheckView, "Unpaid check", icon="fa-exclamation-circle",
                        label=_l("Confirmed but unpaid"), category="Adult exam")
    appbuilder.add_view(ExamSiteView, "Exam sites", icon="fa-building",
                        label=_l("Exam sites"), category="Adult exam")
    appbuilder.add_view(TicketNumberingView, "Ticket numbering", icon="fa-sort-numeric-asc",
                        label=_l("Admission ticket numbering"), category="Adult exam")
    # asites: 参考范围, room-allocation approval and 考务资料 (issue 18 items 8-9)
    appbuilder.add_view(SiteRangeView, "Exam site ranges", icon="fa-map-signs",
                        label=_l("Exam site ranges"), category="Adult exam")
    appbuilder.add_view(RoomAllocationView, "Room allocation", icon="fa-th",
                        label=_l("Room allocation approval"), category="Adult exam")
    appbuilder.add_view(ExamDocumentView, "Exam documents", icon="fa-file-pdf-o",
                        label=_l("Exam documents"), category="Adult exam")
    # aexempt: 免试入学 and 照顾加分 (issue 18 items 6-7: app/adult/exemption_views.py)
    appbuilder.add_view(AdultExemptionView, "Exemption applications", icon="fa-check-square-o",
                        label=_l("Exemption applications"), category="Adult exam")
    appbuilder.add_view(AdultBonusView, "Adult bonus points", icon="fa-plus-circle",
                        label=_l("Bonus points (adult exam)"), category="Adult exam")
    # 成绩与录取 and the 考生登记表 (issue 18 items 10 and 11: app/adult/results_views.py).
    appbuilder.add_view(AdultResultView, "Scores and admission", icon="fa-graduation-cap",
                        label=_l("Scores and admission"), category="Adult exam")
    appbuilder.add_view(AdultRegisterFormView, "Candidate register forms", icon="fa-print",
                        label=_l("Candidate register forms"), category="Adult exam")
    appbuilder.add_view(AuditLogView, "Audit log", icon="fa-history", label=_l("Audit log"),
                        category="Audit", category_label=_l("Audit"), category_icon="fa-eye")
    appbuilder.add_api(NodeApi)
