from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path

from accounts.urls import team_urlpatterns
from dashboard import views

# The admin's login goes through allauth, so its rate limits protect it too.
admin.site.login = secure_admin_login(admin.site.login)
admin.site.site_header = "Quartile administration"

team_patterns = [
    path("", views.team_home, name="team_home"),
    path("accounts/", views.x_accounts, name="team_x_accounts"),
    path("accounts/<int:pk>/refresh/", views.x_account_refresh, name="team_x_account_refresh"),
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
