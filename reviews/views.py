"""
The public sign-off log (`reviews.log`): tree heads, entries and proofs, as JSON.

These pages are for machines and for anyone who wants to check the site's review history:
save a tree head now, and later ask for a consistency proof to the current one.
"""

from __future__ import annotations

from django.http import Http404, JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_safe

from reviews import log, transparency

MAX_ENTRIES = 1000


def _json(data, *, max_age: int = 60) -> JsonResponse:
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False, "indent": 1})
    response["Cache-Control"] = f"public, max-age={max_age}"
    response["Access-Control-Allow-Origin"] = "*"  # verifiable from anywhere
    return response


def _int(request, name: str, default: int | None = None) -> int:
    raw = request.GET.get(name)
    if raw is None or raw == "":
        if default is None:
            raise Http404(f"Give {name}.")
        return default
    try:
        value = int(raw)
    except ValueError:
        raise Http404(f"{name} must be a whole number.") from None
    if value < 0:
        raise Http404(f"{name} must not be negative.")
    return value


@require_safe
def tree_head(request):
    """The signed tree head of the log now (or of its first ``tree_size`` entries)."""
    state = log.log_state()
    size = _int(request, "tree_size", state.size)
    if size > state.size:
        raise Http404("The log is not that large.")
    return _json(log.signed_tree_head(state, size=size, now=timezone.now()))


@require_safe
def entries(request):
    """Entries ``start`` (inclusive) to ``end`` (exclusive), at most 1,000 at a time."""
    state = log.log_state()
    start = _int(request, "start", 0)
    end = min(_int(request, "end", min(state.size, start + MAX_ENTRIES)), state.size)
    if end - start > MAX_ENTRIES:
        end = start + MAX_ENTRIES
    return _json(
        {
            "tree_size": state.size,
            "entries": [
                {"index": index, "entry": state.entries[index]} for index in range(start, end)
            ],
        }
    )


@require_safe
def inclusion_proof(request):
    """The audit path of entry ``index`` in the tree of the first ``tree_size`` entries."""
    state = log.log_state()
    index = _int(request, "index")
    size = _int(request, "tree_size", state.size)
    if not index < size <= state.size:
        raise Http404("No such entry in a tree of that size.")
    proof = transparency.inclusion_proof(state.leaf_hashes[:size], index)
    return _json(
        {
            "index": index,
            "tree_size": size,
            "entry": state.entries[index],
            "leaf_hash": transparency.hash_to_hex(state.leaf_hashes[index]),
            "audit_path": transparency.proof_to_json(proof),
            "tree_head": log.signed_tree_head(state, size=size, now=timezone.now()),
        }
    )


@require_safe
def consistency_proof(request):
    """The proof that the tree of ``first`` entries is a prefix of the tree of ``second``."""
    state = log.log_state()
    first = _int(request, "first")
    second = _int(request, "second", state.size)
    if not first <= second <= state.size:
        raise Http404("The sizes must satisfy first <= second <= the log's size.")
    proof = transparency.consistency_proof(state.leaf_hashes[:second], first)
    return _json(
        {
            "first": first,
            "second": second,
            "first_root_hash": transparency.hash_to_hex(state.root(first)),
            "consistency": transparency.proof_to_json(proof),
            "tree_head": log.signed_tree_head(state, size=second, now=timezone.now()),
        }
    )
