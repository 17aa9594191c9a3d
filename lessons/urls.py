from django.urls import path

from .views import accounts, answering, classes, core, lessons, tasks

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
    # Tasks, questions and the question bank.
    path("tasks/", tasks.task_list, name="task_list"),
    path("tasks/new/", tasks.task_create, name="task_create"),
    path("tasks/<int:pk>/", tasks.task_detail, name="task_detail"),
    path("tasks/<int:pk>/edit/", tasks.task_edit, name="task_edit"),
    path("tasks/<int:pk>/status/", tasks.task_set_status, name="task_set_status"),
    path("tasks/<int:pk>/copy/", tasks.task_copy, name="task_copy"),
    path("tasks/<int:pk>/delete/", tasks.task_delete, name="task_delete"),
    path("tasks/<int:pk>/print/", tasks.task_print, name="task_print"),
    path("tasks/<int:pk>/questions/new/", tasks.question_create, name="question_create"),
    path("questions/<int:pk>/", tasks.question_detail, name="question_detail"),
    path("questions/<int:pk>/edit/", tasks.question_edit, name="question_edit"),
    path("questions/<int:pk>/delete/", tasks.question_delete, name="question_delete"),
    path("questions/<int:pk>/move/", tasks.question_move, name="question_move"),
    path("bank/", tasks.question_bank, name="question_bank"),
    path("bank/<int:pk>/add/", tasks.question_add_from_bank, name="question_add_from_bank"),
    # A student's tasks: answering, autosave, submitting.
    path("my/tasks/<int:pk>/", answering.student_task, name="student_task"),
    path(
        "my/tasks/<int:pk>/questions/<int:question_pk>/answer/",
        answering.answer_save,
        name="answer_save",
    ),
    path("my/tasks/<int:pk>/save/", answering.task_save, name="task_save"),
    path("my/tasks/<int:pk>/submit/", answering.task_submit, name="task_submit"),
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
