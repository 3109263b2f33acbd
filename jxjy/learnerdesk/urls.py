from django.urls import path

from . import privacy, views

app_name = "learnerdesk"

urlpatterns = [
    path("", views.search, name="search"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/reset-password/", views.reset_password, name="reset_password"),
    path("<int:pk>/unlock/", views.unlock, name="unlock"),
    path("<int:pk>/end-sessions/", views.end_sessions, name="end_sessions"),
    path("<int:pk>/mobile/", views.change_mobile, name="change_mobile"),
    path("<int:pk>/city-grade/", views.city_grade, name="city_grade"),
    path("import/", views.roster_import, name="import"),
    path("import/template.xlsx", views.roster_template, name="import_template"),
    # 注销申请 and 查看完整号码 (privacy.py)
    path("closures/", privacy.closure_list, name="closures"),
    path("closures/<int:pk>/", privacy.closure_detail, name="closure"),
    path("<int:pk>/reveal/", privacy.reveal, name="reveal"),
]
