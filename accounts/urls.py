from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from accounts import signin, sso, views, views_access
from accounts.throttle import ThrottledPasswordResetView

app_name = "accounts"

urlpatterns = [
    path("login/", signin.SignInView.as_view(), name="login"),
    path("login/code/", signin.login_two_factor, name="login_two_factor"),
    path("sso/", signin.sso_lookup, name="sso_lookup"),
    path("sso/<slug:slug>/start/", sso.SsoStartView.as_view(), name="sso_start"),
    path("sso/<slug:slug>/callback/", sso.SsoCallbackView.as_view(), name="sso_callback"),
    path("single-sign-on/", views_access.sso_settings, name="sso_settings"),
    path("two-factor/", views_access.two_factor_settings, name="two_factor"),
    path("two-factor/off/", views_access.two_factor_disable, name="two_factor_disable"),
    path("two-factor/recovery-codes/", views_access.two_factor_recovery_codes, name="two_factor_recovery_codes"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password-reset/",
        ThrottledPasswordResetView.as_view(
            template_name="accounts/password_reset.html",
            email_template_name="accounts/password_reset_email.txt",
            subject_template_name="accounts/password_reset_subject.txt",
            success_url=reverse_lazy("accounts:password_reset_done"),
        ),
        name="password_reset",
    ),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="accounts/password_reset_done.html"),
        name="password_reset_done",
    ),
    path(
        "reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="accounts/password_reset_confirm.html",
            success_url=reverse_lazy("accounts:password_reset_complete"),
        ),
        name="password_reset_confirm",
    ),
    path(
        "reset/done/",
        auth_views.PasswordResetCompleteView.as_view(template_name="accounts/password_reset_complete.html"),
        name="password_reset_complete",
    ),
    path("profile/", views.profile, name="profile"),
    path("language/", views.set_language, name="set_language"),
    path("no-organization/", views.no_organization, name="no_organization"),
    path("switch/", views.switch_organization, name="switch_organization"),
    path("organizations/new/", views.organization_create, name="organization_create"),
    path("organization/", views.organization_settings, name="organization_settings"),
    path("measure-options/", views.measure_options, name="measure_options"),
    path("members/", views.member_list, name="member_list"),
    path("members/<int:pk>/", views.member_edit, name="member_edit"),
    path("members/<int:pk>/remove/", views.member_remove, name="member_remove"),
    path("members/<int:pk>/two-factor-reset/", views_access.member_two_factor_reset, name="member_two_factor_reset"),
    path("teams/", views.team_list, name="team_list"),
    path("teams/new/", views.team_edit, name="team_create"),
    path("teams/<int:pk>/", views.team_edit, name="team_edit"),
    path("api-keys/", views.api_key_list, name="api_key_list"),
    path("api-keys/<int:pk>/revoke/", views.api_key_revoke, name="api_key_revoke"),
]
