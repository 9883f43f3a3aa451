from functools import wraps

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied

from kreiswerk.tenancy.permissions import has_any_role


def staff_required(view=None, *, role: str | None = None):
    """Staff views need a password and a second factor; ``role`` narrows further.

    Which units the role covers is decided per object by ``tenancy.permissions``.
    """

    def decorator(func):
        @wraps(func)
        def wrapper(request, *args, **kwargs):
            user = request.user
            if not user.is_authenticated or not user.is_verified():
                return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
            if role is not None and not has_any_role(user, role):
                raise PermissionDenied
            return func(request, *args, **kwargs)

        return wrapper

    return decorator(view) if view is not None else decorator
