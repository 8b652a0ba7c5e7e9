"""Code lists for the candidate record, as data: tuples of (code, zh name, en name).

Codes are what the database stores and exports carry, so never renumber an entry; add new
ones at the end. National standards are followed where one exists (cited per table).
"""
from flask_babel import LazyString, get_locale

# GB 3304-91 民族名称的罗马字母拼写法和代码 (numeric codes). 97 其他未识别民族 and
# 98 外国血统中国籍人士 are left out on purpose: candidates here pick one of the 56.
ETHNICITIES = (
    ("01", "汉族", "Han"), ("02", "蒙古族", "Mongol"), ("03", "回族", "Hui"),
    ("04", "藏族", "Tibetan"), ("05", "维吾尔族", "Uyghur"), ("06", "苗族", "Miao"),
    ("07", "彝族", "Yi"), ("08", "壮族", "Zhuang"), ("09", "布依族", "Buyei"),
    ("10", "朝鲜族", "Korean"), ("11", "满族", "Manchu"), ("12", "侗族", "Dong"),
    ("13", "瑶族", "Yao"), ("14", "白族", "Bai"), ("15", "土家族", "Tujia"),
    ("16", "哈尼族", "Hani"), ("17", "哈萨克族", "Kazakh"), ("18", "傣族", "Dai"),
    ("19", "黎族", "Li"), ("20", "傈僳族", "Lisu"), ("21", "佤族", "Va"),
    ("22", "畲族", "She"), ("23", "高山族", "Gaoshan"), ("24", "拉祜族", "Lahu"),
    ("25", "水族", "Sui"), ("26", "东乡族", "Dongxiang"), ("27", "纳西族", "Naxi"),
    ("28", "景颇族", "Jingpo"), ("29", "柯尔克孜族", "Kirgiz"), ("30", "土族", "Tu"),
    ("31", "达斡尔族", "Daur"), ("32", "仫佬族", "Mulao"), ("33", "羌族", "Qiang"),
    ("34", "布朗族", "Blang"), ("35", "撒拉族", "Salar"), ("36", "毛南族", "Maonan"),
    ("37", "仡佬族", "Gelao"), ("38", "锡伯族", "Xibe"), ("39", "阿昌族", "Achang"),
    ("40", "普米族", "Pumi"), ("41", "塔吉克族", "Tajik"), ("42", "怒族", "Nu"),
    ("43", "乌孜别克族", "Uzbek"), ("44", "俄罗斯族", "Russian"), ("45", "鄂温克族", "Ewenki"),
    ("46", "德昂族", "Deang"), ("47", "保安族", "Bonan"), ("48", "裕固族", "Yugur"),
    ("49", "京族", "Gin"), ("50", "塔塔尔族", "Tatar"), ("51", "独龙族", "Derung"),
    ("52", "鄂伦春族", "Oroqen"), ("53", "赫哲族", "Hezhen"), ("54", "门巴族", "Monba"),
    ("55", "珞巴族", "Lhoba"), ("56", "基诺族", "Jino"),
)

# GB/T 4762-1984 政治面貌代码.
POLITICAL_STATUS = (
    ("01", "中国共产党党员", "Member of the Communist Party of China"),
    ("02", "中国共产党预备党员", "Probationary member of the Communist Party of China"),
    ("03", "中国共产主义青年团团员", "Member of the Communist Youth League of China"),
    ("04", "中国国民党革命委员会会员", "Member of the Revolutionary Committee of the Chinese Kuomintang"),
    ("05", "中国民主同盟盟员", "Member of the China Democratic League"),
    ("06", "中国民主建国会会员", "Member of the China National Democratic Construction Association"),
    ("07", "中国民主促进会会员", "Member of the China Association for Promoting Democracy"),
    ("08", "中国农工民主党党员", "Member of the Chinese Peasants' and Workers' Democratic Party"),
    ("09", "中国致公党党员", "Member of the China Zhi Gong Party"),
    ("10", "九三学社社员", "Member of the Jiusan Society"),
    ("11", "台湾民主自治同盟盟员", "Member of the Taiwan Democratic Self-Government League"),
    ("12", "无党派民主人士", "Non-party democrat"),
    ("13", "群众", "Ordinary citizen"),
)

# GB/T 2261.1-2003 (0 未知 and 9 未说明 omitted: the ID number always tells).
GENDERS = (("1", "男", "Male"), ("2", "女", "Female"))
_GENDER_CODE = {"M": "1", "F": "2"}
_GENDER_MF = {"1": "M", "2": "F", "M": "M", "F": "F"}

