"""CORS for public reads only (django-cors-headers).

Any origin may read the API and the downloads from a browser (GET, HEAD, and
the OPTIONS preflight of such a read), without credentials. A write never gets
CORS headers, nor does the preflight of one, so a browser refuses to send a
cross-origin write at all: curators write from the admin, on the site's own origin.
"""

from corsheaders.middleware import CorsMiddleware

READ_METHODS = {"GET", "HEAD"}


class ReadOnlyCorsMiddleware(CorsMiddleware):
    def is_enabled(self, request):
        if not super().is_enabled(request):
            return False
        if request.method == "OPTIONS":
            wanted = request.headers.get("Access-Control-Request-Method", "GET").upper()
            return wanted in READ_METHODS
        return request.method in READ_METHODS
