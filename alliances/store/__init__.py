"""How the data is kept: the audit trail and the data version (``audit``, ``integrity``), the one write
lock (``locks``), lost-update tokens (``concurrency``), the database's refusals in words (``constraints``)
and the bulk loader of the fixtures (``loading``)."""
