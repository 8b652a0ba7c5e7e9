"""Accepting a picture for a candidate: check, normalise when the file (not the scene) is the
problem, store, and make it the current photo or ID document. No request needed."""
from sqlalchemy import select

from ..candidates import policy
from ..extensions import db
from . import storage
from .checks import CANDIDATE_PHOTO, ID_DOCUMENT, Failure, check_photo
from .models import ID_DOCUMENT as ID_KIND
from .models import KINDS, PHOTO, CandidatePhoto, StoredFile
from .normalise import NormaliseError, normalise

SPECS = {PHOTO: CANDIDATE_PHOTO, ID_KIND: ID_DOCUMENT}
#: The phase activity of every picture taken or uploaded (``policy.refusal(candidate, actor,
#: PHOTO_CAPTURE, policy.PHOTO)`` says whether one may be now).
PHOTO_CAPTURE = "photo_capture"
_CONTENT_TYPES = ((b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG\r\n\x1a\n", "image/png"),
                  (b"RIFF", "image/webp"))


def content_type(data):
    return next((t for magic, t in _CONTENT_TYPES if data.startswith(magic)),
                "application/octet-stream")


def _keep(data):
    sha = storage.store(data)
    if db.session.get(StoredFile, sha) is None:
        db.session.add(StoredFile(sha256=sha, size=len(data), content_type=content_type(data)))
    return sha


def compliant_bytes(data, kind):
    """``(bytes, [])`` for a file meeting the spec of ``kind``, else ``(None, failures)``."""
    spec = SPECS[kind]
    if not check_photo(data, spec):
        return data, []
    try:
        fixed = normalise(data, spec)
    except NormaliseError as exc:
        return None, exc.failures  # every reason, each with its value and range
    failures = check_photo(fixed, spec)
    return (None, failures) if failures else (fixed, [])


def current_photo(candidate_id, kind):
    return db.session.execute(
        select(CandidatePhoto).where(CandidatePhoto.candidate_id == candidate_id,
                                        CandidatePhoto.kind == kind,
                                        CandidatePhoto.current.is_(True))
        .order_by(CandidatePhoto.id.desc())).scalars().first()


def accept_photo(candidate, data, kind, user, actor=policy.STAFF):
    """Return ``(CandidatePhoto, [])`` once stored (not committed), or ``(None, failures)``.

    ``actor``: who is writing, for the policy (the candidate's own upload on the self-service
    page has stricter rules; ``user`` is then None). A refusal is a ``locked`` failure beside
    the others, so imports report it per file. Only accepted uploads are written to disk: a
    rejected file is no part of the record.
    """
    if kind not in KINDS:
        raise ValueError(kind)
    refusal = policy.refusal(candidate, actor, PHOTO_CAPTURE, policy.PHOTO)
    if refusal is not None:
        return None, [Failure("locked", refusal.message)]
    final, failures = compliant_bytes(data, kind)
    if failures:
        return None, failures
    original_sha, file_sha = _keep(data), _keep(final)
    # Through the ORM, not a bulk UPDATE: the audit listener records each retired picture.
    previous = db.session.execute(
        select(CandidatePhoto).where(CandidatePhoto.candidate_id == candidate.id,
                                     CandidatePhoto.kind == kind,
                                     CandidatePhoto.current.is_(True))).scalars()
    for old in previous:
        old.current = False
    photo = CandidatePhoto(candidate=candidate, kind=kind, file_sha256=file_sha,
                           original_sha256=original_sha,
                           uploaded_by=getattr(user, "id", None), current=True)
    db.session.add(photo)
    db.session.flush()
    return photo, []
