"""Code lists of the 高考 优惠 and 专项 qualifications (seed 002 §三.3, 三.4), as data: rows of
(code, zh name, en name, part, effect, most points). Codes are what the database stores:
never renumber an entry, add new ones at the end, retire one by moving it to RETIRED.

Seed 002 names the procedure (民审表, 优惠资格审查表, 资格审核表) but neither the list of
policies nor their points: those are each year's 招生工作规定. The rows below are the
national items kept by 教育部等五部门《关于进一步减少和规范高考加分项目和分值的意见》
(教学〔2014〕17号) and the reduced-score (降分) items usually listed beside them, with the
points as the upper bound a city may enter; the province approves the points of each
candidate. Change the bounds (or add the province's own items) here for the year's notice.
"""

#: the parts of the archive's 优惠 and 专项 information, each with its own procedure.
MINORITY, POLICY, SPECIAL = "minority", "policy", "special"
#: effect of a policy: points added to the score (加分), points the admission line is lowered
#: by (降分), or a qualification without points (专项计划报名资格).
ADD, REDUCE, QUALIFY = "add", "reduce", "qualify"

POLICIES = (
    # 民族优惠 (民审表): the points follow the candidate's 户籍 area; the province records them.
    ("MZ", "少数民族考生（民族优惠政策）", "Ethnic minority candidate (ethnic policy)",
     MINORITY, ADD, 20),
    # 其它加分（降分）政策: entered by the city with the 优惠资格审查表, approved by the province.
    ("LS", "烈士子女", "Child of a revolutionary martyr", POLICY, ADD, 20),
    ("TY", "自主就业退役士兵", "Discharged soldier (self-employed)", POLICY, ADD, 10),
    ("GL", "服役期间荣立二等功以上或获战区以上荣誉称号的退役军人",
     "Veteran with a second-class merit or higher, or an honorary title", POLICY, ADD, 20),
    ("QQ", "归侨、华侨子女、归侨子女", "Returned overseas Chinese or child of one", POLICY,
     ADD, 5),
    ("TW", "台湾省籍考生", "Candidate from Taiwan province", POLICY, ADD, 5),
    ("TC", "体育特长生（本省项目）", "Sports talent (provincial item)", POLICY, ADD, 5),
    ("GA", "公安英烈和因公牺牲、一级至四级因公伤残公安民警子女",
     "Child of a police martyr or of an officer disabled on duty (grades 1–4)", POLICY,
     REDUCE, 20),
    ("BF", "驻边疆国境县（市）、西藏等艰苦边远地区军人子女",
     "Child of a soldier serving in a remote border area", POLICY, REDUCE, 20),
    # 专项计划报名资格 (资格审核表).
    ("PK", "贫困地区定向招生", "Targeted enrolment for poor areas", SPECIAL, QUALIFY, None),
    ("NC", "农村学生单独招生", "Separate enrolment of rural students", SPECIAL, QUALIFY, None),
)
#: codes no longer offered (kept so that stored rows still show their name).
RETIRED = ()

PART_LABELS = (
    (MINORITY, "民族优惠（民审）", "Ethnic minority policy (民审)"),
    (POLICY, "其它加分（降分）政策", "Other bonus / reduced-score policies"),
    (SPECIAL, "贫困地区定向招生、农村学生单独招生资格", "Special-plan qualification"),
)
EFFECT_LABELS = ((ADD, "加分", "Points added"), (REDUCE, "降分录取", "Lower admission line"),
                 (QUALIFY, "报名资格", "Qualification"))


def rows(part):
    """The (code, zh, en) rows of ``part``'s policies, for a select."""
    return tuple((code, zh, en) for code, zh, en, p, _e, _m in POLICIES
                 if p == part and code not in RETIRED)


def policy(code):
    """The row of ``code`` as a dict, or None."""
    for c, zh, en, part, effect, most in POLICIES:
        if c == code:
            return {"code": c, "zh": zh, "en": en, "part": part, "effect": effect, "most": most}
    return None
