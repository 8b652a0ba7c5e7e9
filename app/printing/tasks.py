"""Batch printing (批量打印): one merged PDF of many candidates' forms, as background jobs.

``run_batch(batch_id)`` resolves the selection *inside the requesting user's subtree* (again,
whatever the request said), then splits it into parts of ``PART_SIZE`` forms, each its own
job (``run_batch_part``), so several rq workers render one batch together. Each part stores
its PDF in the file store's ``prints/`` (app/filestore.py) and records itself in ``ks_print_batch_part`` (unique
per batch and part: a retried part counts once); the part that completes the set claims the
merge with a conditional UPDATE, so exactly one job merges. Without Redis the parts run
in-process one after the other.
"""
import datetime as dt
import os

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from .. import filestore
from ..audit import log_event
from ..candidates.models import Candidate
from ..extensions import db
from ..job_records import RUNNING
from ..jobs import enqueue, report_progress
from ..jurisdiction import Node, scoped
from ..refusals import Refused
from ..security import KsUser
from . import hooks
from .models import PrintBatch, PrintBatchPart
from .pdf import PdfConcatenation, UnprintableText, merge_pdfs
from .render import PRINTING_USER, render_form_with_code

PART_SIZE = 25
PART_TIMEOUT = 1800
PROGRESS_EVERY = 5


#: the file-store folder of the batch PDFs
PRINTS = "prints"


def _node_of(batch):
    return db.session.execute(select(Node).where(Node.path == batch.node_path)).scalar_one()


def resolve_candidates(batch, node):
    """Ids of the candidates to print, in print order, restricted to ``node``'s subtree."""
    selection = batch.selection or {}
    stmt = select(Candidate.id)
    if batch.exam_id:
        stmt = stmt.where(Candidate.exam_id == batch.exam_id)
    if selection.get("ids") is not None:
        wanted = [int(i) for i in selection["ids"]]
        found = set(db.session.execute(scoped(stmt.where(Candidate.id.in_(wanted)), Candidate,
                                              node)).scalars())
        seen, ordered = set(), []
        for i in wanted:  # keep the order the user gave, once each
            if i in found and i not in seen:
                seen.add(i)
                ordered.append(i)
        return ordered
    unit = db.session.get(Node, int(selection.get("node_id") or 0))
    if unit is None or not node.contains(unit):
        return []
    stmt = stmt.join(Node, Candidate.node_id == Node.id).where(
        Node.path >= unit.path, Node.path < unit.path + "~")
    if selection.get("class_name"):
        stmt = stmt.where(Candidate.class_name == selection["class_name"])
    stmt = stmt.order_by(Node.path, Candidate.student_number, Candidate.id)
    return list(db.session.execute(scoped(stmt, Candidate, node)).scalars())


def unit_classes(unit, exam_id):
    """The classes (班级) of a unit's candidates in one exam, inside the current user's scope."""
    stmt = (select(Candidate.class_name).distinct()
            .where(Candidate.node_id == unit.id, Candidate.exam_id == exam_id,
                   Candidate.class_name.is_not(None), Candidate.class_name != "")
            .order_by(Candidate.class_name))
    return list(db.session.execute(scoped(stmt, Candidate)).scalars())


def run_batch(batch_id):
    """Plan a batch and enqueue its parts. Safe to run twice (a rerun starts over)."""
    batch = db.session.get(PrintBatch, batch_id)
    if batch is None:
        return {"batch_id": batch_id, "status": "missing"}
    node = _node_of(batch)
    ids = resolve_candidates(batch, node)
    for part in db.session.execute(select(PrintBatchPart).where(
            PrintBatchPart.batch_id == batch.id)).scalars():
        db.session.delete(part)
    parts = [ids[i:i + PART_SIZE] for i in range(0, len(ids), PART_SIZE)]
    batch.candidate_ids, batch.parts = ids, len(parts)
    batch.skipped = batch.pages = 0
    batch.start()
    batch.result_path = None
    batch.advance(0, len(ids))
    db.session.commit()
    if not parts:
        batch.finish()
        db.session.commit()
        _log_done(batch)
        return batch.status_json()
    description = f"print batch {batch.id}"
    for index in range(len(parts)):
        enqueue(run_batch_part, batch.id, index, job_timeout=PART_TIMEOUT,
                description=f"{description} part {index + 1}/{len(parts)}",
                owner_id=batch.user_id)
    db.session.expire_all()
    return db.session.get(PrintBatch, batch_id).status_json()


