"""Code lists of 学业水平考试成绩 and 综合素质评价 (seed 002 parts 8 and 9), as data: the archive's
codes (``(code, zh name, en name)`` tuples read through ``codes.choices`` / ``label``) and the
mapping tables from what the basic-education department's files carry (its subject names,
grade words, letters) to those codes. Codes are stored: never renumber, add at the end.

学业水平考试: the fourteen subjects of the general senior high curriculum. Subjects sat as a
written exam are graded on the five-step scale A–E (A 优秀, B 良好, C 中等, D 合格, E 不合格);
the subjects assessed by the school (体育与健康, 音乐, 美术, 信息技术, 通用技术) only as 合格 /
不合格. 综合素质评价: the five dimensions of 教育部《关于加强和改进普通高中学生综合素质评价的意见》
(教基二〔2014〕11号), each graded A–D (优秀, 良好, 合格, 不合格).
"""
import unicodedata

ACADEMIC, QUALITY = "academic", "quality"

# Archive grade codes.
GRADE_AE = (
    ("A", "A（优秀）", "A (excellent)"), ("B", "B（良好）", "B (good)"),
    ("C", "C（中等）", "C (fair)"), ("D", "D（合格）", "D (pass)"),
    ("E", "E（不合格）", "E (fail)"),
)
PASS_FAIL = (("P", "合格", "Pass"), ("F", "不合格", "Fail"))
GRADE_AD = (
    ("A", "A（优秀）", "A (excellent)"), ("B", "B（良好）", "B (good)"),
    ("C", "C（合格）", "C (pass)"), ("D", "D（不合格）", "D (fail)"),
)
#: every grade code with one label (lists and history show grades of both parts).
ALL_GRADES = GRADE_AE + PASS_FAIL

#: what the department's files write → archive code, per scale. Keys are compared after
#: NFKC (full-width letters) and upper-casing.
_AE_WORDS = {"A": "A", "优秀": "A", "优": "A", "B": "B", "良好": "B", "良": "B",
             "C": "C", "中等": "C", "中": "C", "D": "D", "合格": "D", "及格": "D",
             "E": "E", "不合格": "E", "不及格": "E"}
_PF_WORDS = {"合格": "P", "通过": "P", "P": "P", "不合格": "F", "不通过": "F", "F": "F"}
_AD_WORDS = {"A": "A", "优秀": "A", "优": "A", "B": "B", "良好": "B", "良": "B",
             "C": "C", "合格": "C", "D": "D", "不合格": "D"}
SCALES = {"ae": (GRADE_AE, _AE_WORDS), "pf": (PASS_FAIL, _PF_WORDS), "ad": (GRADE_AD, _AD_WORDS)}

# 学业水平考试 subjects: (code, zh, en), their scale and the names the department uses.
ACADEMIC_SUBJECTS = (
    ("01", "语文", "Chinese"), ("02", "数学", "Mathematics"), ("03", "英语", "English"),
    ("04", "思想政治", "Politics"), ("05", "历史", "History"), ("06", "地理", "Geography"),
    ("07", "物理", "Physics"), ("08", "化学", "Chemistry"), ("09", "生物", "Biology"),
    ("10", "信息技术", "Information technology"), ("11", "通用技术", "General technology"),
    ("12", "体育与健康", "Physical education and health"), ("13", "音乐", "Music"),
    ("14", "美术", "Fine arts"),
)
ACADEMIC_SCALE = {code: ("pf" if code in ("10", "11", "12", "13", "14") else "ae")
                  for code, _zh, _en in ACADEMIC_SUBJECTS}
ACADEMIC_ALIASES = {
    "外语": "03", "政治": "04", "思想品德": "04", "生物学": "09", "信息": "10",
    "体育": "12", "体育与健康（合格性）": "12",
}

QUALITY_DIMENSIONS = (
    ("01", "思想品德", "Moral character"), ("02", "学业水平", "Academic performance"),
    ("03", "身心健康", "Physical and mental health"), ("04", "艺术素养", "Artistic literacy"),
    ("05", "社会实践", "Social practice"),
)
QUALITY_SCALE = {code: "ad" for code, _zh, _en in QUALITY_DIMENSIONS}
QUALITY_ALIASES = {"道德品质": "01", "品德": "01", "学业": "02", "学业成就": "02",
                   "身心": "03", "运动与健康": "03", "艺术": "04", "审美与表现": "04",
                   "实践": "05", "社会实践活动": "05"}

#: part → (items, scale per item, extra names → code)
PARTS = {
    ACADEMIC: (ACADEMIC_SUBJECTS, ACADEMIC_SCALE, ACADEMIC_ALIASES),
    QUALITY: (QUALITY_DIMENSIONS, QUALITY_SCALE, QUALITY_ALIASES),
}


def _key(text):
    return unicodedata.normalize("NFKC", str(text or "")).replace(" ", "").strip().upper()


def item_code(part, text):
    """The archive code of a subject / dimension named ``text`` (its code, Chinese or
    English name, or an alias of the department); None when unknown."""
    items, _scales, aliases = PARTS[part]
    key = _key(text)
    for code, zh, en in items:
        if key in (code, _key(zh), _key(en)) or (key.isdigit() and key.zfill(2) == code):
            return code
    return aliases.get(key) or {_key(k): v for k, v in aliases.items()}.get(key)


def grade_code(part, item, text):
    """The archive grade of ``text`` for ``item`` on the item's scale; None when the value is
    not a grade of that scale."""
    _items, words = SCALES[PARTS[part][1][item]]
    return words.get(_key(text))


def scale_of(part, item):
    """The archive grades of ``item`` ((code, zh, en) tuples)."""
    return SCALES[PARTS[part][1][item]][0]


def items_of(part):
    return PARTS[part][0]
