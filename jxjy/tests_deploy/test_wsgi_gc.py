"""The WSGI module leaves Django's long-lived objects out of the garbage collector's full collections."""

import gc
import importlib


def test_loading_the_wsgi_application_freezes_what_django_loaded():
    gc.unfreeze()
    import jxjy.wsgi

    importlib.reload(jxjy.wsgi)
    try:
        assert gc.get_freeze_count() > 10_000  # Django, the apps, the URLconf and the views
        assert jxjy.wsgi.application is not None
    finally:
        gc.unfreeze()
