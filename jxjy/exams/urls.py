from django.urls import path

from . import views

app_name = "exams"

urlpatterns = [
    path("study/<int:enrollment_id>/practice/", views.practice_home, name="practice"),
    path("study/<int:enrollment_id>/practice/<int:practice_id>/", views.practice_detail, name="practice_detail"),
    path(
        "study/<int:enrollment_id>/practice/<int:practice_id>/answer/<int:question_id>/",
        views.practice_reveal,
        name="practice_reveal",
    ),
    path("study/<int:enrollment_id>/practice/wrong/", views.wrong_book, name="wrong_book"),
    path("study/<int:enrollment_id>/exam/", views.exam_home, name="exam"),
    path("study/<int:enrollment_id>/exam/enter/", views.exam_enter, name="enter"),
    path("study/<int:enrollment_id>/exam/history/", views.exam_history, name="history"),
    path("study/<int:enrollment_id>/exam/<int:attempt_id>/", views.attempt_page, name="attempt"),
    path("study/<int:enrollment_id>/exam/<int:attempt_id>/answer/", views.attempt_answer, name="answer"),
    path("study/<int:enrollment_id>/exam/<int:attempt_id>/save/", views.attempt_save, name="save"),
    path("study/<int:enrollment_id>/exam/<int:attempt_id>/submit/", views.attempt_submit, name="submit"),
]
