"""
Default text of the site's own pages, used until an admin edits them.

Migration 0003 seeds the editorial policy `SitePage` from here, and the editorial policy view
falls back to it if the row is ever deleted, so the policy page is never empty. After the seed,
admins change the text in the admin (Site pages) without a deploy; this module is not read
again while the row exists.
"""

EDITORIAL_POLICY_TITLE = "Editorial policy"

EDITORIAL_POLICY_HTML = """\
<p>Every page on this site is written for patients and their families, checked against
published evidence, and approved by a licensed physician before anyone can read it. This page
explains how that works.</p>

<h2>How medical review works</h2>
<p>Our writers draft each page from current guidelines and peer-reviewed research, and cite
every important claim with a numbered reference, most of them linked to PubMed. Before a page
is published, a reviewing physician on our medical review board reads the exact version that
will go live, checks it against its sources and either approves it or sends it back with
comments.</p>
<p>The approval is an electronic signature on that exact version of the text: the
physician re-enters their password, states what the signature means, and the signature is
recorded with the date and a fingerprint of the content. If anyone edits the page afterwards,
the public keeps seeing the approved version until a physician approves the new one. The
"Medically reviewed by" line and the review stamp at the end of each page come from that
signature record, never from a field anyone can type into.</p>

<h2>Review intervals</h2>
<p>A review does not last forever. Each page is due for review again one year after its last
approval, or sooner for topics where the evidence changes quickly. When a review is due soon
or overdue, the page says so at the end, next to the date it was last reviewed. A re-review of
unchanged content is recorded as a new approval and moves the next review date.</p>

<h2>Corrections</h2>
<p>If you think something on a page is wrong, out of date or unclear, use the "Report a
problem with this page" link at the end of the page. Editors read every report. When we
correct a mistake of substance, the corrected page goes through medical review again, and we
add a public correction note to the page's review history.</p>

<h2>Conflicts of interest</h2>
<p>Reviewing physicians declare any conflict of interest when they sign a review, and a
physician may not review a page they wrote or edited. Writers and reviewers do not review pages
about products or services in which they have a financial interest.</p>

<h2>Funding and advertising</h2>
<p>This site carries no advertising and accepts no sponsored content. No company pays to be
mentioned, and no funder sees or approves a page before it is published.</p>
"""
