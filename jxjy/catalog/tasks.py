"""Video jobs on the worker.

A transcoding run is acknowledged only when it has finished (`acks_late`) and handed back to the queue when its worker
process dies (`reject_on_worker_lost`); when the whole worker dies the broker delivers it again after its visibility
timeout (settings: longer than the longest transcode). A second run is safe (videojobs.run_video_job). The sweeper
ends jobs whose worker died and nobody re-ran."""

from celery import shared_task

from . import videojobs


@shared_task(acks_late=True, reject_on_worker_lost=True)
def run_video_job(job_id):
    videojobs.run_video_job(job_id)


@shared_task
def sweep_stalled_video_jobs():
    """Every minute from beat: 失败（处理中断） for jobs whose heartbeat stopped, and their files removed."""
    return videojobs.sweep_stalled_video_jobs()
