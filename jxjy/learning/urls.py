from django.urls import path

from . import views

app_name = "learning"

urlpatterns = [
    path("center/", views.center, name="center"),
    path("learning/<int:enrollment_id>/play/<int:courseware_id>/", views.playback_start, name="playback_start"),
    path("learning/heartbeat/", views.playback_beat, name="heartbeat"),
    path("learning/checkpoints/<int:checkpoint_id>/answer/", views.checkpoint_answer, name="checkpoint_answer"),
    path("learning/<int:enrollment_id>/video/<int:courseware_id>.mp4", views.courseware_video, name="video"),
]
