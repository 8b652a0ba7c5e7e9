"""Staff users, role definitions (as data) and delegated administration (分级负责、分级管理).

Every staff user is bound to one jurisdiction node. A user manager may create and edit users
only inside its own subtree, and may grant a role only where that role's node kind is at or
below its own level; requests that try otherwise are refused with a message, also when forged.
"""
import datetime as dt
from dataclasses import dataclass, field

from flask import abort, g
from flask_appbuilder.security.sqla.models import Role, User
from flask_babel import lazy_gettext as _l
from sqlalchemy import DateTime, ForeignKey, Integer
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from .jurisdiction import CITY, COUNTY, LEVELS, POINT, PROVINCE, SCHOOL, Node, get_scoped_or_404
from .passwords import name_variants, place_variants
from .refusals import NotAllowed

# Permission sets per view: "r" reads, "rw" is every permission the view has.
R, RW = "r", "rw"
READ_PERMISSIONS = {"can_list", "can_show", "can_get", "can_info", "can_timeline", "can_view"}
SELF_SERVICE_PERMS = {"can_userinfo", "resetmypassword", "userinfoedit"}
#: views every staff user gets (own profile and password).
COMMON_VIEWS = {"ResetMyPasswordView": RW, "UserInfoEditView": RW, "DashboardIndexView": R}


@dataclass(frozen=True)
class RoleDef:
    name: str
    label: object
    kinds: tuple  # node kinds a holder of this role may be bound to
    views: dict = field(default_factory=dict)
    manages_users: bool = False

    @property
    def top_level(self):
        return min(LEVELS[k] for k in self.kinds)

    @property
    def bottom_level(self):
        return max(LEVELS[k] for k in self.kinds)


# 综合素质评定 is entered by the school (school_staff writes it) and corrected, if need be, by
# the administrators who create school users; everyone else reads it.
_READ_CANDIDATES = {"CandidateView": R, "GuardianView": R, "StudyHistoryView": R,
                    "QualityEvaluationView": R}
_WRITE_CANDIDATES = {"CandidateView": RW, "GuardianView": RW, "StudyHistoryView": RW,
                     "RegistryImportView": RW, "CandidateExportView": RW}
