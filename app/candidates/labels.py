"""Labels of the candidate fields, shared by the screens, the import mapping page and the
error messages that name a field."""
from flask_babel import lazy_gettext as _l

LABELS = {
    "exam": _l("Exam"), "node": _l("School / point"), "name": _l("Full name"), "gender": _l("Gender"),
    "gender_label": _l("Gender"), "id_number": _l("ID number"), "id_display": _l("ID number"),
    "id_type": _l("Document type"),
    "birth_date": _l("Birth date"), "ethnicity": _l("Ethnicity"), "ethnicity_label": _l("Ethnicity"),
    "political_status": _l("Political status"), "political_status_label": _l("Political status"),
    "phone": _l("Mobile phone"), "address": _l("Address"), "postcode": _l("Postcode"),
    "hukou": _l("Hukou location code"), "student_number": _l("Student registry number"),
    "candidate_number": _l("Candidate number"), "class_name": _l("Class"),
    "category": _l("Candidate category"), "category_label": _l("Candidate category"),
    "state": _l("Review state"), "state_label": _l("Review state"),
    "subject_track": _l("Subject track"), "foreign_language": _l("Foreign language"),
    "graduation_school": _l("Graduation school"), "education_level": _l("Education level"),
    "occupation": _l("Occupation"), "work_start": _l("Started work"),
    "candidate_feature": _l("Candidate feature"), "enrolment_type": _l("Enrolment type"),
    "study_form": _l("Study form"), "graduation_date": _l("Graduation date"),
    "diploma_number": _l("Diploma number"),
    "medical_license": _l("Medical practice qualification certificate number"),
    "remark": _l("Remark"),
    "relation": _l("Relation"), "relation_label": _l("Relation"), "work_unit": _l("Work unit"),
    "candidate": _l("Candidate"), "start": _l("From"), "end": _l("To"), "school": _l("School"),
    "role": _l("Position held"), "photo_thumb": _l("Photo"),
    # registry import columns that are not candidate fields
    "school_code": _l("School / point code"), "guardian1_name": _l("Guardian name"),
    "guardian1_relation": _l("Guardian relation"), "guardian1_phone": _l("Guardian phone"),
}
