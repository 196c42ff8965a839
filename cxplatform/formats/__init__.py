"""Per-locale format modules (settings.FORMAT_MODULE_PATH): ISO or Nordic dates, 24-hour times, Monday first.

Django's own English formats write US dates ("10/25/2006", "Oct. 25, 2006, 2:30 p.m."), which a Nordic reader
misreads; these modules replace them for every language the staff UI speaks. Forms accept ISO dates first (the
first input format is also the one a date field is rendered with, so `<input type="date">` keeps working) and
never a month-first date.
"""
