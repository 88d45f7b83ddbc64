"""
Date styles of the site's languages (FORMAT_MODULE_PATH): what `|date` prints on public pages.

Django looks for `<language>_<COUNTRY>` first, then `<language>`: "en-gb" finds `en_GB`,
"en-us" (and any other English) finds `en`. Only the names defined here are replaced; the
others (input formats, short formats) stay Django's own.
"""
