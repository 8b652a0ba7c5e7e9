"""The playbooks as data: seed 004 §五 (湘教考信字〔2019〕3号, 异常情况下的应对措施), one per
anomaly, with the response steps in the notice's order and wording (zh) and in English.

A step is manual (staff tick it done with a note) or offers automated actions, each a kind of
ACTIONS with parameters, which the system carries out when an authorised user runs it from
the incident page (``actions.py``). Every step can also be ticked by hand: "必要时延时报名"
may well be decided against, and that decision is recorded too.

Keys are stored on incidents and their log: never rename one; add new playbooks at the end.
"""
from dataclasses import dataclass, field

from ..codes import _lang_index

#: automated action kinds (see actions.py); "postpone" is 延时报名, an extension of the
#: self-registration window, "extend_phase" any window its parameters allow.
EXTEND, POSTPONE, PAPER, ONLINE, SNAPSHOT = (
    "extend_phase", "postpone", "paper_mode", "back_online", "snapshot")
ACTIONS = {
    EXTEND: ("延长时间安排", "Extend a window"),
    POSTPONE: ("延时报名", "Postpone registration"),
    PAPER: ("转为纸质草表采集", "Switch to paper draft forms"),
    ONLINE: ("恢复网上采集并批量录入", "Back online: batch entry"),
    SNAPSHOT: ("数据备份（快照）", "Back up the data (snapshot)"),
}
#: the activity a postponement extends (延时报名 = the candidates' registration window).
POSTPONE_ACTIVITIES = ("self_registration",)


def bilingual(zh, en, lang=None):
    return en if _lang_index(lang) == 2 else zh


@dataclass(frozen=True)
class Action:
    kind: str
    params: dict = field(default_factory=dict)

    def label(self, lang=None):
        text = ACTIONS[self.kind]
        if self.kind == EXTEND and self.params.get("label"):
            text = self.params["label"]
        return bilingual(*text, lang)

    @property
    def activities(self):
        """The activities whose windows this action may extend (None: any)."""
        if self.kind == POSTPONE:
            return POSTPONE_ACTIVITIES
        return tuple(self.params.get("activities") or ()) or None


@dataclass(frozen=True)
class Step:
    key: str
    zh: str
    en: str
    actions: tuple = ()
    #: an endpoint of the application that does the step (for manual steps done elsewhere).
    link: str | None = None

    def text(self, lang=None):
        return bilingual(self.zh, self.en, lang)

    @property
    def automated(self):
        return bool(self.actions)


@dataclass(frozen=True)
class Playbook:
    key: str
    zh: str
    en: str
    steps: tuple

    def text(self, lang=None):
        return bilingual(self.zh, self.en, lang)

    def step(self, key):
        return next((s for s in self.steps if s.key == key), None)


def _steps(key, *rows):
    """Steps keyed ``<playbook>.<n>`` in the notice's order."""
    return tuple(Step(f"{key}.{i}", *row) for i, row in enumerate(rows, 1))


_PAPER_THEN_ENTRY = (Action(PAPER), Action(ONLINE))