ZHONGZHAO, GAOKAO, ADULT = "zhongzhao", "gaokao", "adult"
EXAM_KINDS = (
    (ZHONGZHAO, "中招", "Senior high school entrance exam"),
    (GAOKAO, "高考", "National college entrance exam"),
    (ADULT, "成人高考", "Adult college entrance exam"),
)

# 考生类别, per exam kind; codes are only unique within one kind.
CANDIDATE_CATEGORIES = {
    ZHONGZHAO: (
        ("01", "学籍户籍一致", "Current student, school record and hukou in the same place"),
        ("02", "回户籍地报考", "Returning to the hukou locality to sit the exam"),
        ("03", "随迁子女", "Migrant child with a local school record"),
        ("04", "八年级", "Grade 8 (biology and geography only)"),
        ("05", "社会考生", "Non-school candidate"),
    ),
    GAOKAO: (
        ("01", "普通高中应届", "Current general senior high graduate"),
        ("02", "普通高中往届", "Former general senior high graduate"),
        ("03", "中职应届", "Current secondary vocational graduate"),
        ("04", "中职往届", "Former secondary vocational graduate"),
        ("05", "同等学力", "Equivalent education (non-school candidate)"),
    ),
    ADULT: (
        ("01", "高起本", "Senior high to bachelor's degree"),
        ("02", "高起专", "Senior high to junior college"),
        ("03", "专升本", "Junior college to bachelor's degree"),
    ),
}

# Foreign-language codes as on most provinces' 高考 forms.
FOREIGN_LANGUAGES = (
    ("1", "英语", "English"), ("2", "俄语", "Russian"), ("3", "日语", "Japanese"),
    ("4", "德语", "German"), ("5", "法语", "French"), ("6", "西班牙语", "Spanish"),
)

# 高考 科类: the old two tracks, the 3+1+2 lead subjects, and 3+3 provinces (no track).
SUBJECT_TRACKS = (
    ("1", "文史", "Liberal arts"),
    ("2", "理工", "Science and engineering"),
    ("3", "物理类", "Physics track"),
    ("4", "历史类", "History track"),
    ("5", "综合改革", "Comprehensive (no track)"),
)

# GB/T 4658-2006 学历代码, the levels an adult candidate can hold before 成人高考.
EDUCATION_LEVELS = (
    ("20", "大学本科", "Bachelor's degree"),
    ("30", "大学专科", "Junior college"),
    ("40", "中等职业教育", "Secondary vocational school"),
    ("60", "普通高中", "General senior high school"),
    ("70", "初中", "Junior high school"),
    ("90", "其他", "Other"),
)

# GB/T 6565-2009 职业分类 major groups.
OCCUPATIONS = (
    ("1", "国家机关、党群组织、企业、事业单位负责人", "Heads of government, Party, enterprises and institutions"),
    ("2", "专业技术人员", "Professional and technical staff"),
    ("3", "办事人员和有关人员", "Clerical staff"),
    ("4", "商业、服务业人员", "Commerce and service staff"),
    ("5", "农、林、牧、渔、水利业生产人员", "Agriculture, forestry, animal husbandry, fishery and water conservancy workers"),
    ("6", "生产、运输设备操作人员及有关人员", "Production and transport equipment operators"),
    ("X", "军人", "Military personnel"),
    ("Y", "不便分类的其他从业人员", "Other workers"),
)

# 成人高考 学习形式.
STUDY_FORMS = (("1", "脱产", "Full-time"), ("2", "业余", "Part-time"), ("3", "函授", "Correspondence"))

# 成人高考 考生特征: the features that carry a policy consequence (照顾加分 and the like).
ADULT_FEATURES = (
    ("01", "无", "None"),
    ("02", "年满25周岁", "Aged 25 or over"),
    ("03", "少数民族聚居地区少数民族考生", "Minority candidate from a minority area"),
    ("04", "自主就业退役士兵", "Self-employed veteran"),
    ("05", "烈士子女", "Child of a martyr"),
    ("06", "港澳台侨考生", "Hong Kong, Macao, Taiwan or overseas Chinese candidate"),
)

# 成人高考 招生类别.
ENROLMENT_TYPES = (("01", "非定向", "Non-directed"), ("02", "定向", "Directed"),
                   ("03", "委托培养", "Commissioned training"))

