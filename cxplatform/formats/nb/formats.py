"""Norwegian (bokmål): written as Danish (day-first dates "25.10.2006", "25. oktober 2006", 24-hour times, ISO
dates accepted first, decimal comma), but thousands are grouped with a non-breaking space, not a dot."""

from cxplatform.formats.da.formats import *  # noqa: F403

THOUSAND_SEPARATOR = "\xa0"  # non-breaking space