# 高考 results imported by the province (scores, 学业水平考试, 综合素质评价): read from the county
# up inside one's subtree; the imports themselves are the province's only (issue 17, gscores).
_GAOKAO_RESULTS = {"GaokaoScoreView": R, "AcademicResultView": R, "QualityResultView": R}
_ADMIN_VIEWS = {
    **_WRITE_CANDIDATES,
    # 高考 志愿 (gpref): batches read, 漏报 list, cards (generation is the province's,
    # reissue the county's: the screen checks the unit's level).
    "PreferenceBatchView": R, "GaokaoPreferenceView": R, "PasswordCardView": RW,
    "QualityEvaluationView": RW,
    "PhotoView": RW,
    "PhotoImportView": RW,
    "NodeView": RW,
    "NodeApi": R,
    "KsUserView": RW,
    "KsResetPasswordView": RW,
    "ExamView": R,
    "AuditLogView": R,
    "PrintView": RW,
    "PrintVerifyView": RW,
    "AdmissionTicketView": RW,
    "PhaseView": R,
    "PhaseExtensionView": R,
    "TimelineView": R,
    "ReviewView": RW,
    "QualificationView": RW,
    # Point proposals and data reports: the tables of app/points/rules.py decide which level
    # may run which step.
    "PointProposalView": RW,
    "DataSubmissionView": RW,
    "ReportedRecordView": R,  # the candidate page's tab of the reports that froze it
    # Incidents (突发事件, MISSION §9): opened and handled by administrators.
    "IncidentView": RW,
    # 成人高考 logistics: payment results are imported by counties and cities, exam sites
    # entered by the exam areas; ticket numbering (TicketNumberingView) is the province's.
    "AdultPaymentView": RW,
    # 成人高考 scores and admissions: imported and released by the province (which holds
    # every permission); counties and cities read their candidates' results.
    "AdultResultView": R,
    "ExamSiteView": RW,
    # asites: ranges are set by the city (CITY_ADMIN below), read by the county; the room
    # allocation's steps are decided by its transition table; 考务资料 per unit.
    "SiteRangeView": R,
    "RoomAllocationView": RW,
    "ExamDocumentView": RW,
    # 高考 archive: counties and cities record violations; physical results are the clerk's.
    "PhysicalExamView": RW,
    "IntegrityRecordView": RW,
    # 高考 报名信息 and the archive page / completeness report (greg).
    "GaokaoRegistrationView": RW, "GaokaoArchiveView": R,
    # 体检 校对 / 确认 and reports of confirmed results upward (gphys).
    "PhysicalCheckView": RW,
    "PhysicalReportView": RW,
    # 高考 优惠 / 专项 (gaokao/bonus_rules.py decides which level takes which step).
    "MinorityClaimView": RW, "PolicyClaimView": RW, "SpecialClaimView": RW,
    **_GAOKAO_RESULTS,
    # 证件审核: the county records copies, the city decides (candidates/documents.py).
    "DocumentCheckView": RW,
    # 报考须知 of one's own region (exams/notice_views.py).
    "NoticeView": RW,
    # aexempt: 免试入学 / 照顾加分 (adult/exemption.py: the city first, the province last).
    "AdultExemptionView": RW, "AdultBonusView": RW,
    # Held because administrators grant them (nobody grants more than they hold).
    "ActivationView": RW,
    "CandidateAccountView": RW,
    "UnpaidCheckView": RW,
    # onsite: 现场确认 of 成人高考 and the 报名流程表 batches (adult/onsite_views.py).
    "AdultOnsiteView": RW,
    # National DBF exchange (app/exchange): export and import inside one's own subtree.
    "ExchangeView": RW,
}
_STAFF_VIEWS = {"NodeView": R, "NodeApi": R, "ExamView": R, "NoticeView": R, "PhotoView": R,
                "PhaseView": R,
                "PhaseExtensionView": R, "TimelineView": R, "ReviewView": R,
                "QualificationView": R, **_READ_CANDIDATES}
# Review actions: the workflow table decides which role may run which transition.
_REVIEWER_VIEWS = {**_STAFF_VIEWS, "ReviewView": RW, "QualificationView": RW,
                   "PrintVerifyView": RW, "IntegrityRecordView": R,
                   "AdultOnsiteView": RW,  # onsite: the point's reviewer confirms on site
                   "GaokaoRegistrationView": R}  # greg
# Physical results are health data: read from the county up, not by schools.
_UPPER_REVIEWER_VIEWS = {**_REVIEWER_VIEWS, "PhysicalExamView": R,
                         "GaokaoArchiveView": R,  # greg: the archive page and its report
                         "PhysicalCheckView": RW,  # gphys: 确认 (the table decides who)
                         "DocumentCheckView": RW,  # 证件审核: the city's reviewers decide
                         "AdultExemptionView": RW, "AdultBonusView": RW,  # aexempt
                         "AdultOnsiteView": R,  # onsite: the 报名流程表 of an application
                         **_GAOKAO_RESULTS,
                         # 高考 优惠 read; 专项 reviewed by county and city reviewers.
                         "MinorityClaimView": R, "PolicyClaimView": R, "SpecialClaimView": RW}
_ENTRY_VIEWS = {**_STAFF_VIEWS, **_WRITE_CANDIDATES, "PhotoView": RW, "PhotoImportView": RW,
                "ReviewView": RW, "QualificationView": RW, "PrintView": RW,
                "PrintVerifyView": RW, "ActivationView": RW,
                "GaokaoRegistrationView": RW,  # greg: 高考 报名信息 at the point
                "DocumentCheckView": RW,  # the point records document copies
                "GaokaoPreferenceView": R,  # gpref: 谨防漏报 list of the point / school
                "CandidateAccountView": RW}

