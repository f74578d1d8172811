"""The rulebook: every rule of the data, written once over plain periods and names, with no ORM.

- ``periods``: the pure period core (``contains``, ``overlaps``, coverage, precision);
- ``problems``: one typed problem per broken rule, each with its one sentence, and the
  messages the database constraints give;
- ``memberships``, ``successions``, ``citations``, ``records``: the rules, as functions
  that take the periods and names a check needs and return problems.

The adapters hand the rules their data and render the problems: ``alliances.validation``
(``Model.clean()``), ``alliances.store.loading`` (the bulk loader), ``selectors.find_problems``
(``validate_data``) and the admin's formsets. None of them words a rule itself.
"""
