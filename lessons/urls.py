from django.urls import path

from .views import accounts, classes, core

urlpatterns = [
    path("", core.home, name="home"),
    path("healthz", core.healthz, name="healthz"),
    path("join/", accounts.join, name="join"),
    path("classes/", classes.class_list, name="class_list"),
    path("classes/new/", classes.class_create, name="class_create"),
    path("classes/<int:pk>/", classes.class_detail, name="class_detail"),
    path("classes/<int:pk>/edit/", classes.class_edit, name="class_edit"),
    path("classes/<int:pk>/archive/", classes.class_archive, name="class_archive"),
    path(
        "classes/<int:pk>/join-code/",
        classes.class_regenerate_code,
        name="class_regenerate_code",
    ),
    path(
        "classes/<int:pk>/students/add/",
        classes.class_add_students,
        name="class_add_students",
    ),
    path("classes/<int:pk>/login-cards/", classes.class_login_cards, name="class_login_cards"),
    path(
        "classes/<int:pk>/students/<int:student_pk>/remove/",
        classes.class_remove_student,
        name="class_remove_student",
    ),
    path(
        "classes/<int:pk>/students/<int:student_pk>/reset-password/",
        classes.class_reset_password,
        name="class_reset_password",
    ),
]
