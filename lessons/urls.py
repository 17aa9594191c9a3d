from django.urls import path

from .views import core, lessons

urlpatterns = [
    path("", core.home, name="home"),
    path("healthz", core.healthz, name="healthz"),
    # Lessons, passages and their notes.
    path("lessons/", lessons.lesson_list, name="lesson_list"),
    path("lessons/new/", lessons.lesson_import, name="lesson_import"),
    path("lessons/<int:pk>/", lessons.lesson_detail, name="lesson_detail"),
    path("lessons/<int:pk>/edit/", lessons.lesson_edit, name="lesson_edit"),
    path("lessons/<int:pk>/copy/", lessons.lesson_copy, name="lesson_copy"),
    path("lessons/<int:pk>/delete/", lessons.lesson_delete, name="lesson_delete"),
    path("lessons/<int:pk>/glossary/", lessons.lesson_glossary, name="lesson_glossary"),
    path("glossary/", lessons.glossary_view, name="glossary"),
    path("passages/<int:pk>/edit/", lessons.passage_edit, name="passage_edit"),
    path(
        "passages/<int:pk>/annotations/new/",
        lessons.annotation_create,
        name="annotation_create",
    ),
    path("annotations/<int:pk>/", lessons.annotation_detail, name="annotation_detail"),
    path("annotations/<int:pk>/edit/", lessons.annotation_edit, name="annotation_edit"),
    path("annotations/<int:pk>/delete/", lessons.annotation_delete, name="annotation_delete"),
    path(
        "annotations/<int:pk>/reattach/",
        lessons.annotation_reattach,
        name="annotation_reattach",
    ),
]
