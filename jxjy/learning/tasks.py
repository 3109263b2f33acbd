from celery import shared_task

from . import playstate


@shared_task
def flush_playback_state():
    """Write changed playback state to PostgreSQL (every 10 s from beat; a crash loses at most that). Safe to die
    at any point and to run twice: a learner leaves the pending set only after their state is committed, and the
    rows only move forward (by version and seq), so the next run writes whatever this one did not."""
    return playstate.flush()
