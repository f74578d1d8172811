"""What the public downloads: the Data Package (``dataset``), releases (``releases``) and the current
data's files (``latest``), the one CSV writer (``csvfile``), the COW IGO layout (``cow``, ``crosswalks``)
and the citations of the data (``citation``)."""
