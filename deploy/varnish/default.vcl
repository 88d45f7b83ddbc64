#
# Varnish in front of the health pages app: caches what the app marks public, for as long as
# it says (s-maxage, never past a page's next review-status change), and forgets pages by
# surrogate key the moment a publication changes.
#
# Varnish 7 (Debian 12: varnish 7.1) with vmod-xkey (Debian: varnish-modules).
#   varnishd -a :6081 -f <absolute path of this file> -s malloc,256m
# The app tells Varnish what to forget: set PUBLIC_CACHE_PURGE_URLS=http://127.0.0.1:6081 in
# the app's environment (articles/public/purge.py sends `PURGE /` with `xkey-purge: <keys>`).
#
# How the app marks responses (articles/public/http_cache.py):
#   Cache-Control: public, max-age=N, s-maxage=N   cacheable for N seconds
#   Cache-Control: private, no-cache               never stored here
#   xkey: article-12 lists                         surrogate keys, removed before delivery
#
# Tests (tests/public/test_varnish.py) run this file with the backend below rewritten to
# the test's gunicorn.

vcl 4.1;

import xkey;

# The app server (gunicorn). `make serve` listens on 127.0.0.1:8000; deployment tooling
# templates these two lines.
backend default {
    .host = "127.0.0.1";
    .port = "8000";
    .connect_timeout = 2s;
    .first_byte_timeout = 30s;
}

# Who may purge: the app servers. Add their addresses when they run on other machines.
acl purgers {
    "127.0.0.1";
    "::1";
}

sub vcl_recv {
    if (req.method == "PURGE") {
        if (client.ip !~ purgers) {
            return (synth(403, "Forbidden"));
        }
        if (req.http.xkey-purge) {
            # Hard purge: a withdrawn page must not be served again, not even while
            # Varnish fetches the new one.
            set req.http.X-Purged = xkey.purge(req.http.xkey-purge);
            return (synth(200, "Purged " + req.http.X-Purged + " objects"));
        }
        return (purge);
    }
    # Only a cache's own business: never let a client set what we would trust.
    unset req.http.X-Purged;

    if (req.method != "GET" && req.method != "HEAD") {
        return (pass);
    }
    # The admin, and anyone signed in (session cookie) or sending credentials, sees pages
    # made for them: never looked up, never stored.
    if (req.url ~ "^/admin(/|$)" || req.http.Authorization) {
        return (pass);
    }
    if (req.http.Cookie ~ "(^|;\s*)(sessionid|messages)=") {
        return (pass);
    }
    # Other cookies (csrftoken, analytics) do not change a public page. Looking it up without
    # them keeps one copy per page; a page that needs the CSRF cookie (the report form) sets a
    # fresh one, and a response that sets a cookie is never stored (vcl_backend_response).
    unset req.http.Cookie;
    return (hash);
}

sub vcl_backend_response {
    # Store only what the app marked public, and never a response that sets a cookie.
    if (beresp.http.Set-Cookie
        || beresp.http.Cache-Control !~ "(?i)(^|,)\s*public\s*(,|$)"
        || beresp.http.Cache-Control ~ "(?i)(private|no-store|no-cache)"
        || beresp.ttl <= 0s) {
        # Hit-for-miss: later requests go straight to the app until it answers something
        # cacheable, which then replaces this marker.
        set beresp.uncacheable = true;
        set beresp.ttl = 30s;
        set beresp.grace = 0s;
        return (deliver);
    }
    # beresp.ttl comes from s-maxage (Varnish reads it before max-age): the app already
    # bounded it by the page's next review-status change. No grace: a page is never served
    # after its TTL, not even once while a fresh copy is fetched. Keep lets Varnish revalidate
    # an expired copy with If-None-Match, which the app answers with 304 when nothing changed.
    set beresp.grace = 0s;
    set beresp.keep = 1h;
    return (deliver);
}

sub vcl_deliver {
    # Surrogate keys are for this cache only.
    unset resp.http.xkey;
    if (obj.hits > 0) {
        set resp.http.X-Cache = "HIT";
    } else {
        set resp.http.X-Cache = "MISS";
    }
}
