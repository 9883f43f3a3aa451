from .services import SESSION_CITIZEN


def citizen(request) -> dict:
    """Whether the header offers the mailbox and logout (the session is read anyway on citizen pages)."""
    session = getattr(request, "session", None)
    return {"citizen_logged_in": bool(session is not None and SESSION_CITIZEN in session)}
