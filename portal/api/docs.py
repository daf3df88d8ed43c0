"""The interactive API docs under the portal's Content-Security-Policy.

Swagger UI runs as it is with scripts and styles from the portal's origin: the split view serves its start-up
script as a file (``?script=``) instead of inline. Redoc runs its start-up from a static file too, but it injects its
CSS as ``<style>`` elements (some before any option can hand it a nonce) and runs its search in a worker built from a
``blob:``: this page alone allows inline styles and ``blob:`` workers; scripts stay the portal's own. Redoc's footer
logo is on Redocly's CDN: the page loads nothing from outside, so the browser refuses that one image. The templates
are in ``templates/drf_spectacular/``.
"""

from csp.constants import SELF, UNSAFE_INLINE
from csp.decorators import csp_update
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerSplitView

swagger_ui = SpectacularSwaggerSplitView.as_view(url_name="api-schema")

redoc = csp_update({"style-src": [UNSAFE_INLINE], "worker-src": [SELF, "blob:"]})(
    SpectacularRedocView.as_view(url_name="api-schema")
)
