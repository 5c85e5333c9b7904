"""``{% portal_brand as brand %}``: the brand whose look a portal page wears (or None).

Computed once per request (see ``accounts.selectors.portal_brand_for_user``). A logo on
another site is allowed as an image source for this response only.
"""

from urllib.parse import urlsplit

from django import template

from accounts import selectors
from config.security import csp_allow

register = template.Library()
_CACHE_ATTR = "_portal_brand"


@register.simple_tag(takes_context=True)
def portal_brand(context):
    request = context.get("request")
    user = getattr(request, "user", None)  # error pages may render before the middleware
    if user is None:
        return None
    if not hasattr(request, _CACHE_ATTR):
        brand = selectors.portal_brand_for_user(user)
        if brand is not None and brand.logo_url.startswith("https://"):
            parts = urlsplit(brand.logo_url)
            csp_allow(request, "img-src", f"https://{parts.netloc}")
        setattr(request, _CACHE_ATTR, brand)
    return getattr(request, _CACHE_ATTR)
