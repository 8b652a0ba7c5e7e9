"""高考 scores on the candidate's status page (/me/): the province's imported scores, shown
only after the province has released the exam's scores (``gaokao.scores.score_lines``)."""
from ..codes import GAOKAO
from ..gaokao.scores import score_lines
from .views import bp


def released_scores(cand):
    """The lines of ``cand``'s released scores; None for candidates of other exam kinds."""
    if cand is None or cand.exam.kind != GAOKAO:
        return None
    return score_lines(cand)


@bp.context_processor
def _gaokao_scores():
    return {"gaokao_released_scores": released_scores}