PLAYBOOKS = (
    Playbook("overload", "系统负载过大，响应较慢", "System overloaded, responding slowly", _steps(
        "overload",
        ("增加服务器以均衡负载，以及人为划分信息采集填报时段",
         "Add servers to balance the load, and assign time slots for filling in the forms"),
        ("WEB 压力过大时，组织考生手工填报信息采集草表，由报名确认点批量录入",
         "When the web load is too high, have candidates fill in paper draft forms by hand; "
         "the registration points enter them in bulk", _PAPER_THEN_ENTRY),
    )),
    Playbook("network", "辖区内发生网络不畅通", "Network outage in the region", _steps(
        "network",
        ("组织人员尽快恢复网络畅通", "Have staff restore the network as soon as possible"),
        ("在网络恢复畅通之前，组织考生填报信息采集草表",
         "Until the network is back, have candidates fill in paper draft forms",
         (Action(PAPER),)),
        ("网络恢复畅通后，由报名确认点批量录入",
         "Once the network is back, the registration points enter the forms in bulk",
         (Action(ONLINE),)),
    )),
    Playbook("policy", "使用过程中发现系统设计与政策不一致的地方",
             "The system is found to disagree with the policy", _steps(
        "policy",
        ("及时报告省教育考试院信息处争取短时间内调整",
         "Report to the information office of the provincial exam authority at once so that "
         "it can be adjusted shortly"),
    )),
    Playbook("payment", "大批量缴费不成功", "Mass payment failure", _steps(
        "payment",
        ("及时将情况上报上一级招办，并由市（州）上报省教育考试院信息处",
         "Report to the admissions office one level up at once; the city reports to the "
         "information office of the provincial exam authority"),
        ("省教育考试院信息处组织相关技术部门排除异常",
         "The provincial information office has the technical departments clear the fault"),
        ("估计短时间内无法恢复的情况下，延时缴费",
         "If it cannot be restored shortly, extend the payment deadline",
         (Action(EXTEND, {"activities": ("payment",), "label": ("延时缴费", "Extend payment")}),)),
    )),
    Playbook("ticket", "考生网上自助打印准考证失败",
             "Candidates cannot print their admission tickets online", _steps(
        "ticket",
        ("考生及时向报名确认点寻求帮助，报名确认点通过“管理系统”帮助考生打印准考证",
         "Candidates turn to their registration point, which prints the admission ticket for "
         "them through the management system", (), "AdmissionTicketView.list"),
    )),
    Playbook("power", "辖区内发生停电", "Power cut in the region", _steps(
        "power",
        ("组织人员尽快恢复电力供应", "Have staff restore the power supply as soon as possible"),
        ("估计在填报期间无法恢复供电情况下，组织考生填报信息采集草表，然后到有电报名确认点采用批量录入",
         "If power cannot be restored during the collection period, have candidates fill in "
         "paper draft forms, then enter them in bulk at a registration point with power",
         _PAPER_THEN_ENTRY),
        ("在填报期间能恢复供电情况下，先组织考生填报信息采集草表，恢复供电后，组织力量进行手工输入考生信息",
         "If power can be restored during the collection period, have candidates fill in paper "
         "draft forms first and, once power is back, have staff enter them",
         _PAPER_THEN_ENTRY),
    )),
    Playbook("datacentre", "省中心机房设备及网络出现异常及其他重大事故",
             "Failure of the provincial data centre's equipment or network, or another major "
             "accident", _steps(
        "datacentre",
        ("组织人员尽快排除异常", "Have staff clear the fault as soon as possible"),
        ("短时间内无法解决时，延时报名", "If it cannot be solved shortly, postpone registration",
         (Action(POSTPONE),)),
    )),
    Playbook("attack", "系统遇到人为攻击", "The system is under attack", _steps(
        "attack",
        ("实时监控", "Monitor in real time"),
        ("及时进行数据备份", "Back up the data at once", (Action(SNAPSHOT),)),
        ("必要时延时报名或改变采集方式",
         "If necessary, postpone registration or change the way data are collected",
         (Action(POSTPONE), *_PAPER_THEN_ENTRY)),
    )),
    Playbook("unknown", "其它未知异常", "Other unknown anomaly", _steps(
        "unknown",
        ("及时将情况上报上一级招办，并由市（州）上报省教育考试院信息处",
         "Report to the admissions office one level up at once; the city reports to the "
         "information office of the provincial exam authority"),
        ("组织人员尽快研究解决", "Have staff study and solve it as soon as possible"),
    )),
)
PLAYBOOKS_BY_KEY = {p.key: p for p in PLAYBOOKS}

#: the notice's general rule, shown above the playbooks.
PREAMBLE = ("系统在运行过程中出现异常情况时，市（州）要及时报告省教育考试院信息处，并按省教育考试院要求快速处置。",
            "When the system runs into an anomaly, the city reports it to the information office "
            "of the provincial exam authority at once and handles it quickly as the authority "
            "requires.")


def preamble(lang=None):
    return bilingual(*PREAMBLE, lang)


def choices(lang=None):
    """[(key, label)] of the anomalies for a select field."""
    return [(p.key, p.text(lang)) for p in PLAYBOOKS]
