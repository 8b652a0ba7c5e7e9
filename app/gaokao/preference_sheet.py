"""The 考生志愿表 (forms/gaokao_preferences.html): every batch of the candidate's exam with its
effective preferences, the 征集志愿 rounds after their batch, and the released scores.
Printed in Chinese; ``menu.py`` gives the form templates this function as
``gaokao_preference_sheet`` (printing imports gaokao, not the other way round)."""
from .preference_rules import batches_of, effective_rows

ORDINALS = "一二三四五六七八九十"


def _ordinal(n):
    return ORDINALS[n - 1] if 1 <= n <= len(ORDINALS) else str(n)


def score_lines(candidate):
    """``[(label, value)]`` of the released scores; empty while none are known (or when the
    scores part is not installed)."""
    try:
        from . import scores
    except ImportError:
        return []
    lines = getattr(scores, "score_lines", None)
    return list(lines(candidate)) if lines is not None else []


def sheet(candidate):
    """``{"batches": [...], "scores": [...]}`` for the form."""
    batches = []
    for batch in batches_of(candidate.exam_id):
        rows = effective_rows(candidate.id, batch.id)
        batches.append({
            "name": batch.name, "code": batch.code,
            "collection": batch.collection_of_id is not None,
            "majors": batch.majors,
            "rows": [{"label": f"第{_ordinal(p.seq)}志愿", "code": p.school_code,
                      "name": p.school_name,
                      "majors": "；".join(f"{i}.{code} {name}" for i, (code, name)
                                         in enumerate(p.majors or [], 1)),
                      "adjust": "是" if p.adjust else "否",
                      "confirmed": p.confirmed_at.strftime("%Y-%m-%d %H:%M")} for p in rows],
        })
    return {"batches": batches, "scores": score_lines(candidate)}
