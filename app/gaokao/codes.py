"""Code lists of the 高考 archive, as data: tuples of (code, zh name, en name) read through
``codes.choices`` / ``label``. Codes are what the database stores: never renumber an
entry, add new ones at the end.

The physical-examination lists follow 《普通高等学校招生体检工作指导意见》 (教学〔2003〕3号);
the items on hepatitis B surface antigen carriers (二6, 三9) are left out: 教学厅〔2010〕2号
abolished that test for admissions. The violation kinds follow 《国家教育考试违规处理办法》
(教育部令第33号).
"""
COLOUR_VISION = (
    ("1", "正常", "Normal"),
    ("2", "色弱（轻度色觉异常）", "Colour weakness (mild colour vision deficiency)"),
    ("3", "色盲（色觉异常Ⅱ度）", "Colour blindness (grade II colour vision deficiency)"),
    ("4", "不能准确识别红、黄、绿、蓝、紫中任一颜色",
     "Cannot reliably tell one of red, yellow, green, blue, violet"),
)

SMELL = (("1", "正常", "Normal"), ("2", "迟钝", "Impaired"), ("3", "丧失", "Lost"))

# 体检结论: the most severe section of the 指导意见 among the restrictions found.
FIT, RESTRICTED_MAJORS, UNSUITED_MAJORS, MAY_REFUSE = "1", "2", "3", "4"
CONCLUSIONS = (
    (FIT, "合格", "Fit"),
    (RESTRICTED_MAJORS, "有关专业可不予录取", "Some majors may refuse admission"),
    (UNSUITED_MAJORS, "不宜就读有关专业", "Unsuited to some majors"),
    (MAY_REFUSE, "学校可以不予录取", "Schools may refuse admission"),
)

# 受限代码: section and item of the 指导意见 (first digit: 一 = 1, 二 = 2, 三 = 3).
RESTRICTIONS = (
    ("11", "一1 严重心脏病、心肌病、高血压病", "I.1 Severe heart disease, cardiomyopathy, hypertension"),
    ("12", "一2 重症支气管扩张、哮喘、恶性肿瘤、慢性肾炎、尿毒症",
     "I.2 Severe bronchiectasis, asthma, malignant tumour, chronic nephritis, uraemia"),
    ("13", "一3 严重的血液、内分泌及代谢系统疾病、风湿性疾病",
     "I.3 Severe blood, endocrine, metabolic or rheumatic disease"),
    ("14", "一4 重症或难治性癫痫等神经系统疾病；严重精神病未治愈",
     "I.4 Severe or refractory epilepsy or other neurological disease; untreated severe "
     "mental illness"),
    ("15", "一5 慢性肝炎且肝功能不正常", "I.5 Chronic hepatitis with abnormal liver function"),
    ("16", "一6 结核病（指导意见所列已治愈情形除外）",
     "I.6 Tuberculosis (except the healed cases listed)"),
    ("21", "二1 轻度色觉异常（色弱）", "II.1 Mild colour vision deficiency (colour weakness)"),
    ("22", "二2 色觉异常Ⅱ度（色盲）", "II.2 Grade II colour vision deficiency (colour blindness)"),
    ("23", "二3 不能准确识别红、黄、绿、蓝、紫各种颜色中任何一种颜色",
     "II.3 Cannot reliably tell one of red, yellow, green, blue, violet"),
    ("24", "二4 裸眼视力任何一眼低于5.0", "II.4 Naked vision of either eye below 5.0"),
    ("25", "二5 裸眼视力任何一眼低于4.8", "II.5 Naked vision of either eye below 4.8"),
    ("31", "三1 主要脏器动过较大手术或有所列病史", "III.1 Major organ surgery or listed history"),
    ("32", "三2 先天性心脏病经手术治愈等", "III.2 Congenital heart disease cured by surgery etc."),
    ("33", "三3 肢体残疾", "III.3 Limb disability"),
    ("34", "三4 任何一眼矫正到4.8镜片度数大于400度",
     "III.4 Either eye needs a lens over 400 degrees to reach 4.8"),
    ("35", "三5 任何一眼矫正到4.8镜片度数大于800度",
     "III.5 Either eye needs a lens over 800 degrees to reach 4.8"),
    ("36", "三6 一眼失明，另一眼矫正到4.8镜片度数大于400度",
     "III.6 One eye blind, the other needs a lens over 400 degrees to reach 4.8"),
    ("37", "三7 两耳听力均在3米以内，或一耳听力在5米另一耳全聋",
     "III.7 Hearing of both ears within 3 m, or one ear at 5 m and the other deaf"),
    ("38", "三8 斜视、嗅觉迟钝、口吃", "III.8 Strabismus, impaired smell, stammer"),
)
#: restriction code → the conclusion it leads to (section 一/二/三).
SECTION_CONCLUSION = {"1": MAY_REFUSE, "2": RESTRICTED_MAJORS, "3": UNSUITED_MAJORS}
#: conclusions by severity, most severe first.
SEVERITY = (MAY_REFUSE, RESTRICTED_MAJORS, UNSUITED_MAJORS, FIT)

# 违规类型 (国家教育考试违规处理办法).
VIOLATION_KINDS = (
    ("01", "考试违纪（第五条）", "Breach of exam discipline (art. 5)"),
    ("02", "考试作弊（第六条）", "Cheating during the exam (art. 6)"),
    ("03", "认定为考试作弊（第七条：伪造材料获取资格或加分、答卷雷同等）",
     "Found to have cheated (art. 7: forged documents for eligibility or bonus points, "
     "identical answers …)"),
    ("04", "扰乱考试秩序", "Disturbing exam order"),
    ("99", "其他违规行为", "Other violation"),
)
