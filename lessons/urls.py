from django.urls import path

from .views import core, staff

urlpatterns = [
    path("", core.home, name="home"),
    path("healthz", core.healthz, name="healthz"),
    path("staff/", staff.staff_home, name="staff_home"),
    path("staff/teachers/", staff.staff_teacher_create, name="staff_teacher_create"),
    path(
        "staff/teachers/<int:pk>/password/",
        staff.staff_teacher_password,
        name="staff_teacher_password",
    ),
    path(
        "staff/teachers/<int:pk>/active/", staff.staff_teacher_active, name="staff_teacher_active"
    ),
    path("staff/settings/", staff.staff_settings, name="staff_settings"),
    path("staff/students/", staff.staff_students, name="staff_students"),
    path(
        "staff/students/<int:pk>/export/",
        staff.staff_student_export,
        name="staff_student_export",
    ),
    path("staff/students/<int:pk>/erase/", staff.staff_student_erase, name="staff_student_erase"),
]