def run_batch_part(batch_id, index):
    """Render one part; the job completing the set merges the whole batch."""
    batch = db.session.get(PrintBatch, batch_id)
    if batch is None or batch.status != RUNNING or batch.result_path is not None:
        return {"batch_id": batch_id, "part": index, "status": "skipped"}
    try:
        return _render_part(batch, index)
    except Exception as exc:
        db.session.rollback()
        db.session.get(PrintBatch, batch_id).fail(str(exc) or type(exc).__name__)
        db.session.commit()
        raise


def _render_part(batch, index):
    token = PRINTING_USER.set(db.session.get(KsUser, batch.user_id))
    try:
        return _render_part_as_user(batch, index)
    finally:
        PRINTING_USER.reset(token)


def _render_part_as_user(batch, index):
    node = _node_of(batch)
    ids = (batch.candidate_ids or [])[index * PART_SIZE:(index + 1) * PART_SIZE]
    # Re-scoped here too: a part only ever prints candidates of the requester's subtree.
    rows = db.session.execute(scoped(select(Candidate).where(Candidate.id.in_(ids)),
                                     Candidate, node)).scalars().all()
    by_id = {c.id: c for c in rows}
    kind, batch_id, total = batch.kind, batch.id, batch.total
    skipped, pending, codes = 0, 0, {}
    # Each form goes to the part's file as soon as it is rendered: one form in memory.
    with filestore.staged(f"{PRINTS}/batch-{batch_id}-part-{index:04d}.pdf") as stage:
        with open(stage.path, "wb") as out:
            merged = PdfConcatenation(out)
            for cid in ids:
                candidate = by_id.get(cid)
                if candidate is None:
                    skipped += 1
                    continue
                if kind == "registration":
                    # Before rendering, so the printed code matches the version after the hook.
                    hooks.registration_printed(candidate)
                    db.session.flush()
                try:
                    pdf, codes[str(cid)] = render_form_with_code(kind, candidate)
                # A form the candidate cannot have (no ticket, another exam kind, a 体检表 not
                # confirmed: any refusal) is skipped; never a form with a name mangled.
                except (Refused, UnprintableText):
                    skipped += 1
                    continue
                merged.append(pdf)
                pending += 1
                if pending >= PROGRESS_EVERY:
                    _advance(batch_id, pending, total)
                    pending = 0
            merged.close()
    # Stored with the part's row below (one commit on the database store).
    path, forms, pages = stage.ref, len(codes), merged.pages
    if codes:
        # The code printed on each form, so the verification screen can find a paper copy.
        _log(batch, {"kind": kind, "batch_id": batch_id, "part": index, "codes": codes})
    try:
        db.session.add(PrintBatchPart(batch_id=batch_id, part=index, path=path,
                                      forms=forms, pages=pages))
        db.session.commit()
        counted = True
    except IntegrityError:  # a retried part: already counted
        db.session.rollback()
        counted = False
    if counted:
        db.session.execute(update(PrintBatch).where(PrintBatch.id == batch_id).values(
            done=PrintBatch.done + pending, skipped=PrintBatch.skipped + skipped))
        db.session.commit()
    finished = db.session.execute(select(func.count()).select_from(PrintBatchPart).where(
        PrintBatchPart.batch_id == batch_id)).scalar()
    parts = db.session.execute(select(PrintBatch.parts).where(PrintBatch.id == batch_id)).scalar()
    merged_key = f"{PRINTS}/batch-{batch_id}.pdf"
    if finished >= parts and _claim_merge(batch_id, filestore.ref(merged_key)):
        return _merge(batch_id, merged_key)
    return {"batch_id": batch_id, "part": index, "forms": forms, "pages": pages}


