from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from .models import Annotation, Lesson, Passage, SchoolClass, Task, Topic, User
from .services.data_protection import end_sessions


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ["username", "full_name", "role", "is_staff", "is_active", "last_login"]
    list_filter = ["role", "is_staff", "is_active"]
    search_fields = ["username", "full_name", "first_name", "last_name", "email"]
    fieldsets = DjangoUserAdmin.fieldsets + (
        ("Classroom", {"fields": ("role", "full_name", "must_change_password")}),
    )
    add_fieldsets = DjangoUserAdmin.add_fieldsets + (
        ("Classroom", {"fields": ("role", "full_name", "must_change_password")}),
    )

    def save_model(self, request, obj, form, change):
        """Saving; unticking "active" also logs the user out everywhere, as the staff page does."""
        super().save_model(request, obj, form, change)
        if change and "is_active" in form.changed_data and not obj.is_active:
            end_sessions(user=obj)

    def get_changeform_initial_data(self, request):
        # Staff mostly add teachers here (students join with a code or come from a list).
        return {"role": User.Role.TEACHER, **super().get_changeform_initial_data(request)}


@admin.register(SchoolClass)
class SchoolClassAdmin(admin.ModelAdmin):
    list_display = ["name", "join_code", "created_at", "archived_at"]
    search_fields = ["name"]
    filter_horizontal = ["teachers"]


class PassageInline(admin.StackedInline):
    """Passages are shown here, not edited: an edit on the lesson page moves every note and
    quotation with its words (and checks the version); a raw edit here would not."""

    model = Passage
    extra = 0
    fields = readonly_fields = ["order", "heading", "kind", "text", "version"]
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Lesson)
class LessonAdmin(admin.ModelAdmin):
    list_display = ["title", "author", "publisher", "source_kind", "owner"]
    search_fields = ["title", "author", "publisher"]
    inlines = [PassageInline]


@admin.register(Annotation)
class AnnotationAdmin(admin.ModelAdmin):
    list_display = ["quote", "kind", "passage", "detached"]
    list_filter = ["kind", "detached"]


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    list_display = ["title", "owner", "status", "opens_at", "due_at"]
    list_filter = ["status"]
    search_fields = ["title"]
