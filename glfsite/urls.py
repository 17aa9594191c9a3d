from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from lessons.views import accounts

urlpatterns = [
    path("admin/", admin.site.urls),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/password_change/", accounts.password_change, name="password_change"),
    path("accounts/signup/", accounts.signup, name="signup"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include("lessons.urls")),
]

handler403 = "lessons.views.core.permission_denied"
handler404 = "lessons.views.core.page_not_found"
handler500 = "lessons.views.core.server_error"
