"""Candidate self-service (考生自助): a plain Flask blueprint mounted at ``/me/``.

Candidates are not FAB users: they log in with their ID number and own password, their
session lives under its own keys (``ss_*``) and never sets Flask-Login's user, so a candidate
session opens no staff page and a staff session opens nothing under ``/me/``.
"""
from .views import bp, register  # noqa: F401
from . import adult  # noqa: F401,E402  (成人高考 routes on the same blueprint)
from . import adult_results  # noqa: F401,E402  (成人高考 scores and admission: aresults)
from . import gaokao_scores  # noqa: F401,E402  (高考 scores on the status page; gscores)
from . import gaokao_bonus  # noqa: F401,E402  (高考 民审表 / 资格审核表, gbonus)
from . import gaokao_preferences  # noqa: F401,E402  (高考 志愿 with the password card, gpref)
from . import adult_exemption  # noqa: F401,E402  (成人高考 免试入学: aexempt)
from . import notices  # noqa: F401,E402  (报考须知: public list and the candidate's region)
from . import signup  # noqa: F401,E402  (成人高考 public sign-up, issue 18.1: signup)
from . import adult_info  # noqa: F401,E402  (成人高考 基本信息: adultinfo)