def _advance(batch_id, n, total):
    db.session.execute(update(PrintBatch).where(PrintBatch.id == batch_id).values(
        done=PrintBatch.done + n))
    db.session.commit()
    done = db.session.execute(select(PrintBatch.done).where(PrintBatch.id == batch_id)).scalar()
    report_progress(min(done, total), total)


def _claim_merge(batch_id, path):
    """Whether this job merges: the first to name the merged file on the running batch."""
    result = db.session.execute(update(PrintBatch).where(
        PrintBatch.id == batch_id, PrintBatch.status == RUNNING,
        PrintBatch.result_path.is_(None)).values(result_path=path))
    db.session.commit()
    return result.rowcount == 1


def _merge(batch_id, key):
    """Merge the parts into the batch's PDF, written to a staged file then stored. One part
    is open and parsed at a time and written out before the next (pdf.PdfConcatenation), so
    the worker's memory does not grow with the batch."""
    batch = db.session.get(PrintBatch, batch_id)
    db.session.refresh(batch)
    parts = db.session.execute(select(PrintBatchPart).where(PrintBatchPart.batch_id == batch_id)
                               .order_by(PrintBatchPart.part)).scalars().all()
    with filestore.staged(key) as stage, open(stage.path, "wb") as out:
        merge_pdfs(_opened(p.path for p in parts if p.forms), out)
    batch.pages = sum(p.pages for p in parts)
    batch.skipped = batch.total - sum(p.forms for p in parts)
    batch.advance(batch.total - batch.skipped, batch.total)
    batch.finish()
    db.session.commit()
    for part in parts:
        filestore.delete(part.path)
    db.session.commit()
    _log_done(batch)
    return batch.status_json()


def _opened(references):
    """Each stored file open in turn, closed before the next is opened."""
    for reference in references:
        with filestore.open_file(reference) as fh:
            yield fh


def _log_done(batch):
    """The print itself, logged under the requesting user (jobs have no request to ask)."""
    _log(batch, {"kind": batch.kind, "batch_id": batch.id, "exam_id": batch.exam_id,
                 "candidates": list(batch.candidate_ids or []), "forms": batch.done,
                 "pages": batch.pages})


def _log(batch, details):
    log_event("print", "ks_candidate", details, actor=db.session.get(KsUser, batch.user_id))


def purge_prints(days, now=None):
    """Delete the merged PDFs of batches finished more than ``days`` days ago, and part or
    temporary files that old (left by failed batches). The batches stay listed, without a
    download. Returns ``(files deleted, bytes freed)``."""
    now = now or dt.datetime.now()
    cutoff = now - dt.timedelta(days=days)
    store = filestore.backend()
    files = freed = 0

    def remove(reference):
        nonlocal files, freed
        if not store.within(reference, PRINTS):
            return
        try:
            size = store.size(reference)
        except FileNotFoundError:
            return
        store.delete(reference)
        files, freed = files + 1, freed + size

    old = db.session.execute(select(PrintBatch).where(
        PrintBatch.result_path.is_not(None),
        func.coalesce(PrintBatch.finished_on, PrintBatch.created_on) < cutoff)).scalars().all()
    for batch in old:
        remove(batch.result_path)
        batch.result_path = None
    db.session.commit()
    for reference, _size, modified in store.entries(PRINTS):
        name = reference.replace(os.sep, "/").rpartition("/")[2]
        if ("-part-" in name or name.endswith(".tmp")) and modified < cutoff:
            remove(reference)
    db.session.commit()
    return files, freed
