"""Content negotiation where an explicit ``?format=`` wins over the Accept header.

DRF's default filters the renderers by ``format`` and then still matches them
against Accept, so ``?format=csv`` sent with ``Accept: application/json`` (what
many HTTP libraries send by default) was a 406. A client that names a format in
the URL gets it; Accept decides only when there is no ``format``.
"""

from rest_framework.negotiation import DefaultContentNegotiation


class FormatFirstContentNegotiation(DefaultContentNegotiation):
    def select_renderer(self, request, renderers, format_suffix=None):
        format_query_param = self.settings.URL_FORMAT_OVERRIDE
        wanted = format_suffix or request.query_params.get(format_query_param)
        if wanted:
            for renderer in renderers:
                if renderer.format == wanted:
                    return renderer, renderer.media_type
        return super().select_renderer(request, renderers, format_suffix)
