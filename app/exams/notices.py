"""报考须知 and announcements (公告) of an exam, published by an administrator for the region of
its unit (the province for everyone, a city or county for the candidates below it): seed 004
§四.1, the candidate reads them before signing up and sees them on the self-service pages."""
import datetime as dt

from flask_appbuilder import Model
from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..jurisdiction import Node
from .models import Exam

#: the longest body a notice may have (characters).
BODY_MAX = 10_000


class Notice(Model):
    __tablename__ = "ks_notice"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("ks_exam.id"), nullable=False, index=True)
    node_id: Mapped[int] = mapped_column(ForeignKey("ks_node.id"), nullable=False, index=True)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    published: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    published_on: Mapped[dt.datetime | None] = mapped_column(DateTime)
    created_by: Mapped[str | None] = mapped_column(String(128))
    changed_on: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False,
                                                    default=dt.datetime.now,
                                                    onupdate=dt.datetime.now)
    exam: Mapped[Exam] = relationship(Exam)
    node: Mapped[Node] = relationship(Node)

    __audited__ = True

    def __repr__(self):
        return self.title
