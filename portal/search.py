"""Global search: one box for the whole portal. Part of the composition root, so it may ask every app."""

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.shortcuts import render

from glossary.selectors import term_search
from governance.selectors import standard_list
from products.selectors import product_list


def global_search(*, user, text: str, limit: int = 10) -> dict:
    """Products, glossary terms and standards matching ``text`` that ``user`` may see, each list best first.

    Products and terms come from their search indexes; standards are few and matched on code and title.
    """
    text = (text or "").strip()
    if not text:
        return {"products": [], "terms": [], "standards": []}
    standards = standard_list(user=user).filter(Q(code__iexact=text) | Q(title__icontains=text))
    return {
        "products": list(product_list(user=user, filters={"q": text})[:limit]),
        "terms": term_search(user=user, text=text, limit=limit),
        "standards": list(standards[:limit]),
    }


@login_required
def search(request):
    """Products, glossary terms and standards the user may see."""
    query = request.GET.get("q", "").strip()
    return render(request, "portal/search.html", {"query": query, **global_search(user=request.user, text=query)})
