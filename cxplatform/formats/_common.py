"""What the four locales share: ISO input formats first, 24-hour times, the week starting on Monday."""

FIRST_DAY_OF_WEEK = 1  # Monday
TIME_FORMAT = "H:i"
TIME_INPUT_FORMATS = [
    "%H:%M:%S",  # '14:30:59'
    "%H:%M:%S.%f",  # '14:30:59.000200'
    "%H:%M",  # '14:30'
]
ISO_DATETIME_INPUT_FORMATS = [
    "%Y-%m-%d %H:%M:%S",  # '2006-10-25 14:30:59'
    "%Y-%m-%d %H:%M:%S.%f",  # '2006-10-25 14:30:59.000200'
    "%Y-%m-%d %H:%M",  # '2006-10-25 14:30'
    "%Y-%m-%dT%H:%M:%S",  # '2006-10-25T14:30:59' (<input type="datetime-local">)
    "%Y-%m-%dT%H:%M",  # '2006-10-25T14:30'
]
DAY_FIRST_DATETIME_INPUT_FORMATS = [
    "%d.%m.%Y %H:%M:%S",  # '25.10.2006 14:30:59'
    "%d.%m.%Y %H:%M",  # '25.10.2006 14:30'
]
NUMBER_GROUPING = 3
