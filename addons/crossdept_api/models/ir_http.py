from werkzeug.exceptions import MethodNotAllowed, NotFound

from odoo import models
from odoo.http import Response, request

from ..controllers.main import (
    ApiError,
    abort_with,
    check_envelope,
    is_api_path,
    use_installed_lang,
)


class IrHttp(models.AbstractModel):
    _inherit = "ir.http"

    @classmethod
    def _match(cls, path_info):
        """Under the API's prefix, a path no route serves answers a JSON 404 and a method
        its path does not take a JSON 405 with an Allow header, instead of Odoo's HTML
        pages; Odoo's fallbacks for unknown paths (language redirects, attachments) do
        not apply there. OPTIONS, which Odoo adds to every route for CORS (the API has
        none), answers the Allow header instead of running the handler. Other callers
        (links resolved while rendering a page) match as usual."""
        if is_api_path(path_info) and path_info == request.httprequest.path:
            environ = request.httprequest.environ
            adapter = request.env["ir.http"].routing_map().bind_to_environ(environ)
            try:
                adapter.match(path_info=path_info)
            except NotFound:
                use_installed_lang()
                ApiError(
                    404,
                    "not_found",
                    request.env._("The API has no path %(path)s.", path=path_info),
                ).abort()
            except MethodNotAllowed as error:
                use_installed_lang()
                allowed = ", ".join(sorted(error.valid_methods or ()))
                ApiError(
                    405,
                    "method_not_allowed",
                    request.env._(
                        "%(path)s does not take %(method)s; it takes %(allowed)s.",
                        path=path_info,
                        method=request.httprequest.method,
                        allowed=allowed,
                    ),
                    headers=[("Allow", allowed)],
                ).abort()
            if request.httprequest.method == "OPTIONS":
                allowed = ", ".join(sorted(adapter.allowed_methods(path_info)))
                abort_with(Response(status=204, headers=[("Allow", allowed)]))
        return super()._match(path_info)

    @classmethod
    def _pre_dispatch(cls, rule, args):
        result = super()._pre_dispatch(rule, args)
        if is_api_path(rule.rule):
            check_envelope()
        return result
