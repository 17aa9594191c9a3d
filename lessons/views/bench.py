"""The benchmark's baseline: the cheapest page a logged-in user can ask for.

`make bench` compares every page's throughput with this view's in the same run. It goes
through the same middleware as every page and loads the session and the user, as they all
do, and nothing else. It answers only when GLF_BENCH_ENDPOINTS is on (the benchmark's
server); everywhere else it is a 404, and it never shows anything but "ok".
"""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET


@login_required
def _baseline(request: HttpRequest) -> HttpResponse:
    """ "ok" for a logged-in user."""
    return HttpResponse("ok\n", content_type="text/plain")


@require_GET
def bench_baseline(request: HttpRequest) -> HttpResponse:
    """The benchmark's baseline view (404 unless GLF_BENCH_ENDPOINTS is on)."""
    if not settings.GLF_BENCH_ENDPOINTS:
        raise Http404("No such page.")
    return _baseline(request)
