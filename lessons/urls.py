from django.urls import path

from .views import core, tasks

urlpatterns = [
    path("", core.home, name="home"),
    path("healthz", core.healthz, name="healthz"),
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
]
