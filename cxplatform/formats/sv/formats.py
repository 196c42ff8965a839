"""Swedish: ISO short dates (the Swedish standard), "25 oktober 2006" long dates, 24-hour times."""

from cxplatform.formats import _common

FIRST_DAY_OF_WEEK = _common.FIRST_DAY_OF_WEEK
NUMBER_GROUPING = _common.NUMBER_GROUPING
TIME_FORMAT = _common.TIME_FORMAT
TIME_INPUT_FORMATS = _common.TIME_INPUT_FORMATS

DATE_FORMAT = "j F Y"
DATETIME_FORMAT = "j F Y H:i"
YEAR_MONTH_FORMAT = "F Y"
MONTH_DAY_FORMAT = "j F"
SHORT_DATE_FORMAT = "Y-m-d"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"

DATE_INPUT_FORMATS = [
    "%Y-%m-%d",  # '2006-10-25'
]
DATETIME_INPUT_FORMATS = _common.ISO_DATETIME_INPUT_FORMATS
DECIMAL_SEPARATOR = ","
THOUSAND_SEPARATOR = "\xa0"  # non-breaking space