# Role names: code compares against these, never against string literals.
PROVINCE_ADMIN = "province_admin"
CITY_ADMIN = "city_admin"
COUNTY_ADMIN = "county_admin"
SCHOOL_STAFF = "school_staff"
POINT_STAFF = "point_staff"
SCHOOL_REVIEWER = "school_reviewer"
COUNTY_REVIEWER = "county_reviewer"
CITY_REVIEWER = "city_reviewer"
EXAM_CLERK = "exam_clerk"
AUDITOR = "auditor"
#: the administrators who create users, from the province down.
ADMIN_ROLES = (PROVINCE_ADMIN, CITY_ADMIN, COUNTY_ADMIN)

ROLES = [
    RoleDef(PROVINCE_ADMIN, _l("Province administrator"), (PROVINCE,), manages_users=True),
    RoleDef(CITY_ADMIN, _l("City administrator"), (CITY,),
            {**_ADMIN_VIEWS, "PhaseExtensionView": RW, "SiteRangeView": RW}, True),
    RoleDef(COUNTY_ADMIN, _l("County administrator"), (COUNTY,), _ADMIN_VIEWS, True),
    RoleDef(SCHOOL_STAFF, _l("School staff"), (SCHOOL,),
            {**_ENTRY_VIEWS, "QualityEvaluationView": RW}),
    RoleDef(POINT_STAFF, _l("Registration point staff"), (POINT,),
            {**_ENTRY_VIEWS, "UnpaidCheckView": RW, "AdultOnsiteView": RW}),
    # First review (初审) is done where the candidate registers: the school's designated
    # reviewer, or the registration point's (its staff enter data, a reviewer checks it).
    RoleDef(SCHOOL_REVIEWER, _l("School / point reviewer"), (SCHOOL, POINT), _REVIEWER_VIEWS),
    RoleDef(COUNTY_REVIEWER, _l("County reviewer"), (COUNTY,), _UPPER_REVIEWER_VIEWS),
    RoleDef(CITY_REVIEWER, _l("City reviewer"), (CITY,), _UPPER_REVIEWER_VIEWS),
    RoleDef(EXAM_CLERK, _l("Physical-exam clerk"), (COUNTY,),
            {**_STAFF_VIEWS, "PhysicalExamView": RW, "PhysicalCheckView": RW}),
    RoleDef(
        AUDITOR,
        _l("Auditor (read-only)"),
        (PROVINCE, CITY, COUNTY),
        {**_STAFF_VIEWS, "PhysicalExamView": R, "IntegrityRecordView": R,
         "GaokaoRegistrationView": R, "GaokaoArchiveView": R,  # greg
         "PhysicalCheckView": R, "PhysicalReportView": R,  # gphys
         "PreferenceBatchView": R, "GaokaoPreferenceView": R, "PasswordCardView": R,  # gpref
         **_GAOKAO_RESULTS,
         "MinorityClaimView": R, "PolicyClaimView": R, "SpecialClaimView": R,
         "AuditLogView": R, "KsUserView": R, "PointProposalView": R,
         "DataSubmissionView": R, "ReportedRecordView": R, "IncidentView": R,
         "AdultResultView": R, "DocumentCheckView": R,
         "AdultExemptionView": R, "AdultBonusView": R},  # aexempt
    ),
]
ROLES_BY_NAME = {r.name: r for r in ROLES}


class KsUser(User):
    """A staff user (工作人员), bound to one node of the jurisdiction tree."""

    __tablename__ = "ab_user"
    node_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("ks_node.id"), index=True)
    node: Mapped[Node | None] = relationship(Node, foreign_keys=[node_id])
    # Set by repeated failed log-ins (STAFF_MAX_FAILURES); cleared by time, a successful
    # log-in after it, or an administrator above the user (KsUserView's unlock, audited).
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime)

    __audited__ = True
    __audit_exclude__ = ("password", "last_login", "login_count", "fail_login_count", "changed_on",
                         "locked_until")

    @validates("email")
    def _missing_email_is_null(self, key, value):
        # The column is unique: many users without an address may share NULL, not "".
        return (value or "").strip() or None

    def get_full_name(self):
        # Chinese order: family name first, no space.
        return f"{self.last_name}{self.first_name}"

    def __repr__(self):
        return self.get_full_name()


