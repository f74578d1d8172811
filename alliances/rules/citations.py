"""The rules of citations: a quoted sentence, about the membership's organization; no period left uncited."""

from alliances.rules.problems import CitationOrganization, EmptyQuote, NeedsCitation


def quoted(quote):
    return [] if (quote or "").strip() else [EmptyQuote()]


def same_organization(organization_id, membership_organization_id):
    """A citation of a period is about that period's organization."""
    if None in (organization_id, membership_organization_id) or organization_id == membership_organization_id:
        return []
    return [CitationOrganization()]


def none_left_bare(left):
    """Removing citations must not leave a period (``left``: those it would, named) without one."""
    return [NeedsCitation(tuple(left))] if left else []
