"""Code lists of the 高考 报名信息 (registration part of the electronic archive), as data: tuples
of (code, zh name, en name) read through ``codes.choices`` / ``label``. Codes are what the
database stores and the national exchange carries (one character each, like the T_BMK
fields BYLBDM / KSLXDM): never renumber an entry, add new ones at the end.

They follow the fields of the 全国普通高校招生统一信息标准 (报名库): 毕业类别, 考试类型, 户口性质,
报考类别; the values are the ones provinces commonly publish for these fields. A province with
other values maps them when exchanging data (README, 高考 archive).
"""
# 毕业类别 (BYLBDM): the kind of school the candidate graduates (graduated) from.
GRADUATION_KINDS = (
    ("1", "普通高中", "General senior high school"),
    ("2", "中等专业学校", "Secondary specialised school"),
    ("3", "职业高中", "Vocational senior high school"),
    ("4", "技工学校", "Technical school"),
    ("5", "成人中专", "Adult secondary specialised school"),
    ("9", "其他（同等学力）", "Other (equivalent education)"),
)
#: 毕业类别 of secondary vocational education (中职).
VOCATIONAL_KINDS = frozenset({"2", "3", "4", "5"})

# 考试类型 (KSLXDM).
EXAM_TYPES = (
    ("1", "统一考试", "National unified exam"),
    ("2", "对口招生考试", "Vocational (对口) admission exam"),
    ("3", "保送生（免试）", "Recommended for admission (exempt from the exam)"),
)
UNIFIED_EXAM, VOCATIONAL_EXAM, RECOMMENDED = "1", "2", "3"

# 户口性质 (HKXZ): the household registration type. 3 is for places that registered every
# resident as 居民户口 after the 2014 户籍制度改革.
HUKOU_TYPES = (
    ("1", "农业户口", "Agricultural"),
    ("2", "非农业户口", "Non-agricultural"),
    ("3", "居民户口（城乡统一登记）", "Resident (unified registration)"),
)

# 报考类别 (BKLB).
APPLICATION_KINDS = (
    ("1", "普通类", "General"),
    ("2", "艺术类", "Arts"),
    ("3", "体育类", "Physical education"),
    ("4", "对口招生类", "Vocational (对口)"),
)
VOCATIONAL_APPLICATION = "4"

# 缴费状态: 含缴费 (seed 002). 免缴 is the fee waiver some provinces grant (e.g. families
# registered as poor, 建档立卡).
UNPAID, PAID, EXEMPT = "0", "1", "2"
FEE_STATES = (
    (UNPAID, "未缴费", "Not paid"),
    (PAID, "已缴费", "Paid"),
    (EXEMPT, "免缴", "Exempt"),
)

#: 考生类别 (codes.CANDIDATE_CATEGORIES[GAOKAO]) → the 毕业类别 it allows.
CATEGORY_GRADUATION = {
    "01": frozenset({"1"}), "02": frozenset({"1"}),  # 普通高中应届 / 往届
    "03": VOCATIONAL_KINDS, "04": VOCATIONAL_KINDS,  # 中职应届 / 往届
    "05": frozenset({"9"}),  # 同等学力
}
