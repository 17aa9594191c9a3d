from django.contrib import messages
from django.contrib.auth import login, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm, SetPasswordForm
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from ..forms.accounts import JoinCodeForm, JoinLoginForm, StudentSignUpForm, TeacherSignUpForm
from ..models.classes import JOIN_CODE_LENGTH, normalise_join_code
from ..services.accounts import sign_up_student_and_join, sign_up_teacher
from ..services.classes import JoinError, JoinResult, join_class
from ..services.school import teacher_signup_allowed

# Accounts made or logged in here did not come through the axes backend's authenticate().
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"
USERNAME_TAKEN = "A user with that username already exists."


@sensitive_post_parameters()
@login_required
def password_change(request: HttpRequest) -> HttpResponse:
    """Change password; after a one-time password, choose one without retyping it."""
    user = request.user
    form_class = SetPasswordForm if user.must_change_password else PasswordChangeForm
    form = form_class(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save(commit=False)
        user.must_change_password = False
        user.save()
        # Changing the password would otherwise end this session too.
        update_session_auth_hash(request, user)
        messages.success(request, "Your password has been changed.")
        return redirect("home")
    return render(
        request,
        "registration/password_change_form.html",
        {"form": form},
        status=422 if form.is_bound else 200,
    )


@sensitive_post_parameters()
@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    """Teacher sign-up, where the install allows it (otherwise an admin creates teachers)."""
    # The staff page's choice, else ALLOW_TEACHER_SIGNUP; read at request time.
    if not teacher_signup_allowed():
        raise Http404("Teacher sign-up is turned off.")
    if request.user.is_authenticated:
        return redirect("home")
    form = TeacherSignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            teacher = sign_up_teacher(
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password1"],
                full_name=form.cleaned_data["full_name"],
                email=form.cleaned_data["email"],
            )
        except IntegrityError:
            # Someone took the username between the form's check and the insert.
            form.add_error("username", USERNAME_TAKEN)
        else:
            login(request, teacher, backend=MODEL_BACKEND)
            messages.success(request, "Your teacher account is ready. Start by creating a class.")
            return redirect("home")
    return render(
        request, "accounts/signup.html", {"form": form}, status=422 if form.is_bound else 200
    )


def _joined_message(request: HttpRequest, result: JoinResult) -> None:
    name = result.school_class.name
    if result.already_member:
        messages.info(request, f"You are already in {name}.")
    else:
        messages.success(request, f"You have joined {name}.")


@sensitive_post_parameters()
@require_http_methods(["GET", "POST"])
def join(request: HttpRequest) -> HttpResponse:
    """Join a class with its code: as a logged-in student, by logging in, or by signing up."""
    user = request.user
    if user.is_authenticated and not user.is_student:
        if request.method == "POST":
            raise PermissionDenied("Joining a class with a code is for students.")
        return render(request, "accounts/join.html", {"for_students_only": True})

    if request.method == "GET":
        return _join_get(request)
    if user.is_authenticated:
        return _join_as_student(request)
    return _join_anonymous(request)


def _join_context(request: HttpRequest, code_form: JoinCodeForm, **extra) -> dict:
    school_class = code_form.school_class if code_form.is_bound else None
    return {
        "code_form": code_form,
        "school_class": school_class,
        "code": code_form.data.get("code", "") if code_form.is_bound else "",
        **extra,
    }


def _join_get(request: HttpRequest) -> HttpResponse:
    """The form; with ?code= the class it opens (the htmx check as you type uses the same)."""
    anonymous = not request.user.is_authenticated
    target = "#code-check"
    raw_code = request.GET.get("code", "")
    code_form = JoinCodeForm(
        {"code": raw_code} if "code" in request.GET else None, check_as_you_type=target
    )
    valid = code_form.is_valid() if code_form.is_bound else False
    context = _join_context(
        request,
        code_form,
        show_sign_in=anonymous and valid,
        login_form=JoinLoginForm(request, prefix="login"),
        signup_form=StudentSignUpForm(prefix="signup"),
    )
    if request.htmx:
        # While typing, a half-typed code is not an error worth a red message.
        typed_enough = len(normalise_join_code(raw_code)) >= JOIN_CODE_LENGTH
        context["code_error"] = code_form.errors.get("code") if typed_enough else None
        return render(request, "accounts/join.html#code_check_response", context)
    status = 422 if code_form.is_bound and not valid else 200
    return render(request, "accounts/join.html", context, status=status)


def _join_as_student(request: HttpRequest) -> HttpResponse:
    code_form = JoinCodeForm(request.POST, check_as_you_type="#code-check")
    if code_form.is_valid():
        try:
            result = join_class(student=request.user, code=code_form.cleaned_data["code"])
        except JoinError as error:
            code_form.add_error("code", str(error))
        else:
            _joined_message(request, result)
            return redirect("home")
    return render(request, "accounts/join.html", _join_context(request, code_form), status=422)


def _join_anonymous(request: HttpRequest) -> HttpResponse:
    code_form = JoinCodeForm(request.POST, check_as_you_type="#code-check")
    action = request.POST.get("action")
    code_ok = code_form.is_valid()
    code = code_form.cleaned_data.get("code", "")
    if action == "login" and code_ok:
        login_form = JoinLoginForm(request, data=request.POST, prefix="login")
    else:
        # Unbound, so that rendering it does not try the password (and count a failure)
        # when the code was the problem; the username is kept.
        login_form = JoinLoginForm(
            request, prefix="login", initial={"username": request.POST.get("login-username", "")}
        )
    signup_form = StudentSignUpForm(
        data=request.POST if action == "signup" else None, prefix="signup"
    )

    if action == "login" and code_ok and login_form.is_valid():
        student = login_form.get_user()
        if not student.is_student:
            login_form.add_error(
                None, "This is a teacher account. Only student accounts join classes with a code."
            )
        else:
            try:
                result = join_class(student=student, code=code)
            except JoinError as error:
                code_form.add_error("code", str(error))
            else:
                login(request, student, backend=MODEL_BACKEND)
                _joined_message(request, result)
                return redirect("home")

    if action == "signup" and code_ok and signup_form.is_valid():
        try:
            student, result = sign_up_student_and_join(
                username=signup_form.cleaned_data["username"],
                password=signup_form.cleaned_data["password1"],
                full_name=signup_form.cleaned_data["full_name"],
                code=code,
            )
        except JoinError as error:
            code_form.add_error("code", str(error))
        except IntegrityError:
            signup_form.add_error("username", USERNAME_TAKEN)
        else:
            login(request, student, backend=MODEL_BACKEND)
            _joined_message(request, result)
            return redirect("home")

    context = _join_context(
        request,
        code_form,
        show_sign_in=True,
        login_form=login_form,
        signup_form=signup_form,
    )
    return render(request, "accounts/join.html", context, status=422)
