"""The national exchange format (全国招生数据交换格式) as data: GBK-encoded Visual FoxPro DBF
tables with fixed field names, code tables built from ``candidates/codes.py``, and photos as
``photos/<考生号>.jpg``.

T_BMK (报名库) carries one row per candidate. Each field names the candidate column it comes
from (and goes back to on import) as the registry import's field key (registry_file.FIELDS),
so an import reuses the registry importer's checks; ``None`` marks a field we export but do
not hold (kept empty) or derive. Widths are bytes: a GBK character takes two, so text widths
are twice the column's length in characters, at most 254 (a DBF character field's limit).
Never rename a field: other systems read them by name.
"""
from .. import codes
from ..jurisdiction import COUNTY
from ..review.workflow import APPROVED_AT, RECORD, REVIEW_CHAINS, UNIT

ENCODING = "gbk"
CODEPAGE = "cp936"  # the DBF header's code page mark for GBK (Visual FoxPro 0x7A)
REGISTRATION_TABLE = "T_BMK"
PHOTO_DIR = "photos"
MANIFEST = "manifest.json"
FORMAT_NAME = "kaosheng-national-exchange"
FORMAT_VERSION = 1
#: 证件类型: we hold the resident ID number only (18 characters, GB 11643).
ID_CARD = "1"
ID_TYPES = (("1", "居民身份证", "Resident identity card"),)
#: The field a photo's file name comes from, and the candidate column it matches.
PHOTO_KEY = "KSH"

# (DBF field, dBase spec, Chinese name, registry field key or None)
T_BMK = (
    ("KSH", "C(20)", "考生号", "candidate_number"),
    ("ZKZH", "C(30)", "准考证号", None),  # from the admission ticket; not imported
    ("XM", "C(80)", "姓名", "name"),
    ("XBDM", "C(1)", "性别代码", "gender"),
    ("CSRQ", "D", "出生日期", "birth_date"),
    ("ZZMMDM", "C(2)", "政治面貌代码", "political_status"),
    ("MZDM", "C(2)", "民族代码", "ethnicity"),
    ("KSLBDM", "C(2)", "考生类别代码", "category"),
    ("BYLBDM", "C(1)", "毕业类别代码", None),  # not held: empty
    ("BYXXDM", "C(20)", "毕业学校（报名单位）代码", "school_code"),
    ("BYXXMC", "C(200)", "毕业学校名称", "graduation_school"),
    ("WYYZDM", "C(1)", "外语语种代码", "foreign_language"),
    ("ZJLXDM", "C(1)", "证件类型代码", None),  # always 1 (居民身份证)
    ("ZJHM", "C(18)", "证件号码", "id_number"),
    ("XJH", "C(30)", "学籍号", "student_number"),
    ("TXDZ", "C(254)", "通信地址", "address"),
    ("YZBM", "C(6)", "邮政编码", "postcode"),
    ("LXSJ", "C(11)", "手机号码", "phone"),
    ("LXDH", "C(20)", "联系电话", None),  # not held (one mobile number is): empty
    ("HJDM", "C(6)", "户籍所在地代码", "hukou"),
    ("BJ", "C(60)", "班级", "class_name"),
    ("KLDM", "C(1)", "科类代码", "subject_track"),
    ("WHCDDM", "C(2)", "文化程度代码", "education_level"),
    ("ZYDM", "C(1)", "职业代码", "occupation"),
    ("GZRQ", "D", "参加工作时间", "work_start"),
    ("KSTZDM", "C(2)", "考生特征代码", "candidate_feature"),
    ("ZSLBDM", "C(2)", "招生类别代码", "enrolment_type"),
    ("XXXSDM", "C(1)", "学习形式代码", "study_form"),
    ("BYRQ", "D", "毕业日期", "graduation_date"),
    ("BYZSBH", "C(40)", "毕业证书编号", "diploma_number"),
    ("ZYZGZSBH", "C(40)", "医学类执业资格证书编号", "medical_license"),
    ("BZ", "C(254)", "备注", "remark"),
)
DATE_FIELDS = frozenset(name for name, spec, _zh, _key in T_BMK if spec == "D")
#: fields an imported T_BMK must have (the registry import's required fields).
REQUIRED = ("XM", "ZJHM", "BYXXDM")

# Code tables (代码表): TD_<field>, two columns DM 代码 and MC 名称.
CODE_SPEC = "DM C(2); MC C(100)"


def code_tables(exam_kind):
    """{table name: rows of (code, Chinese name)} for an exam of ``exam_kind``."""
    tables = {
        "TD_XBDM": codes.GENDERS, "TD_MZDM": codes.ETHNICITIES,
        "TD_ZZMMDM": codes.POLITICAL_STATUS,
        "TD_KSLBDM": codes.CANDIDATE_CATEGORIES.get(exam_kind, ()),
        "TD_ZJLXDM": ID_TYPES, "TD_WYYZDM": codes.FOREIGN_LANGUAGES,
        "TD_KLDM": codes.SUBJECT_TRACKS, "TD_WHCDDM": codes.EDUCATION_LEVELS,
        "TD_ZYDM": codes.OCCUPATIONS, "TD_KSTZDM": codes.ADULT_FEATURES,
        "TD_ZSLBDM": codes.ENROLMENT_TYPES, "TD_XXXSDM": codes.STUDY_FORMS,
    }
    return {name: [(row[0], row[1]) for row in table] for name, table in tables.items()}


def table_spec(fields=T_BMK):
    return "; ".join(f"{name} {spec}" for name, spec, _zh, _key in fields)


def width(spec):
    """Bytes of a character field (``C(n)``), None for other types."""
    return int(spec[2:-1]) if spec.startswith("C(") else None


#: "Accepted data": by default the records approved at the last level of their exam kind's
#: review chain (review/workflow.REVIEW_CHAINS: city for 中招 and 高考, province for 成人高考),
#: or approved from the county level on, or at any level.
ACCEPTED_FROM = {"final": None, "county": COUNTY, "any": UNIT}
DEFAULT_ACCEPTED = "final"


def accepted_states(key, exam_kind):
    """The review states counting as accepted under ``key`` for an exam of ``exam_kind``."""
    chain = REVIEW_CHAINS[exam_kind][RECORD]
    if ACCEPTED_FROM[key] is None:
        return (APPROVED_AT[chain[-1]],)
    return tuple(APPROVED_AT[level] for level in chain[chain.index(ACCEPTED_FROM[key]):])
