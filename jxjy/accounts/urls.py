from django.urls import path

from . import views, views_messages, views_privacy

app_name = "accounts"

urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("register/", views.register, name="register"),
    path("password/reset/", views.password_reset, name="password_reset"),
    path("password/reset/verify/", views.password_reset_verify, name="password_reset_verify"),
    path("password/reset/code/", views.password_reset_code, name="password_reset_code"),
    path("account/send-code/", views.send_code, name="send_code"),
    path("account/mobile/", views.complete_mobile, name="complete_mobile"),
    path("account/settings/", views.settings_profile, name="settings_profile"),
    path("account/settings/avatar/", views.settings_avatar, name="settings_avatar"),
    path("account/avatar.jpg", views.avatar_image, name="avatar_image"),
    path("account/settings/password/", views.settings_password, name="settings_password"),
    path("account/settings/addresses/", views.settings_addresses, name="settings_addresses"),
    path("account/settings/addresses/new/", views.address_edit, name="address_new"),
    path("account/settings/addresses/<int:pk>/", views.address_edit, name="address_edit"),
    path("account/settings/addresses/<int:pk>/delete/", views.address_delete, name="address_delete"),
    path("account/settings/addresses/<int:pk>/default/", views.address_default, name="address_default"),
    # 站内消息 (views_messages)
    path("account/messages/", views_messages.message_list, name="messages"),
    path("account/messages/<int:pk>/", views_messages.message_detail, name="message_detail"),
    # 个人信息: 查看完整号码, 下载我的个人信息, 撤回同意, 申请注销账号 (views_privacy)
    path("account/settings/privacy/", views_privacy.privacy, name="settings_privacy"),
    path("account/settings/closure/", views_privacy.closure_request, name="closure_request"),
    path("account/settings/closure/withdraw/", views_privacy.closure_withdraw, name="closure_withdraw"),
    path("account/settings/consent/withdraw/", views_privacy.consent_withdraw, name="consent_withdraw"),
]
