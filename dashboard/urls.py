from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path

from accounts.urls import team_urlpatterns
from dashboard import downloads, pages, views

# The admin's login goes through allauth, so its rate limits protect it too.
admin.site.login = secure_admin_login(admin.site.login)
admin.site.site_header = "Quartile administration"

team_patterns = [
    path("", pages.overview, name="team_home"),
    path("posts/<int:post_id>/", pages.post_detail, name="team_post_detail"),
    path("videos/", pages.videos, name="team_videos"),
    path("export/posts.csv", downloads.export_posts, name="team_export_posts"),
    path("export/daily.csv", downloads.export_daily, name="team_export_daily"),
    path("export/videos.csv", downloads.export_videos, name="team_export_videos"),
    path("export/snapshots.csv", downloads.export_snapshots, name="team_export_snapshots"),
    path("accounts/", views.x_accounts, name="team_x_accounts"),
    path("accounts/<int:pk>/refresh/", views.x_account_refresh, name="team_x_account_refresh"),
    path("accounts/track/", views.x_account_track_post, name="team_x_account_track_post"),
    path(
        "accounts/<int:pk>/progress.json", views.x_account_progress, name="team_x_account_progress"
    ),
    *team_urlpatterns,
]

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("auth/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path("", include("accounts.urls")),
    path("t/<slug:team_slug>/", include(team_patterns)),
]
