"""The lessons area: the library, new lessons from text or files, the reader with its
notes, passage editing (which re-anchors notes) and the glossaries."""

import io

from django.contrib import messages
from django.core.files.uploadedfile import InMemoryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.text import Truncator
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect, reswap, retarget

from ..access import (
    get_annotation_for_teacher,
    get_editable_annotation_for_teacher,
    get_lesson_for_teacher,
    get_own_lesson_for_teacher,
    get_own_passage_for_teacher,
    get_passage_for_teacher,
    teacher_required,
)
from ..forms.evidence import share_topic_choices
from ..forms.lessons import (
    AnnotationEditForm,
    AnnotationForm,
    ImportSourceForm,
    LessonDetailsForm,
    PassageAddForm,
    PassageEditForm,
    ReattachForm,
    ReviewPassageFormSet,
    ReviewSourceForm,
)
from ..models import Annotation, Lesson, Passage
from ..services.anchoring import spans_of
from ..services.importer import MAX_UPLOAD_BYTES, ProposedPassage, propose_lesson
from ..services.lessons import (
    PassageConflict,
    PassageInUse,
    add_annotation,
    add_passage,
    change_annotation,
    copy_lesson,
    create_lesson,
    delete_annotation,
    delete_lesson,
    delete_passage,
    glossary,
    glossary_annotations,
    move_passage,
    passage_in_use,
    reattach_annotation,
    update_lesson_details,
    update_passage,
)
from ..services.rendering import (
    NoteView,
    PassageView,
    legend_for,
    may_edit_annotation,
    passage_views,
    reading_passages,
)

LESSONS_PER_PAGE = 25


def _is_partial(request: HttpRequest) -> bool:
    """An htmx request for part of a page (a history restore wants the whole page)."""
    return bool(request.htmx) and not request.htmx.history_restore_request


