from django.urls import path

from accounts import views

team_urlpatterns = [
    path("members/", views.members, name="team_members"),
    path("members/<int:pk>/role/", views.member_change_role, name="team_member_role"),
    path("members/<int:pk>/remove/", views.member_remove, name="team_member_remove"),
    path("invitations/", views.invitation_create, name="team_invitation_create"),
    path("invitations/<int:pk>/revoke/", views.invitation_revoke, name="team_invitation_revoke"),
    path("settings/", views.team_settings, name="team_settings"),
    path("audit/", views.audit_log, name="team_audit_log"),
    path("leave/", views.team_leave, name="team_leave"),
    path("accounts/connect/", views.x_connect, name="team_x_connect"),
    path("accounts/<int:pk>/disconnect/", views.x_disconnect, name="team_x_disconnect"),
]

urlpatterns = [
    path("teams/new/", views.team_create, name="team_create"),
    path("invitations/<str:token>/", views.invitation_accept, name="invitation_accept"),
    # The exact callback URLs registered with X (X_CALLBACK_BASE_URL + these paths).
    path(
        "connect/x/oauth2/callback/",
        views.x_callback,
        {"method": "oauth2"},
        name="x_callback_oauth2",
    ),
    path(
        "connect/x/oauth1/callback/",
        views.x_callback,
        {"method": "oauth1"},
        name="x_callback_oauth1",
    ),
]
