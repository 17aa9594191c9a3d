"""Every submitted work has an answer row for every question of its task.

Submitting makes one per question, and now so does adding a question to a task that has
submitted work. Before, the marking pages made the missing ones when opened (a GET that
wrote); this makes them for work submitted before that change.
"""

from django.db import migrations


def add_blank_answers(apps, schema_editor):
    Answer = apps.get_model("lessons", "Answer")
    Question = apps.get_model("lessons", "Question")
    Submission = apps.get_model("lessons", "Submission")
    submitted = Submission.objects.filter(status="submitted").order_by()
    questions = Question.objects.filter(task_id__in=submitted.values("task_id")).order_by()
    existing = set(
        Answer.objects.filter(submission__status="submitted")
        .order_by()
        .values_list("submission_id", "question_id")
    )
    by_task = {}
    for question_id, task_id in questions.values_list("id", "task_id"):
        by_task.setdefault(task_id, []).append(question_id)
    missing = [
        Answer(submission_id=submission_id, question_id=question_id)
        for submission_id, task_id in submitted.values_list("id", "task_id").iterator()
        for question_id in by_task.get(task_id, [])
        if (submission_id, question_id) not in existing
    ]
    Answer.objects.bulk_create(missing, batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [
        ("lessons", "0003_school_settings"),
    ]

    operations = [
        migrations.RunPython(add_blank_answers, migrations.RunPython.noop),
    ]
