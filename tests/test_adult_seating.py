"""Who is seated by the 成人高考 numbering beyond payment and confirmation (issue 18): a
travel-permit or passport holder once the city approved the document (证件审核,
candidates/documents.py), and never a candidate the province exempted (免试入学,
adult/exemption.py). The module seats a whole exam in its own database."""
from sqlalchemy import update

from adult_support import OPEN, make, numbering, tickets, window
from app.candidates.models import Candidate
from app.codes import ADULT
from app.extensions import db
from helpers import exam_id


def test_numbering_seats_a_passport_holder_only_once_the_city_approved(app, login):
    """证件审核 (candidates/documents.py): a permit or passport holder counts once the city
    approved the document copy."""
    from app.candidates.models import DocumentCheck

    with_card = make(app, "BM410102", paid=True, name="身份证成考")
    passport = make(app, "BM410102", paid=True, name="护照成考")
    with app.app_context():
        cand = db.session.get(Candidate, passport[0])
        cand.id_type, cand.id_number = "6", "P40000001"
        db.session.add(DocumentCheck(candidate_id=passport[0], state="pending"))
        db.session.commit()
    window(app, "ticket_numbering", OPEN)
    province = login("henan_admin")
    numbering(province, exam_id(app, ADULT))
    issued = tickets(app)
    assert with_card[0] in issued and passport[0] not in issued
    with app.app_context():
        db.session.execute(update(DocumentCheck).where(
            DocumentCheck.candidate_id == passport[0]).values(state="approved"))
        db.session.commit()
    numbering(province, exam_id(app, ADULT))
    assert passport[0] in tickets(app)


def test_an_exempt_candidate_is_not_seated(app, login):
    """免试入学 approved by the province (adult/exemption.py): not seated."""
    from app.adult.exemption_models import AdultExemption

    sitting = make(app, "BM410102", paid=True, name="应考考生")
    exempt = make(app, "BM410102", paid=True, name="免试考生")
    with app.app_context():
        db.session.add(AdultExemption(candidate_id=exempt[0], state="approved", kind="1"))
        db.session.commit()
    window(app, "ticket_numbering", OPEN)
    numbering(login("henan_admin"), exam_id(app, ADULT))
    issued = tickets(app)
    assert sitting[0] in issued and exempt[0] not in issued
