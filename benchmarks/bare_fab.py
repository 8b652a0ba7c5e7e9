"""The baseline of benchmarks/scale_bench.py: a bare Flask-AppBuilder ModelView over the same
``ks_candidate`` table with FAB's defaults (no scoping, no formatters, FAB's own security
manager on the same ab_* tables), served as ``gunicorn -w 2 bare_fab:app``.

The province administrator's role gets the view's permissions at start-up (FAB_UPDATE_PERMS
on the benchmark's throwaway database), so the same user logs in to both apps."""
import os

from flask import Flask
from flask_appbuilder import AppBuilder, Model, ModelView
from flask_appbuilder.models.sqla.base import SQLA
from flask_appbuilder.models.sqla.interface import SQLAInterface
from sqlalchemy import Date, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

app = Flask(__name__)
app.config.update(
    SQLALCHEMY_DATABASE_URI=os.environ["DATABASE_URL"],
    SECRET_KEY=os.environ.get("SECRET_KEY", "scale-bench"),
    FAB_UPDATE_PERMS=True, FAB_CREATE_DB=False, AUTH_ROLE_ADMIN="province_admin",
    FAB_ADD_SECURITY_API=False, WTF_CSRF_ENABLED=True,
)
db = SQLA()


class BareCandidate(Model):
    __tablename__ = "ks_candidate"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    exam_id: Mapped[int] = mapped_column(Integer)
    node_id: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(40))
    gender: Mapped[str] = mapped_column(String(1))
    id_number: Mapped[str] = mapped_column(String(18))
    birth_date: Mapped[Date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(20))


class BareCandidateView(ModelView):
    datamodel = SQLAInterface(BareCandidate)
    list_columns = ["name", "gender", "id_number", "birth_date", "state", "node_id", "exam_id"]
    page_size = 50


with app.app_context():
    db.init_app(app)
    appbuilder = AppBuilder()
    appbuilder.init_app(app, db.session)
    appbuilder.add_view(BareCandidateView, "Candidates")
