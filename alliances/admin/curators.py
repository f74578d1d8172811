"""The "curators" group: exactly the permissions the curation workflows need.

Curators record accessions, departures and status changes with their sources,
and fix aliases. They read countries and organizations but do not change them
(those come from ISO 3166 and a handful of founding facts), and they never
manage users or groups.

Delete is granted on memberships and citations only (a state's, or an organization's in another): a period recorded by
mistake cannot be edited away (it cannot move to another country or
organization), so it must be deletable, and the admin refuses to delete a
membership unless the user may also delete the citations it cascades to.
Every delete keeps the full row in the audit trail, so it can be undone. A
misspelled alias is corrected by editing it, so aliases need no delete.
"""

GROUP_NAME = "curators"

# model name -> actions (Django's default permission codenames are "<action>_<model>").
PERMISSIONS = {
    "membership": ("view", "add", "change", "delete"),
    "citation": ("view", "add", "change", "delete"),
    "source": ("view", "add", "change"),
    "countryalias": ("view", "add", "change"),
    "organizationalias": ("view", "add", "change"),
    "country": ("view",),
    "organization": ("view",),
    # An organization's own life: its periods in others are deletable like a state's, names and successions edited.
    "organizationmembership": ("view", "add", "change", "delete"),
    "organizationmembershipcitation": ("view", "add", "change", "delete"),
    "organizationname": ("view", "add", "change"),
    "organizationsuccession": ("view", "add", "change"),
}


def codenames():
    return sorted(f"{action}_{model}" for model, actions in PERMISSIONS.items() for action in actions)


def sync_group(group_model, permission_model):
    """Create the group if missing and give it exactly ``PERMISSIONS`` (works with historical models too)."""
    group, _ = group_model.objects.get_or_create(name=GROUP_NAME)
    permissions = list(permission_model.objects.filter(content_type__app_label="alliances", codename__in=codenames()))
    # A model a later migration creates has no content type yet when an earlier migration syncs the group.
    content_type_model = permission_model._meta.get_field("content_type").related_model
    known = set(content_type_model.objects.filter(app_label="alliances").values_list("model", flat=True))
    wanted = {f"{action}_{model}" for model, actions in PERMISSIONS.items() if model in known for action in actions}
    missing = wanted - {p.codename for p in permissions}
    if missing:
        raise RuntimeError(f"Permissions missing from the database: {', '.join(sorted(missing))}")
    group.permissions.set(permissions)
    return group


def ensure_group():
    """The curators group, created or corrected with the current models."""
    from django.contrib.auth.models import Group, Permission

    return sync_group(Group, Permission)
