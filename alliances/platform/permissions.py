from rest_framework.permissions import DjangoModelPermissionsOrAnonReadOnly


class ReadAnyoneWriteWithModelPermission(DjangoModelPermissionsOrAnonReadOnly):
    """Anyone reads; writing needs a signed-in user holding the model's add/change/delete permission."""
