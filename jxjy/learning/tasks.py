from celery import shared_task

from . import playstate


@shared_task
def flush_playback_state():
    """Write changed playback state to PostgreSQL (every 10 s from beat; a crash loses at most that)."""
    return playstate.flush()
