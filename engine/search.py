"""Search of cases by what a clerk has in hand: the applicant's name (any part of it), the ID
number (in full or its last digits), the case number, or a document's number.

The conditions are applied on top of a queryset already scoped to the user
(``engine.selectors``), so search never widens what anyone sees. What the query looks like
decides what it is matched against, so each kind reads its own index:

* digits (an ID may end in X): the case number (exact), the ID number in full (15 or 18
  characters, exact), and, from 4 characters on, the end of the ID number;
* digits and other characters (罗店政救〔2026〕12号, "〔2026〕12"): part of a document number;
* anything else: part of the applicant's name (case-insensitive).

On PostgreSQL each has an index (``engine/migrations/0021_scale.py``): name fragments up to
``FRAGMENT_LENGTH`` characters in a GIN index (``engine_name_fragments``: Chinese names are
two or three characters, shorter than the three that trigrams need), ID numbers reversed
(a suffix becomes a prefix) and document numbers in a ``pg_trgm`` index. On SQLite the same
meaning is plain ``LIKE`` (a scan, fine for a demo database).
"""
import re

from django.db import connection
from django.db.models import BooleanField, F, Func, Q, Value
from django.db.models.functions import Reverse

# The longest fragment the name index holds (names are at most 50 characters).
FRAGMENT_LENGTH = 8
# The fewest trailing ID digits searched for: fewer match too many people to be a search.
ID_SUFFIX_MIN = 4
MAX_QUERY = 50
# Document-number matches up to this many are passed to the case query as a list of ids.
INLINE_IDS = 100

_NUMBER = re.compile(r"\d+[xX]?")
_DIGIT = re.compile(r"\d")


class NameFragmentsContain(Func):
    """``engine_name_fragments(field) @> ARRAY[fragment]``: the expression the GIN index
    ``case_name_fragments`` is built on (PostgreSQL only)."""

    output_field = BooleanField()

    def as_sql(self, compiler, connection, **extra_context):
        field, fragment = self.get_source_expressions()
        field_sql, field_params = compiler.compile(field)
        fragment_sql, fragment_params = compiler.compile(fragment)
        return (f"engine_name_fragments({field_sql}) @> ARRAY[{fragment_sql}]::text[]",
                (*field_params, *fragment_params))


def search_normalise(query: str | None) -> str:
    """The query as searched: spaces (also full-width ones) removed, at most 50 characters."""
    return re.sub(r"\s+", "", query or "")[:MAX_QUERY]


def _case_search_q(query: str) -> Q:
    """Cases matching ``query`` (already normalised); matches nothing for an empty one. On
    PostgreSQL the queryset needs ``cases_search``'s alias."""
    if not query:
        return Q(pk__in=[])
    postgres = connection.vendor == "postgresql"
    if _NUMBER.fullmatch(query):
        number = query.upper()
        q = Q(pk__in=[])
        if query.isdigit() and len(query) <= 18 and int(query) < 2**63:
            q |= Q(pk=int(query))
        if len(number) in (15, 18):
            q |= Q(applicant_id_number=number)
        if len(number) >= ID_SUFFIX_MIN:
            if postgres:  # index case_id_number_reversed (the alias is cases_search's)
                q |= Q(applicant_id_reversed__startswith=number[::-1])
            else:
                q |= Q(applicant_id_number__endswith=number)
        return q
    if _DIGIT.search(query):
        from .models import Document

        numbered = Document.objects.filter(number__contains=query).order_by()
        # A document number names one case or a few: their ids inline tell the planner so
        # (pk IN (…) on the primary key). As a subquery it guessed ~20 matches and walked
        # the county's cases newest first looking for them (300 ms for a case of 2017,
        # bench/README.md, third pass). A fragment matching many keeps the subquery.
        ids = list(numbered.values_list("case_id", flat=True)[:INLINE_IDS + 1])
        if len(ids) <= INLINE_IDS:
            return Q(pk__in=sorted(set(ids)))
        return Q(pk__in=numbered.values("case_id"))
    if postgres:
        fragment = query.lower()[:FRAGMENT_LENGTH]
        q = Q(NameFragmentsContain(F("applicant_name"), Value(fragment)))
        if len(query) > FRAGMENT_LENGTH:
            q &= Q(applicant_name__icontains=query)
        return q
    return Q(applicant_name__icontains=query)


def cases_search(queryset, query: str):
    """``queryset`` (cases) narrowed to those matching ``query``."""
    if connection.vendor == "postgresql" and _NUMBER.fullmatch(query or ""):
        queryset = queryset.alias(applicant_id_reversed=Reverse("applicant_id_number"))
    return queryset.filter(_case_search_q(query))


def tasks_search(queryset, query: str):
    """``queryset`` (inbox rows) narrowed to those of cases matching ``query``."""
    from .models import Case

    return queryset.filter(case__in=cases_search(Case.objects.all(), query).values("pk"))
