"""The program's health on four stages (engagement, insight, action, integration), from the platform's own data.

- `rules`: every threshold, window and weight, and the catalogue of criteria (code, stage, where it is fixed);
- `measures/`: one function per criterion, each reading the data up to an as-of date (`window.Window`);
- `decision`: stage scores, the stage the program is in, what blocks the next, the three next steps (pure);
- `assess.assess(organization, as_of)`: all of it for one date; `services.health_snapshot_upsert(organization=,
  month=)` stores it as the month's HealthSnapshot; `services.health_snapshots_refresh` is the daily run;
- `selectors`, `presenters` (sentences, values as text) and `charts` (the maturity profile) feed the page and API.
"""
