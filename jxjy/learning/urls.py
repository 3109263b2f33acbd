from django.urls import path

from . import views, views_captions, views_records

app_name = "learning"

urlpatterns = [
    path("center/", views.center, name="center"),
    path("records/", views_records.study_records, name="records"),
    path("records/courseware/<int:progress_id>/", views_records.study_detail, name="study_detail"),
    path("study/<int:enrollment_id>/", views.class_home, name="class_home"),
    path("study/<int:enrollment_id>/select/", views.class_select, name="select"),
    path("study/<int:enrollment_id>/courses/", views.class_courses, name="courses"),
    path("study/<int:enrollment_id>/play/<int:courseware_id>/", views.player, name="player"),
    path("learning/<int:enrollment_id>/play/<int:courseware_id>/", views.playback_start, name="playback_start"),
    path("learning/heartbeat/", views.playback_beat, name="heartbeat"),
    path("learning/checkpoints/<int:checkpoint_id>/answer/", views.checkpoint_answer, name="checkpoint_answer"),
    path("learning/<int:enrollment_id>/video/<int:courseware_id>.mp4", views.courseware_video, name="video"),
    path("learning/<int:enrollment_id>/captions/<int:courseware_id>.vtt", views_captions.captions, name="captions"),
]
