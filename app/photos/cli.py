"""``flask kaosheng photo-recheck``: keep the check results of pictures stored before they were
kept (the review list's photo filter reads only kept results)."""
import click

from ..extensions import db
from .service import recheck, unchecked_photos

BATCH = 200


def add_commands(group):
    @group.command("photo-recheck")
    @click.option("--limit", type=click.IntRange(min=1), default=None,
                  help="check at most this many pictures")
    def photo_recheck_command(limit):
        """Check every current picture without kept results and keep them (committed in
        batches of 200; rerun to go on after an interruption)."""
        done = missing = last = 0
        while limit is None or done + missing < limit:
            size = BATCH if limit is None else min(BATCH, limit - done - missing)
            batch = unchecked_photos(size, after=last)
            if not batch:
                break
            for photo in batch:
                if recheck(photo) is None:
                    missing += 1  # its file is gone: it stays unchecked
                else:
                    done += 1
                last = photo.id
            db.session.commit()
        click.echo(f"checked {done} picture(s); {missing} without their file")
