"""成人高考 scores and admission on the candidate's status page (``/me/``): shown only once
the province has released them (``adult.results.release_of``), each on its own switch.
The status page asks :func:`adult_results` for 成人高考 candidates only."""
from ..adult.results import candidate_results, release_of, score_lines
from .views import bp


@bp.app_template_global("adult_results")
def adult_results(candidate_id, exam_id):
    """What the candidate may see: None before any release, else ``{"scores_released",
    "scores" ([(subject, value)] or None when none is recorded), "admission_released",
    "admission" (the row or None)}`` with unreleased parts left empty."""
    release = release_of(exam_id)
    if release is None or not (release.scores_released or release.admission_released):
        return None
    score, admission = candidate_results(candidate_id)
    return {"scores_released": release.scores_released,
            "scores": score_lines(score) if release.scores_released and score else None,
            "admission_released": release.admission_released,
            "admission": admission if release.admission_released else None}
