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
]

urlpatterns = [
    path("teams/new/", views.team_create, name="team_create"),
    path("invitations/<str:token>/", views.invitation_accept, name="invitation_accept"),
]
