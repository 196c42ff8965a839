"""Norwegian (bokmål): the locale's own day-first dates ("25.10.2006", "25. oktober 2006"), 24-hour times.

ISO dates are accepted first."""

from cxplatform.formats import _common

FIRST_DAY_OF_WEEK = _common.FIRST_DAY_OF_WEEK
NUMBER_GROUPING = _common.NUMBER_GROUPING
TIME_FORMAT = _common.TIME_FORMAT
TIME_INPUT_FORMATS = _common.TIME_INPUT_FORMATS

DATE_FORMAT = "j. F Y"
DATETIME_FORMAT = "j. F Y H:i"
YEAR_MONTH_FORMAT = "F Y"
MONTH_DAY_FORMAT = "j. F"
SHORT_DATE_FORMAT = "d.m.Y"
SHORT_DATETIME_FORMAT = "d.m.Y H:i"

DATE_INPUT_FORMATS = [
    "%Y-%m-%d",  # '2006-10-25'
    "%d.%m.%Y",  # '25.10.2006'
    "%d.%m.%y",  # '25.10.06'
]
DATETIME_INPUT_FORMATS = _common.ISO_DATETIME_INPUT_FORMATS + _common.DAY_FIRST_DATETIME_INPUT_FORMATS
DECIMAL_SEPARATOR = ","
THOUSAND_SEPARATOR = "\xa0"  # non-breaking space
