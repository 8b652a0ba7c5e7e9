"""URL walk tables of the 高考 scores, 学业水平考试成绩 and 综合素质评价 (app/gaokao/scores*,
academic*; issue 17 parts 6, 8, 9): one score and one grade of each part per side."""
from decimal import Decimal

from app.gaokao.score_models import BasicEduResult, GaokaoScore

MODEL_KINDS = {"GaokaoScore": "gaokao_score", "BasicEduResult": "academic_result"}
# Both lists read one table; the quality list's rows are the quality part's.
ENDPOINT_ARGS = {("QualityResultView." + e, "pk"): "quality_result"
                 for e in ("show",)}


def objects(ctx):
    return {
        "gaokao_score": GaokaoScore(candidate=ctx.cand, chinese=Decimal(101), total=Decimal(101),
                                    source=ctx.mark),
        "academic_result": BasicEduResult(candidate=ctx.cand, part="academic", item="01",
                                          grade="A", original="优秀", source=ctx.mark),
        "quality_result": BasicEduResult(candidate=ctx.cand, part="quality", item="01",
                                         grade="B", original="良好", source=ctx.mark),
    }