# FAB declares ab_user.email NOT NULL; staff at schools often have no address, so it is optional
# (migration 0018). Redeclaring the column on KsUser would put a second column and unique
# constraint on FAB's table; the flag is what forms (FAB's is_nullable) and autogenerate read.
KsUser.__table__.c.email.nullable = True


# Permission changes made on /roles/ (or by `flask kaosheng init`) go to the audit trail; who
# holds a role is recorded on the user rows.
Role.__audited__ = True
Role.__audit_exclude__ = ("user", "groups")


class DelegationError(NotAllowed):
    """A user-management request that exceeds the manager's authority."""


def role_label(name):
    spec = ROLES_BY_NAME.get(name)
    return spec.label if spec else name


def manager_level(manager):
    if manager is None or manager.node is None:
        return None
    if not any(ROLES_BY_NAME.get(r.name, None) and ROLES_BY_NAME[r.name].manages_users for r in manager.roles):
        return None
    return manager.node.level


def roles_grantable_at(level):
    """Roles an administrator at ``level`` hands out: those bindable at or below it. ROLES must
    give each administrator every permission of these (tests/test_foundation.py checks it)."""
    return [r.name for r in ROLES if r.bottom_level >= level]


def grantable_role_names(manager):
    """Roles ``manager`` may hand out (see roles_grantable_at)."""
    level = manager_level(manager)
    if level is None:
        return []
    return roles_grantable_at(level)


def check_delegation(manager, node, roles):
    """Raise DelegationError unless ``manager`` may bind a user to ``node`` with ``roles``."""
    level = manager_level(manager)
    if level is None:
        raise DelegationError(_l("You are not allowed to manage users."))
    if node is None:
        raise DelegationError(_l("Choose the unit the user belongs to."))
    if not manager.node.contains(node):
        # The foreign unit is not named: its existence is none of the manager's business.
        raise DelegationError(_l("You may not bind a user to a unit outside your jurisdiction."))
    if not roles:
        raise DelegationError(_l("Grant the user at least one role."))
    allowed = set(grantable_role_names(manager))
    for role in roles:
        spec = ROLES_BY_NAME.get(role.name)
        if spec is None or spec.name not in allowed:
            raise DelegationError(
                _l("You may not grant the role %(role)s: it is above your level.",
                   role=role_label(role.name))
            )
        if node.kind not in spec.kinds:
            raise DelegationError(
                _l("The role %(role)s cannot be held by a user of %(unit)s (%(kind)s).",
                   role=spec.label, unit=node.name, kind=node.kind_label)
            )


def check_manageable(manager, target):
    """A manager may only touch users it could have created itself."""
    check_delegation(manager, target.node, list(target.roles))


def check_unlock(manager, target):
    """Only an administrator above the user's unit unlocks its account: a colleague of the same
    unit (or the user itself) could otherwise undo the lock on an account under attack."""
    check_manageable(manager, target)
    if target.id == manager.id or target.node.path == manager.node.path:
        raise DelegationError(_l("Only an administrator of a unit above this user's unit may "
                                 "unlock the account."))


def staff_personal_values(username, first_name, last_name, email, node):
    """What a staff password may not contain: the user name, the e-mail's local part, the
    name (with pinyin), and the names of the user's unit and the units above it, with and
    without 省/市/区… and in pinyin (zy_point123, Zhengzhou2026)."""
    values = [username, (email or "").split("@")[0]]
    values += name_variants(f"{last_name or ''}{first_name or ''}")
    while node is not None:  # the unit and its ancestors: at most five nodes
        values += place_variants(node.name)
        node = node.parent
    return [v for v in values if v]


def lock_message(locked_until):
    return _l("Too many failed log-ins: this account is locked until %(time)s. Try again "
              "later, or ask an administrator of a unit above yours to unlock it.",
              time=locked_until.strftime("%H:%M"))


def get_user_or_404(pk):
    return get_scoped_or_404(KsUser, pk)


def current_user_manages(pk):
    """Load a user the current manager may manage, 404 outside the subtree."""
    target = get_user_or_404(pk)
    try:
        check_manageable(g.user, target)
    except DelegationError:
        abort(404)
    return target

