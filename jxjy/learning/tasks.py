from celery import shared_task

from . import evidence, playstate


@shared_task
def flush_playback_state():
    """Write changed playback state to PostgreSQL (every 10 s from beat; a crash loses at most that). Safe to die
    at any point and to run twice: a learner leaves the pending set only after their state is committed, and the
    rows only move forward (by version and seq), so the next run writes whatever this one did not."""
    return playstate.flush()


@shared_task
def prune_playback_evidence():
    """Playback sessions older than PLAYBACK_EVIDENCE_DAYS go (学时明细's evidence is kept two years; the hours
    themselves are in the ledger and the watched intervals in the progress rows, which stay)."""
    return evidence.prune()
