from django.urls import path

from . import views

app_name = "declarations"

urlpatterns = [
    path("declarations/", views.learner_list, name="list"),
    path("declarations/new/", views.learner_new, name="new"),
    path("declarations/<int:pk>/", views.learner_detail, name="detail"),
    path("declarations/<int:pk>/edit/", views.learner_edit, name="edit"),
    path("declarations/<int:pk>/withdraw/", views.learner_withdraw, name="withdraw"),
    path("declarations/attachments/<int:pk>/", views.attachment, name="attachment"),
]
