from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm, SetPasswordForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.debug import sensitive_post_parameters


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