# 成人高考 科类 per level: 高起本 / 高起专 sit 文史 or 理工 papers; 专升本 sits one of the
# 招生专业类 (a 专升本 second choice may not cross it).
ADULT_TRACKS = (
    ("1", "文史类", "Liberal arts"), ("2", "理工类", "Science and engineering"),
    ("3", "外语类", "Foreign languages"), ("4", "艺术类", "Arts"), ("5", "体育类", "Sports"),
)
ADULT_MAJOR_CATEGORIES = (
    ("01", "政治", "Politics"), ("02", "经济管理类", "Economics and management"),
    ("03", "法学类", "Law"), ("04", "教育学类", "Education"), ("05", "艺术类", "Arts"),
    ("06", "文史中医类", "Literature, history and Chinese medicine"),
    ("07", "理工类", "Science and engineering"), ("08", "农学类", "Agriculture"),
    ("09", "医学类", "Medicine"),
)
# 医卫类 majors need a designated (医卫类审核) confirmation point.
MEDICAL_MAJOR_CATEGORIES = frozenset({"09"})

# GB/T 4761-2008 家庭关系代码, the relations that can act as a minor's guardian.
GUARDIAN_RELATIONS = (
    ("51", "父亲", "Father"), ("52", "母亲", "Mother"),
    ("57", "继父或养父", "Stepfather or adoptive father"),
    ("58", "继母或养母", "Stepmother or adoptive mother"),
    ("61", "祖父", "Paternal grandfather"), ("62", "祖母", "Paternal grandmother"),
    ("63", "外祖父", "Maternal grandfather"), ("64", "外祖母", "Maternal grandmother"),
    ("70", "兄弟姐妹", "Sibling"),
    ("97", "其他亲属", "Other relative"),
    ("99", "其他监护人", "Other guardian (non-relative)"),
)

# 证件类型: the documents a candidate registers with (seed 004 §四.3: 港澳台 documents, 华侨
# and foreign passports). The number rules of each are validators.validate_document_number;
# every kind but the 居民身份证 is reviewed by the city before it counts (candidates/documents.py).
ID_CARD = "1"
ID_TYPES = (
    (ID_CARD, "居民身份证", "Resident identity card"),
    ("2", "港澳台居民居住证", "Residence permit for Hong Kong, Macao and Taiwan residents"),
    ("3", "港澳居民来往内地通行证", "Mainland travel permit for Hong Kong and Macao residents"),
    ("4", "台湾居民来往大陆通行证", "Mainland travel permit for Taiwan residents"),
    ("5", "护照（华侨）", "Passport (overseas Chinese)"),
    ("6", "护照（外籍）", "Passport (foreign national)"),
)


def _lang_index(lang):
    """Column of the label: 'en', 'en_US', Locale('en') → English; anything else → Chinese."""
    if lang is None:
        try:
            lang = get_locale()
        except (KeyError, RuntimeError):
            lang = None
    return 2 if str(lang or "zh").lower().startswith("en") else 1


def choices(table, lang="zh"):
    """[(code, label)] for a select field; ``lang=None`` uses the request's locale."""
    i = _lang_index(lang)
    return [(row[0], row[i]) for row in table]


def label(table, code, lang="zh", default=None):
    i = _lang_index(lang)
    for row in table:
        if row[0] == code:
            return row[i]
    return default


#: exam kind → its name ('中招') in the language of the page showing it: lazy, so that field
#: choices and fieldset titles fixed at import time follow the request's locale.
EXAM_KIND_LABELS = {kind: LazyString(label, EXAM_KINDS, kind, None) for kind, *_ in EXAM_KINDS}


def gender_code(mf):
    """'M'/'F' (as derived from an ID number) → the GENDERS code '1'/'2'."""
    return _GENDER_CODE[str(mf).upper()]


def gender_mf(code):
    """A GENDERS code '1'/'2' (or 'M'/'F') → 'M'/'F'; ValueError for anything else."""
    try:
        return _GENDER_MF[str(code).upper()]
    except KeyError:
        raise ValueError(f"not a gender code: {code!r}") from None


#: The code table of each coded column of the candidate record (its label, its select, the
#: import template's example): one map for the screens and the registry file.
COLUMN_CODES = {
    "id_type": ID_TYPES,
    "ethnicity": ETHNICITIES, "political_status": POLITICAL_STATUS,
    "subject_track": SUBJECT_TRACKS, "foreign_language": FOREIGN_LANGUAGES,
    "education_level": EDUCATION_LEVELS, "occupation": OCCUPATIONS,
    "candidate_feature": ADULT_FEATURES, "enrolment_type": ENROLMENT_TYPES,
    "study_form": STUDY_FORMS,
}
