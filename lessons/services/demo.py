"""Demo data beyond logins: students who have already answered, so the demo teacher has work
to mark. Called by `manage.py setup_demo` (the lead wires it in) and by tests."""

from collections.abc import Sequence

from ..models import Submission, Task, User

# Two students' answers, in question order: a stronger and a weaker script, so that marking
# them shows the scheme at work. Extra questions get the last text; fewer use the first ones.
DEMO_ANSWER_SETS = [
    [
        "One aim was to industrialise China very quickly, for example by producing more steel "
        "than Britain within fifteen years. Another aim was to raise farm output by putting "
        "peasants into large People's Communes.",
        "First, the Great Leap caused a terrible famine. Grain was taken from the countryside "
        "for the cities and for export even as harvests failed, so millions died between 1959 "
        "and 1961.\n\nSecond, the backyard furnaces wasted labour and resources: peasants melted "
        "down tools to meet steel targets, so the steel was useless and the crops were left in "
        "the fields.",
    ],
    [
        "Mao wanted China to be strong and to make more steel.",
        "There was a famine and lots of people died. Also the steel was bad.",
    ],
]


def submit_demo_answers(*, task: Task, students: Sequence[User]) -> int:
    """The students answer every question of the task and submit, through the answering
    services as a student's browser would. Students who have started already are left as
    they are, so running it again changes nothing. Returns how many submitted now."""
    # Owned by the answering area (lessons/services/answering.py).
    from .answering import get_or_start_submission, save_answer, submit

    questions = list(task.questions.order_by("order", "id"))
    submitted = 0
    for index, student in enumerate(students):
        if Submission.objects.filter(task=task, student=student).exists():
            continue
        texts = DEMO_ANSWER_SETS[index % len(DEMO_ANSWER_SETS)]
        submission = get_or_start_submission(task=task, student=student)
        for position, question in enumerate(questions):
            text = texts[min(position, len(texts) - 1)]
            save_answer(submission=submission, question=question, text=text, base_version=0)
        submit(submission=submission)
        submitted += 1
    return submitted
