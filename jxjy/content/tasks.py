from celery import shared_task


@shared_task
def run_video_job(job_id):
    from .services import run_video_job as run

    run(job_id)
