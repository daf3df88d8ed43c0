def form_errors_text(form) -> str:
    """A bound form's errors as one line for a flash message: ``field: message; other: message``."""
    return "; ".join(f"{name}: {' '.join(errors)}" for name, errors in form.errors.items())