def _render(
    request: HttpRequest, template: str, partial: str, context: dict, status: int = 200
) -> HttpResponse:
    """The full page, or for htmx the named partial of it: one URL and view for both."""
    name = f"{template}#{partial}" if _is_partial(request) else template
    response = render(request, name, context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _focus_first_error(form) -> None:
    """After a swap, htmx focuses the [autofocus] field: the first one with an error."""
    for name in form.errors:
        if name in form.fields:
            form.fields[name].widget.attrs["autofocus"] = True
            return


def _short(text: str) -> str:
    return Truncator(" ".join(text.split())).chars(40)


# The library ----------------------------------------------------------------------------


@teacher_required
@require_GET
def lesson_list(request: HttpRequest) -> HttpResponse:
    """The lesson library shared by all teachers, with search over titles and text."""
    q = request.GET.get("q", "").strip()[:200]
    lessons = (
        Lesson.objects.search(q)
        .select_related("owner")
        .annotate(passage_count=Count("passages"))
        .order_by("title", "id")
    )
    page = Paginator(lessons, LESSONS_PER_PAGE).get_page(request.GET.get("page"))
    return _render(request, "lessons/lesson_list.html", "results", {"page": page, "q": q})


# The reader -----------------------------------------------------------------------------


def _tools(
    views: list[PassageView],
    user,
    lesson: Lesson,
    *,
    bound=None,
    editing: Annotation | None = None,
    open_create: int | None = None,
    message: str = "",
    order_ids: list[int] | None = None,
) -> None:
    """The teacher's forms beside each passage; `bound` is a form being re-shown with its
    errors, `editing` a note being edited, `order_ids` the lesson's passages in order."""
    is_owner = lesson.owner_id == user.id
    if is_owner and order_ids is None:
        order_ids = list(lesson.passages.order_by("order", "id").values_list("pk", flat=True))
    for view in views:
        passage = view.passage
        view.extra["can_edit_passage"] = is_owner
        if is_owner:
            position = order_ids.index(passage.pk)
            view.extra["number"] = position + 1
            view.extra["is_first"] = position == 0
            view.extra["is_last"] = position == len(order_ids) - 1
        if isinstance(bound, AnnotationForm) and bound.passage.pk == passage.pk:
            view.extra["create_form"] = bound
            view.extra["create_open"] = True
        else:
            view.extra["create_form"] = AnnotationForm(passage=passage, prefix=f"new-{passage.pk}")
            view.extra["create_open"] = open_create == passage.pk
        if editing is not None and editing.passage_id == passage.pk:
            view.extra["editing_id"] = editing.pk
            if isinstance(bound, AnnotationEditForm):
                view.extra["edit_form"] = bound
            else:
                form = AnnotationEditForm(
                    initial={"kind": editing.kind, "note": editing.note, "topic": editing.topic_id},
                    prefix=f"edit-{editing.pk}",
                )
                form.fields["note"].widget.attrs["autofocus"] = True
                view.extra["edit_form"] = form
        for note in view.detached:
            if isinstance(bound, ReattachForm) and bound.annotation.pk == note.annotation.pk:
                note.extra["reattach_form"] = bound
            else:
                note.extra["reattach_form"] = ReattachForm(
                    passage=passage,
                    prefix=f"reattach-{note.annotation.pk}",
                    initial={"quote": note.annotation.quote},
                )
        if message:
            view.extra["message"] = message
    share_topic_choices(
        form
        for view in views
        for form in (view.extra.get("create_form"), view.extra.get("edit_form"))
    )


def _lesson_page(request: HttpRequest, lesson: Lesson, *, status: int = 200, **tools):
    views = passage_views(reading_passages(lesson.passages.all()), user=request.user)
    _tools(views, request.user, lesson, order_ids=[v.passage.pk for v in views], **tools)
    detached = [n for view in views for n in view.detached]
    context = {
        "lesson": lesson,
        "views": views,
        "is_owner": lesson.owner_id == request.user.id,
        "show_authors": True,
        "legend": legend_for(),
        "detached_count": len(detached),
        "first_detached_id": f"note-{detached[0].annotation.pk}" if detached else "",
    }
    response = render(request, "lessons/lesson_detail.html", context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _passage_block(request: HttpRequest, passage: Passage, *, status: int = 200, **tools):
    views = passage_views(
        reading_passages(Passage.objects.filter(pk=passage.pk)), user=request.user
    )
    _tools(views, request.user, views[0].passage.lesson, **tools)
    context = {"pv": views[0], "show_authors": True}
    response = render(request, "lessons/lesson_detail.html#passage_block", context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _passages_list(
    request: HttpRequest,
    lesson: Lesson,
    *,
    message: str = "",
    error: bool = False,
    focus: tuple[int, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    """The lesson's list of passages, for htmx after one was added, moved or deleted.

    `message` is announced above the list (or in the block of the passage `focus` names);
    focus is (passage id, "up", "down" or "message"): what gets the keyboard focus.
    """
    views = passage_views(reading_passages(lesson.passages.all()), user=request.user)
    _tools(views, request.user, lesson, order_ids=[v.passage.pk for v in views])
    list_message = message
    for view in views:
        if focus is not None and view.passage.pk == focus[0]:
            where = focus[1]
            # A button that is no longer there (top or bottom reached) cannot be focused.
            if where == "up" and view.extra["is_first"]:
                where = "down" if not view.extra["is_last"] else "message"
            elif where == "down" and view.extra["is_last"]:
                where = "up" if not view.extra["is_first"] else "message"
            view.extra["focus"] = where
            view.extra["message"], list_message = message, ""
    context = {
        "lesson": lesson,
        "views": views,
        "is_owner": lesson.owner_id == request.user.id,
        "show_authors": True,
        "list_message": list_message,
        "list_error": error,
    }
    response = render(request, "lessons/lesson_detail.html#passages", context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return retarget(reswap(response, "outerHTML"), "#passages")


def _show(request: HttpRequest, passage: Passage, *, status: int = 200, **tools) -> HttpResponse:
    """The passage's block for htmx, or the whole lesson page."""
    if _is_partial(request):
        return _passage_block(request, passage, status=status, **tools)
    return _lesson_page(request, passage.lesson, status=status, **tools)


def _done(request: HttpRequest, passage: Passage, message: str, anchor: str) -> HttpResponse:
    """After a change: the updated block for htmx, else back to the lesson (post/redirect/get)."""
    if _is_partial(request):
        return _passage_block(request, passage, message=message)
    messages.success(request, message)
    return redirect(reverse("lesson_detail", args=[passage.lesson_id]) + f"#{anchor}")


@teacher_required
@require_GET
def lesson_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A lesson to read with its notes; teachers annotate it here."""
    lesson = get_lesson_for_teacher(request.user, pk)
    passage_id = request.GET.get("passage", "")
    if _is_partial(request) and request.GET.get("passages") == "1":
        return _passages_list(request, lesson)
    if _is_partial(request) and passage_id.isdigit():
        passage = lesson.passages.filter(pk=int(passage_id)).first()
        if passage is None:
            raise Http404("No such passage in this lesson.")
        return _passage_block(request, passage)
    lesson = Lesson.objects.select_related("owner", "copied_from").get(pk=lesson.pk)
    return _lesson_page(request, lesson)


@teacher_required
@require_http_methods(["GET", "POST"])
def lesson_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a lesson's title, summary and source attribution (its owner only)."""
    lesson = get_own_lesson_for_teacher(request.user, pk)
    title = lesson.title
    form = LessonDetailsForm(request.POST or None, instance=lesson)
    if request.method == "POST":
        if form.is_valid():
            update_lesson_details(lesson=lesson, details=form.cleaned_data)
            messages.success(request, "Details saved.")
            return redirect("lesson_detail", pk=lesson.pk)
        _focus_first_error(form)
    return render(
        request,
        "lessons/lesson_edit.html",
        {"form": form, "lesson": lesson, "title": title},
        status=422 if form.errors else 200,
    )


@teacher_required
@require_POST
def lesson_copy(request: HttpRequest, pk: int) -> HttpResponse:
    """Copy a lesson, passages and notes, as the teacher's own lesson to edit."""
    lesson = get_lesson_for_teacher(request.user, pk)
    copy = copy_lesson(lesson=lesson, owner=request.user)
    messages.success(request, "This is your copy: you can change its text and every note on it.")
    return redirect("lesson_detail", pk=copy.pk)


@teacher_required
@require_http_methods(["GET", "POST"])
def lesson_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Delete a lesson no task uses (its owner only), after confirming."""
    lesson = get_own_lesson_for_teacher(request.user, pk)
    used = lesson.tasks.exists()
    if request.method == "POST" and not used:
        title = lesson.title
        delete_lesson(lesson=lesson)
        messages.success(request, f"“{title}” was deleted.")
        return redirect("lesson_list")
    return render(
        request,
        "lessons/lesson_delete.html",
        {"lesson": lesson, "used": used},
        status=409 if request.method == "POST" else 200,
    )


# Passages and notes ---------------------------------------------------------------------


def _number(passage: Passage) -> int:
    """The passage's place in its lesson, counting from 1 (whatever its order field)."""
    ids = Passage.objects.filter(lesson_id=passage.lesson_id).order_by("order", "id")
    return list(ids.values_list("pk", flat=True)).index(passage.pk) + 1


def _reanchor_message(report) -> str:
    message = "Passage saved."
    if report.moved:
        message += (
            " 1 note moved with its words."
            if report.moved == 1
            else f" {report.moved} notes moved with their words."
        )
    if report.detached:
        message += (
            " 1 note lost its words and is listed for you to re-attach."
            if report.detached == 1
            else f" {report.detached} notes lost their words and are listed for you to re-attach."
        )
    return message


@teacher_required
@require_http_methods(["GET", "POST"])
def passage_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a passage's text (its lesson's owner only); notes follow their words.

    The form carries the passage's version: a save based on an older version (another tab,
    the seed loader) is refused, showing both texts, and nothing is saved.
    """
    passage = get_own_passage_for_teacher(request.user, pk)
    initial = {
        "heading": passage.heading,
        "kind": passage.kind,
        "text": passage.text,
        "version": passage.version,
    }
    form = PassageEditForm(request.POST or None, initial=initial)
    conflict = None
    if request.method == "POST":
        if form.is_valid():
            try:
                report = update_passage(passage=passage, **form.cleaned_data)
            except PassageConflict as error:
                conflict = error.current
                # Their words stay in the form, now based on the current version: saving
                # again is a deliberate choice to replace the current text.
                data = request.POST.copy()
                data["version"] = conflict.version
                form = PassageEditForm(data)
                form.is_valid()
                passage = conflict
            else:
                return _done(
                    request, passage, _reanchor_message(report), anchor=f"passage-{passage.pk}"
                )
        else:
            _focus_first_error(form)
    else:
        form.fields["text"].widget.attrs["autofocus"] = True
    context = {
        "passage": passage,
        "number": _number(passage),
        "form": form,
        "span_count": len(spans_of(passage)),
        "conflict": conflict,
    }
    if conflict is not None:
        status = 409 if _is_partial(request) else 422
    else:
        status = 422 if form.errors else 200
    return _render(request, "lessons/passage_edit.html", "form", context, status=status)


@teacher_required
@require_http_methods(["GET", "POST"])
def passage_create(request: HttpRequest, pk: int) -> HttpResponse:
    """Add a passage to a lesson (its owner only), after a chosen passage or at the end."""
    lesson = get_own_lesson_for_teacher(request.user, pk)
    passages = list(lesson.passages.order_by("order", "id"))
    after = (request.POST if request.method == "POST" else request.GET).get("after", "")
    initial = {"after": after} if after.isdigit() else {}
    # Ids of its own, per place: a passage's edit form (id_text…) and other add forms (one
    # per "Add a passage after") may be open on the same page.
    form = PassageAddForm(
        request.POST or None,
        passages=passages,
        initial=initial,
        auto_id=f"add-passage-{after if after.isdigit() else 'end'}-%s",
    )
    if request.method == "POST":
        if form.is_valid():
            passage = add_passage(lesson=lesson, **form.cleaned_data)
            message = f"Passage added as passage {passage.order}."
            if _is_partial(request):
                return _passages_list(
                    request, lesson, message=message, focus=(passage.pk, "message")
                )
            messages.success(request, message)
            return redirect(reverse("lesson_detail", args=[lesson.pk]) + f"#passage-{passage.pk}")
        _focus_first_error(form)
    else:
        form.fields["text"].widget.attrs["autofocus"] = True
    context = {"lesson": lesson, "form": form, "after": initial.get("after", "")}
    return _render(
        request,
        "lessons/passage_create.html",
        "form",
        context,
        status=422 if form.errors else 200,
    )


@teacher_required
@require_POST
def passage_move(request: HttpRequest, pk: int) -> HttpResponse:
    """Move a passage up or down one place (its lesson's owner only)."""
    passage = get_own_passage_for_teacher(request.user, pk)
    direction = request.POST.get("direction", "")
    try:
        ids = move_passage(passage=passage, direction=direction)
    except ValueError as error:
        if _is_partial(request):
            return _passages_list(
                request, passage.lesson, message=str(error), error=True, status=422
            )
        messages.error(request, str(error))
        return redirect(reverse("lesson_detail", args=[passage.lesson_id]) + f"#passage-{pk}")
    message = f"Passage moved {direction}: now passage {ids.index(passage.pk) + 1} of {len(ids)}."
    if _is_partial(request):
        return _passages_list(
            request, passage.lesson, message=message, focus=(passage.pk, direction)
        )
    messages.success(request, message)
    return redirect(reverse("lesson_detail", args=[passage.lesson_id]) + f"#passage-{pk}")


@teacher_required
@require_http_methods(["GET", "POST"])
def passage_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Delete a passage no task depends on (its lesson's owner only), after confirming."""
    passage = get_own_passage_for_teacher(request.user, pk)
    lesson = passage.lesson
    reasons = passage_in_use(passage)
    if request.method == "POST" and not reasons:
        try:
            notes = delete_passage(passage=passage)
        except PassageInUse as error:
            reasons = error.reasons
        else:
            message = "Passage deleted" + (
                "."
                if not notes
                else " with its note."
                if notes == 1
                else f" with its {notes} notes."
            )
            if _is_partial(request):
                return _passages_list(request, lesson, message=message)
            messages.success(request, message)
            return redirect("lesson_detail", pk=lesson.pk)
    context = {
        "passage": passage,
        "number": _number(passage),
        "lesson": lesson,
        "reasons": reasons,
        "note_count": passage.annotations.count(),
    }
    status = 409 if request.method == "POST" else 200
    response = _render(request, "lessons/passage_delete.html", "confirm", context, status=status)
    if request.method == "POST" and _is_partial(request):
        # The form asked to replace the list; the refusal replaces the passage's block.
        response = retarget(reswap(response, "outerHTML"), f"#passage-{passage.pk}")
    return response


@teacher_required
@require_http_methods(["GET", "POST"])
def annotation_create(request: HttpRequest, pk: int) -> HttpResponse:
    """Add a note to words of a passage (any teacher, on any lesson)."""
    passage = get_passage_for_teacher(request.user, pk)
    if request.method == "GET":
        return _show(request, passage, open_create=passage.pk)
    form = AnnotationForm(request.POST, passage=passage, prefix=f"new-{passage.pk}")
    if not form.is_valid():
        _focus_first_error(form)
        return _show(request, passage, bound=form, status=422)
    annotation = add_annotation(
        passage=passage,
        author=request.user,
        kind=form.cleaned_data["kind"],
        note=form.cleaned_data["note"],
        start=form.cleaned_data["start"],
        end=form.cleaned_data["end"],
        topic=form.cleaned_data["topic"],
        new_topic=form.cleaned_data["new_topic"],
    )
    return _done(
        request,
        passage,
        f"Note added on “{_short(annotation.quote)}”.",
        anchor=f"note-{annotation.pk}",
    )


@teacher_required
@require_GET
def annotation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One note: a partial for htmx, or a page of its own."""
    annotation = get_annotation_for_teacher(request.user, pk)
    lesson = annotation.passage.lesson
    note = NoteView(
        annotation=annotation,
        can_edit=may_edit_annotation(request.user, annotation, lesson.owner_id),
    )
    context = {"n": note, "lesson": lesson, "show_authors": True}
    return _render(request, "lessons/annotation_detail.html", "note", context)


@teacher_required
@require_http_methods(["GET", "POST"])
def annotation_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a note's kind and text (its author, or the lesson's owner)."""
    annotation = get_editable_annotation_for_teacher(request.user, pk)
    passage = annotation.passage
    if request.method == "GET":
        return _show(request, passage, editing=annotation)
    form = AnnotationEditForm(request.POST, prefix=f"edit-{annotation.pk}")
    if not form.is_valid():
        _focus_first_error(form)
        return _show(request, passage, editing=annotation, bound=form, status=422)
    change_annotation(annotation=annotation, **form.cleaned_data)
    return _done(request, passage, "Note saved.", anchor=f"note-{annotation.pk}")


@teacher_required
@require_POST
def annotation_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Delete a note (its author, or the lesson's owner)."""
    annotation = get_editable_annotation_for_teacher(request.user, pk)
    passage = annotation.passage
    delete_annotation(annotation=annotation)
    return _done(request, passage, "Note deleted.", anchor=f"passage-{passage.pk}")


@teacher_required
@require_http_methods(["GET", "POST"])
def annotation_reattach(request: HttpRequest, pk: int) -> HttpResponse:
    """Anchor a note that lost its words to the right words of its passage."""
    annotation = get_editable_annotation_for_teacher(request.user, pk)
    passage = annotation.passage
    if request.method == "GET":
        return _show(request, passage)
    form = ReattachForm(request.POST, passage=passage, prefix=f"reattach-{annotation.pk}")
    form.annotation = annotation
    if not form.is_valid():
        _focus_first_error(form)
        return _show(request, passage, bound=form, status=422)
    reattach_annotation(
        annotation=annotation, start=form.cleaned_data["start"], end=form.cleaned_data["end"]
    )
    return _done(
        request,
        passage,
        f"Note re-attached to “{_short(annotation.quote)}”.",
        anchor=f"note-{annotation.pk}",
    )


# New lessons ----------------------------------------------------------------------------


class MemoryOnlyUploadHandler(FileUploadHandler):
    """Keeps an upload in memory, never in a temporary file on disk.

    Up to the import limit is kept; beyond it the rest is read and dropped, and the file
    arrives with its real size, so the importer refuses it with a message.
    """

    def new_file(self, *args, **kwargs) -> None:
        super().new_file(*args, **kwargs)
        self.buffer = io.BytesIO()
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        room = MAX_UPLOAD_BYTES + 1 - self.buffer.tell()
        if room > 0:
            self.buffer.write(raw_data[:room])
        self.received += len(raw_data)
        return None

    def file_complete(self, file_size: int) -> InMemoryUploadedFile:
        self.buffer.seek(0)
        return InMemoryUploadedFile(
            file=self.buffer,
            field_name=self.field_name,
            name=self.file_name,
            content_type=self.content_type,
            size=self.received,
            charset=self.charset,
            content_type_extra=self.content_type_extra,
        )


def _guess_title(source_name: str) -> str:
    stem = source_name.rsplit(".", 1)[0]
    return " ".join(stem.replace("_", " ").replace("-", " ").split())[:200]


def _review_page(
    request: HttpRequest,
    *,
    source: str,
    rules: str,
    details_form: LessonDetailsForm,
    passages: list[ProposedPassage],
    removed: list[str],
    notice: str = "",
    focus: int | None = None,
    status: int = 200,
    formset=None,
) -> HttpResponse:
    if formset is None:
        formset = ReviewPassageFormSet(
            initial=[{"heading": p.heading, "kind": p.kind, "text": p.text} for p in passages],
            prefix="passages",
        )
        if focus is not None and 0 <= focus < len(formset.forms):
            formset.forms[focus].fields["heading"].widget.attrs["autofocus"] = True
    source_form = ReviewSourceForm(initial={"source": source, "rules": rules})
    context = {
        "details_form": details_form,
        "formset": formset,
        "source_form": source_form,
        "removed": removed,
        "notice": notice,
        "notice_focus": focus is None and bool(notice),
        "passage_errors": any(f.errors for f in formset.forms) if formset.is_bound else False,
    }
    return _render(request, "lessons/lesson_review.html", "review", context, status=status)


def _submitted_passages(request: HttpRequest) -> list[ProposedPassage]:
    """The passages as the teacher left them in the review form, valid or not."""
    formset = ReviewPassageFormSet(request.POST, prefix="passages")
    passages = []
    for form in formset.forms[: formset.absolute_max]:
        form.is_valid()
        data = getattr(form, "cleaned_data", {})
        passages.append(
            ProposedPassage(
                heading=data.get("heading", form.data.get(form.add_prefix("heading"), ""))[:300],
                kind=data.get("kind") or Passage.Kind.TEXT,
                text=data.get("text", form.data.get(form.add_prefix("text"), "")),
            )
        )
    return passages


def _apply(action: str, passages: list[ProposedPassage]) -> tuple[str, int | None]:
    """Merge, split, move or delete a proposed passage; returns a notice and where to focus."""
    verb, _, index_text = action.partition("-")
    if not index_text.isdigit() or int(index_text) >= len(passages):
        return "", None
    i = int(index_text)
    passage = passages[i]
    if verb == "merge" and i + 1 < len(passages):
        following = passages.pop(i + 1)
        joined = "\n\n".join(t for t in (passage.text.strip(), following.text.strip()) if t)
        if following.heading and following.heading != passage.heading:
            # Keep the second heading's words rather than lose them.
            parts = (passage.text.strip(), following.heading, following.text.strip())
            joined = "\n\n".join(t for t in parts if t)
        passage.text = joined
        return f"Passages {i + 1} and {i + 2} merged.", i
    if verb == "split":
        paragraphs = [p.strip() for p in passage.text.split("\n\n") if p.strip()]
        if len(paragraphs) < 2:
            return (
                f"Passage {i + 1} has no blank line to split at: add one where it should "
                "be split, then split again.",
                i,
            )
        passages[i : i + 1] = [
            ProposedPassage(heading=passage.heading if n == 0 else "", text=p, kind=passage.kind)
            for n, p in enumerate(paragraphs)
        ]
        return f"Passage {i + 1} split into {len(paragraphs)} passages.", i
    if verb == "delete":
        passages.pop(i)
        return f"Passage {i + 1} deleted.", min(i, len(passages) - 1) if passages else None
    if verb == "up" and i > 0:
        passages[i - 1], passages[i] = passages[i], passages[i - 1]
        return f"Passage {i + 1} moved up.", i - 1
    if verb == "down" and i + 1 < len(passages):
        passages[i], passages[i + 1] = passages[i + 1], passages[i]
        return f"Passage {i + 1} moved down.", i + 1
    return "", None


@csrf_exempt
@teacher_required
@require_http_methods(["GET", "POST"])
def lesson_import(request: HttpRequest) -> HttpResponse:
    """A new lesson: paste or upload a text, review the proposed passages, save."""
    # Set before the request body is read; CSRF is then checked as usual, just below.
    request.upload_handlers = [MemoryOnlyUploadHandler(request)]
    return _lesson_import(request)


@csrf_protect
def _lesson_import(request: HttpRequest) -> HttpResponse:
    """The import's three steps; POST "step" says which form was sent."""
    if request.method == "GET" or request.POST.get("step") not in ("propose", "review"):
        return render(request, "lessons/lesson_import.html", {"form": ImportSourceForm()})

    if request.POST["step"] == "propose":
        form = ImportSourceForm(request.POST, request.FILES)
        if not form.is_valid():
            _focus_first_error(form)
            return render(request, "lessons/lesson_import.html", {"form": form}, status=422)
        source, rules = form.cleaned_data["source"], form.cleaned_data["rules"]
        proposal = propose_lesson(source, rules)
        initial = {"source_kind": Lesson.SourceKind.OTHER, **proposal.metadata}
        upload = form.cleaned_data.get("file")
        if "title" not in initial and upload is not None:
            initial["title"] = _guess_title(upload.name)
        return _review_page(
            request,
            source=source,
            rules=rules,
            details_form=LessonDetailsForm(initial=initial),
            passages=proposal.passages,
            removed=proposal.removed,
        )

    source_form = ReviewSourceForm(request.POST)
    if not source_form.is_valid():
        # The hidden original text was tampered with or is too long: start again.
        messages.error(request, "That text could not be imported; please paste it again.")
        return redirect("lesson_import")
    source, rules = source_form.cleaned_data["source"], source_form.cleaned_data["rules"]
    action = request.POST.get("action", "save")
    proposal = propose_lesson(source, rules)

    if action == "resplit":
        return _review_page(
            request,
            source=source,
            rules=rules,
            details_form=LessonDetailsForm(initial=_details_initial(request)),
            passages=proposal.passages,
            removed=proposal.removed,
            notice=f"Split again: {len(proposal.passages)} passages.",
        )

    if action != "save":
        passages = _submitted_passages(request)
        notice, focus = _apply(action, passages)
        return _review_page(
            request,
            source=source,
            rules=rules,
            details_form=LessonDetailsForm(initial=_details_initial(request)),
            passages=passages,
            removed=proposal.removed,
            notice=notice,
            focus=focus,
        )

    details_form = LessonDetailsForm(request.POST)
    formset = ReviewPassageFormSet(request.POST, prefix="passages")
    valid = details_form.is_valid() & formset.is_valid()
    passages = []
    notice = ""
    if formset.is_valid():
        for form in formset.forms:
            if not form.cleaned_data.get("text"):
                form.add_error("text", "This passage has no text: write some, or delete it.")
                valid = False
            passages.append(ProposedPassage(**form.cleaned_data))
        if not passages:
            valid = False
            notice = "A lesson needs at least one passage: split the text again."
    if not valid:
        _focus_first_error(details_form)
        return _review_page(
            request,
            source=source,
            rules=rules,
            details_form=details_form,
            passages=passages,
            removed=proposal.removed,
            notice=notice,
            formset=formset,
            status=422,
        )
    lesson = create_lesson(owner=request.user, details=details_form.cleaned_data, passages=passages)
    messages.success(request, f"Lesson saved with {len(passages)} passages.")
    url = reverse("lesson_detail", args=[lesson.pk])
    if _is_partial(request):
        return HttpResponseClientRedirect(url)
    return redirect(url)


def _details_initial(request: HttpRequest) -> dict:
    """What the teacher typed in the lesson's details, to show again without errors yet."""
    return {name: request.POST.get(name, "") for name in LessonDetailsForm.Meta.fields}


# Glossaries -----------------------------------------------------------------------------


def _letters(terms) -> list[str]:
    return list(dict.fromkeys(term.letter for term in terms))


@teacher_required
@require_GET
def lesson_glossary(request: HttpRequest, pk: int) -> HttpResponse:
    """The key terms noted in one lesson, alphabetically."""
    lesson = get_lesson_for_teacher(request.user, pk)
    terms = glossary(glossary_annotations(Lesson.objects.filter(pk=lesson.pk)))
    context = {"lesson": lesson, "terms": terms, "letters": _letters(terms)}
    return render(request, "lessons/glossary.html", context)


@teacher_required
@require_GET
def glossary_view(request: HttpRequest) -> HttpResponse:
    """Every key term of the library, alphabetically, with the lesson each comes from."""
    q = request.GET.get("q", "").strip()[:200]
    notes = glossary_annotations()
    if q:
        notes = notes.filter(Q(quote__icontains=q) | Q(note__icontains=q))
    terms = glossary(notes)
    context = {"terms": terms, "letters": _letters(terms), "q": q}
    return render(request, "lessons/glossary.html", context)
