"""The candidate picker in a real browser: school staff type part of a name on the guardian
form, choose the candidate from the suggestions and save; the page's script runs under the
CSP (no violation), and the sibling county's namesake is never offered."""
import pytest
from sqlalchemy import select

from app.candidates.models import Guardian
from app.extensions import db
from e2e.conftest import sign_in
from factories import make_candidate

pytestmark = pytest.mark.browser


def test_guardian_added_through_the_picker(app, page, live_url):
    own = make_candidate(app, name="浏览器选甲")
    make_candidate(app, school="41010301", name="浏览器选乙")
    violations = []
    page.on("console", lambda msg: violations.append(msg.text)
            if "Content Security Policy" in msg.text else None)
    sign_in(page, live_url, "zy_school")
    page.goto(f"{live_url}/guardianview/add")
    page.fill("input.ks-candidate-picker", "浏览器选")
    page.wait_for_selector(".ks-picker-list li[data-index]")
    offered = page.eval_on_selector_all(".ks-picker-list li[data-index]",
                                        "items => items.map(i => i.textContent)")
    assert len(offered) == 1 and offered[0].startswith("浏览器选甲")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    assert page.input_value("input.ks-candidate-picker").startswith("浏览器选甲")
    assert page.input_value("input[type=hidden][name=candidate]") == str(own)
    page.fill("input[name=name]", "浏览器家长")
    page.select_option("select[name=relation]", "51")
    page.click("button[type=submit], input[type=submit]")
    page.wait_for_load_state("networkidle")
    with app.app_context():
        saved = db.session.execute(select(Guardian.candidate_id).where(
            Guardian.name == "浏览器家长")).scalars().all()
    assert saved == [own]
    assert violations == []
