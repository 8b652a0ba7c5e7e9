"""The staff add form follows the chosen exam in a real browser (candidate_form.js): the
sections of exam-specific fields are shown for the exam kinds that record them, and the section
of the fields two kinds share (外语语种, 毕业学校: 高考 and 成人高考) for both, never for 中招."""
import pytest

from app.codes import ADULT, GAOKAO, ZHONGZHAO
from e2e.conftest import sign_in
from helpers import exam_id

pytestmark = pytest.mark.browser

FIELDS = ("subject_track", "foreign_language", "graduation_school", "education_level")
SHOWN = {GAOKAO: {"subject_track", "foreign_language", "graduation_school"},
         ADULT: {"foreign_language", "graduation_school", "education_level"},
         ZHONGZHAO: set()}
CHOOSE = "(s, v) => { s.value = v; s.dispatchEvent(new Event('change', {bubbles: true})); }"
SECTION = "f => { const p = document.querySelector(`[name=${f}]`).closest('.panel');" \
          " return !p.hidden; }"


def test_sections_follow_the_chosen_exam(app, page, live_url):
    sign_in(page, live_url, "zy_school")
    page.goto(f"{live_url}/candidateview/add")
    for kind in (ADULT, GAOKAO, ZHONGZHAO, ADULT):
        page.eval_on_selector("select[name=exam]", CHOOSE, str(exam_id(app, kind)))
        shown = {f for f in FIELDS if page.evaluate(SECTION, f)}
        assert shown == SHOWN[kind], kind
