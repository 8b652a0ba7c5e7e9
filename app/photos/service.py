"""Accepting a picture for a candidate: check, normalise when the file (not the scene) is the
problem, store, and make it the current photo or ID document, keeping what the checks measured
(``CandidatePhoto.checks`` and one ``PhotoProblem`` row per failed or warned rule). The same
verdict answers a check-only request (a camera snapshot before it is saved). No request
needed."""
from sqlalchemy import delete, exists, select, update

from ..candidates import policy, versioning
from ..candidates.models import Candidate
from ..extensions import db
from . import storage
from .checks import CANDIDATE_PHOTO, ID_DOCUMENT, Failure, check_photo
from .models import ID_DOCUMENT as ID_KIND
from .models import KINDS, PHOTO, CandidatePhoto, PhotoProblem, StoredFile
from .normalise import NormaliseError, normalise
from .results import NO_PHOTO, UNCHECKED, problems, rows, stored

SPECS = {PHOTO: CANDIDATE_PHOTO, ID_KIND: ID_DOCUMENT}
#: The phase activity of every picture taken or uploaded (``policy.refusal(candidate, actor,
#: PHOTO_CAPTURE, policy.PHOTO)`` says whether one may be now).
PHOTO_CAPTURE = "photo_capture"
_CONTENT_TYPES = ((b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG\r\n\x1a\n", "image/png"),
                  (b"RIFF", "image/webp"))


def content_type(data):
    return next((t for magic, t in _CONTENT_TYPES if data.startswith(magic)),
                "application/octet-stream")


def _keep(data, batch=None):
    """Store ``data`` under its hash and make sure it has its ``StoredFile`` row (in a
    batch: once, for all its pictures, by :meth:`PhotoBatch.write`)."""
    sha = storage.store(data)
    if batch is not None:
        batch.files.setdefault(sha, StoredFile(sha256=sha, size=len(data),
                                               content_type=content_type(data)))
    elif db.session.get(StoredFile, sha) is None:
        db.session.add(StoredFile(sha256=sha, size=len(data), content_type=content_type(data)))
    return sha


class PhotoBatch:
    """Pictures accepted for many candidates at once (a chunk of the ZIP import): what
    :func:`accept_photo` reads per picture is read once for the chunk, and the writes go out
    in :meth:`write`, so the statements do not grow with the pictures. The rules are
    accept_photo's own: the policy's refusal per candidate (its phase window asked once per
    exam, category and unit), retired pictures changed through the ORM, and one audit row
    per picture (the audit listener writes a flush's rows in one INSERT)."""

    def __init__(self, candidates, kind):
        self.files, self.photos, self._windows = {}, [], {}
        self._current = {}
        ids = [c.id for c in candidates]
        if ids:
            for photo in db.session.execute(select(CandidatePhoto).where(
                    CandidatePhoto.candidate_id.in_(ids), CandidatePhoto.kind == kind,
                    CandidatePhoto.current.is_(True))).scalars():
                self._current.setdefault(photo.candidate_id, []).append(photo)

    def refusal(self, candidate, actor):
        """``policy.refusal`` for the picture: the record's own state first, then the window
        (the same for every candidate of one exam, category and unit)."""
        found = policy.refusal(candidate, actor, None, policy.PHOTO)
        if found is not None:
            return found
        key = (candidate.exam_id, candidate.category, candidate.node_id, actor)
        if key not in self._windows:
            self._windows[key] = policy.refusal(candidate, actor, PHOTO_CAPTURE, policy.PHOTO)
        return self._windows[key]

    def current(self, candidate_id):
        """The candidate's current pictures of the kind, now retired from the batch's view."""
        return self._current.pop(candidate_id, [])

    def write(self):
        """The stored-file rows not yet in the database, the pictures with their audit rows,
        then the pictures' problems: a few statements, whatever the number of pictures."""
        if self.files:
            known = set(db.session.execute(select(StoredFile.sha256).where(
                StoredFile.sha256.in_(list(self.files)))).scalars())
            db.session.add_all(f for sha, f in self.files.items() if sha not in known)
        with versioning.versions_in_bulk(db.session):
            db.session.flush()
            for photo in self.photos:
                _add_problems(photo.id, photo.checks)


#: File rules that saving fixes (the normaliser crops, scales and re-encodes): a refused
#: picture's table does not list them as passed or failed, only the reasons it was refused.
_FIXED_BY_SAVING = frozenset({"wrong_size", "dpi_low", "dpi_missing", "file_too_large",
                              "exif_rotated"})


class Outcome(list):
    """The failures (a list, so callers test and iterate it as before) with the result
    ``rows`` (results.rows) and what the normaliser did (``steps``)."""

    def __init__(self, failures=(), result_rows=(), steps=()):
        super().__init__(failures)
        self.rows, self.steps = list(result_rows), list(steps)


def compliant_bytes(data, kind):
    """``(bytes, Outcome([]))`` for a file meeting the spec of ``kind`` as it is or once
    normalised, else ``(None, Outcome(failures))``. The rows are the stored file's
    measurements, or for a refusal every reason with the measurements that passed."""
    spec = SPECS[kind]
    report = check_photo(data, spec)
    if not report:
        return data, Outcome((), rows(report.measurements, (), report.warnings))
    try:
        fixed = normalise(data, spec)
    except NormaliseError as exc:
        passed = {code: m for code, m in report.measurements.items()
                  if m[2] and code not in _FIXED_BY_SAVING}
        return None, Outcome(exc.failures, rows(passed, exc.failures, report.warnings))
    final = check_photo(fixed, spec)
    return (None if final else fixed), Outcome(
        final, rows(final.measurements, final, final.warnings), fixed.steps)


def _refused(candidate, actor, batch=None):
    """The policy's refusal as an Outcome (a ``locked`` failure), or None."""
    refusal = (policy.refusal(candidate, actor, PHOTO_CAPTURE, policy.PHOTO) if batch is None
               else batch.refusal(candidate, actor))
    if refusal is None:
        return None
    locked = Failure("locked", refusal.message)
    return Outcome([locked], rows({}, [locked]))


def check_upload(candidate, data, kind, actor=policy.STAFF):
    """The Outcome an upload would get, with nothing stored: a check-only request (a camera
    snapshot) is refused for the same reasons as the upload itself."""
    if kind not in KINDS:
        raise ValueError(kind)
    refused = _refused(candidate, actor)
    return refused if refused is not None else compliant_bytes(data, kind)[1]


def current_photo(candidate_id, kind):
    return db.session.execute(
        select(CandidatePhoto).where(CandidatePhoto.candidate_id == candidate_id,
                                        CandidatePhoto.kind == kind,
                                        CandidatePhoto.current.is_(True))
        .order_by(CandidatePhoto.id.desc())).scalars().first()


def accept_photo(candidate, data, kind, user, actor=policy.STAFF, batch=None):
    """Return ``(CandidatePhoto, [])`` once stored (not committed), or ``(None, failures)``;
    the list is an Outcome (its ``rows``: what the checks measured).

    ``actor``: who is writing, for the policy (the candidate's own upload on the self-service
    page has stricter rules; ``user`` is then None). A refusal is a ``locked`` failure beside
    the others, so imports report it per file. Only accepted uploads are written to disk: a
    rejected file is no part of the record. ``batch`` (a :class:`PhotoBatch` of this
    ``kind``): the reads come from it and nothing is flushed until ``batch.write()``.
    """
    if kind not in KINDS:
        raise ValueError(kind)
    refused = _refused(candidate, actor, batch)
    if refused is not None:
        return None, refused
    final, outcome = compliant_bytes(data, kind)
    if outcome:
        return None, outcome
    original_sha, file_sha = _keep(data, batch), _keep(final, batch)
    # Through the ORM, not a bulk UPDATE: the audit listener records each retired picture.
    previous = batch.current(candidate.id) if batch is not None else db.session.execute(
        select(CandidatePhoto).where(CandidatePhoto.candidate_id == candidate.id,
                                     CandidatePhoto.kind == kind,
                                     CandidatePhoto.current.is_(True))).scalars()
    for old in previous:
        old.current = False
    photo = CandidatePhoto(candidate=candidate, kind=kind, file_sha256=file_sha,
                           original_sha256=original_sha,
                           uploaded_by=getattr(user, "id", None), current=True,
                           checks=stored(outcome.rows))
    db.session.add(photo)
    if batch is not None:
        batch.photos.append(photo)
        return photo, outcome
    db.session.flush()
    _add_problems(photo.id, photo.checks)
    return photo, outcome


def _keep_problems(photo_id, checks):
    db.session.execute(delete(PhotoProblem).where(PhotoProblem.photo_id == photo_id))
    _add_problems(photo_id, checks)


def _add_problems(photo_id, checks):
    for code, warn in problems(checks).items():
        db.session.add(PhotoProblem(photo_id=photo_id, code=code, warn=warn))


def recheck(photo):
    """Check a stored picture again and keep the results (a picture stored before they were
    kept). A bulk UPDATE, not an ORM change: the results are no change to the candidate's
    record, so neither its version nor the audit trail moves. Returns the checks."""
    try:
        data = storage.open_bytes(photo.file_sha256)
    except FileNotFoundError:
        return None
    report = check_photo(data, SPECS[photo.kind])
    checks = stored(rows(report.measurements, report, report.warnings))
    db.session.execute(update(CandidatePhoto).where(CandidatePhoto.id == photo.id)
                       .values(checks=checks).execution_options(synchronize_session="fetch"))
    _keep_problems(photo.id, checks)
    return checks


def unchecked_photos(limit=None, after=0):
    """Current pictures without kept results, by id from ``after`` on."""
    stmt = (select(CandidatePhoto).where(CandidatePhoto.current.is_(True),
                                         CandidatePhoto.checks.is_(None),
                                         CandidatePhoto.id > after)
            .order_by(CandidatePhoto.id))
    return db.session.execute(stmt.limit(limit) if limit else stmt).scalars().all()


def photo_problem_condition(code):
    """A condition on ``Candidate`` for a list filter: the candidate has no current photo
    (``results.NO_PHOTO``), or its current photo's results are not kept yet
    (``results.UNCHECKED``), or they fail or warn on the rule ``code``. Read from the kept
    results through their indexes, never by checking pictures."""
    current = (CandidatePhoto.candidate_id == Candidate.id, CandidatePhoto.kind == PHOTO,
               CandidatePhoto.current.is_(True))
    if code == NO_PHOTO:
        return ~exists().where(*current)
    if code == UNCHECKED:
        return exists().where(*current, CandidatePhoto.checks.is_(None))
    codes = ("dpi_low", "dpi_missing") if code == "dpi_low" else (code,)
    return Candidate.id.in_(
        select(CandidatePhoto.candidate_id)
        .join(PhotoProblem, PhotoProblem.photo_id == CandidatePhoto.id)
        .where(PhotoProblem.code.in_(codes), CandidatePhoto.kind == PHOTO,
               CandidatePhoto.current.is_(True)))
